#include "tp/testing/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <sys/shm.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <thread>

#include "tp/testing/child_process.h"
#include "readiness.h"
#include "tp/testing/free_port.h"
#include "tp/testing/temp_dir.h"

namespace tp::testing {
namespace {

constexpr int kBindAttempts = 5;
constexpr std::chrono::seconds kStopGrace{10};

struct Binaries {
  std::string initdb;
  std::string postgres;
};

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// Debian installs the server under /usr/lib/postgresql/<major>/bin and
// keeps it off PATH; with several majors installed the newest wins.
Result<Binaries> find_binaries() {
  std::string bindir;
  if (const char* env = std::getenv("TP_PG_BINDIR"); env && *env) {
    bindir = env;
  } else {
    int best = -1;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      std::string name = entry.path().filename().string();
      if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
      std::string bin = entry.path().string() + "/bin";
      if (!executable(bin + "/initdb") || !executable(bin + "/postgres")) continue;
      int version = std::atoi(name.c_str());
      if (version > best) {
        best = version;
        bindir = bin;
      }
    }
    if (bindir.empty()) {
      std::string initdb = find_executable("TP_PG_INITDB", "initdb", {});
      if (!initdb.empty()) bindir = std::filesystem::path(initdb).parent_path().string();
    }
  }
  if (bindir.empty()) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "PostgreSQL server binaries not found in /usr/lib/postgresql/<version>/bin "
                      "or on PATH (install the postgresql package with tools/install-deps.sh or "
                      "set TP_PG_BINDIR)");
  }
  Binaries b{bindir + "/initdb", bindir + "/postgres"};
  for (const std::string* p : {&b.initdb, &b.postgres}) {
    if (!executable(*p)) {
      return make_error(ErrorCode::kFailedPrecondition, *p + " is missing or not executable");
    }
  }
  return b;
}

// initdb and postgres refuse to run as root.
Result<std::optional<RunAs>> unprivileged_user() {
  if (::geteuid() != 0) return std::optional<RunAs>();
  const char* env = std::getenv("TP_PG_USER");
  std::string name = env && *env ? env : "nobody";
  passwd pwd{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwnam_r(name.c_str(), &pwd, buffer.data(), buffer.size(), &found) != 0 || !found) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "running as root, and PostgreSQL refuses root, but user '" + name +
                          "' (TP_PG_USER) does not exist");
  }
  if (pwd.pw_uid == 0) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "TP_PG_USER '" + name + "' is root; PostgreSQL needs an unprivileged user");
  }
  return std::optional<RunAs>(RunAs{pwd.pw_uid, pwd.pw_gid, name});
}

// libpq keyword values need quoting unless they are plain words.
std::string conninfo_value(std::string_view value) {
  bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
  });
  if (plain) return std::string(value);
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) out += (c == '\n' || c == '\r') ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
    auto close = line.rfind(')');
    if (close == std::string::npos || close + 4 > line.size()) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(line.c_str() + close + 2, "%c %ld", &state, &ppid) != 2) continue;
    if (ppid == parent) out.push_back(static_cast<pid_t>(std::atol(name.c_str())));
  }
  return out;
}

bool gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() &&
         (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

// A killed postmaster leaves its System V shared memory segment behind
// (a clean shutdown removes it); the next start would reuse it, but a
// server that is never restarted would leak it.
void remove_stale_shared_memory(const std::string& data_dir) {
  std::ifstream pid_file(data_dir + "/postmaster.pid");
  std::string line;
  for (int i = 0; i < 7 && std::getline(pid_file, line); ++i) {
    if (i != 6) continue;
    long key = 0;
    long shmid = -1;
    if (std::sscanf(line.c_str(), "%ld %ld", &key, &shmid) != 2 || shmid < 0) return;
    shmid_ds info{};
    if (::shmctl(static_cast<int>(shmid), IPC_STAT, &info) == 0 && info.shm_nattch == 0) {
      ::shmctl(static_cast<int>(shmid), IPC_RMID, nullptr);
    }
  }
}

}  // namespace

struct PostgresServer::State {
  PostgresServerOptions options;
  TempDir dir;
  Binaries binaries;
  std::optional<RunAs> run_as;
  std::string data_dir;
  std::optional<ChildProcess> process;
};

PostgresServer::PostgresServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

PostgresServer::~PostgresServer() {
  if (!state_) return;
  Status stopped = stop();
  (void)stopped;  // a destructor cannot report; stop() kills as a last resort
  remove_stale_shared_memory(state_->data_dir);
}

const std::string& PostgresServer::directory() const { return state_->dir.path(); }

bool PostgresServer::running() const { return state_->process && state_->process->running(); }

std::string PostgresServer::connection_string(std::string_view database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) +
         " user=tp dbname=" + conninfo_value(database);
}

Result<std::unique_ptr<PostgresServer>> PostgresServer::start(PostgresServerOptions options) {
  auto binaries = find_binaries();
  if (!binaries) return std::unexpected(binaries.error());
  auto run_as = unprivileged_user();
  if (!run_as) return std::unexpected(run_as.error());
  auto dir = TempDir::create("tp-pg-");
  if (!dir) return std::unexpected(dir.error());
  if (*run_as && ::chown(dir->path().c_str(), (*run_as)->uid, (*run_as)->gid) != 0) {
    return make_error(ErrorCode::kFailedPrecondition, "cannot chown " + dir->path() + " to " +
                                                          (*run_as)->name + ": " +
                                                          std::strerror(errno));
  }
  auto state = std::make_unique<State>(
      State{std::move(options), std::move(*dir), *binaries, *run_as, {}, {}});
  state->data_dir = state->dir.path() + "/data";
  std::unique_ptr<PostgresServer> server(new PostgresServer(std::move(state)));
  State& s = *server->state_;
  server->log_path_ = s.dir.path() + "/postgres.log";

  ChildSpec initdb;
  initdb.program = s.binaries.initdb;
  initdb.args = {"-D", s.data_dir, "-U", "tp", "--auth=trust", "-E", "UTF8", "--no-locale",
                 "--no-sync"};
  initdb.env_overrides = {{"LC_ALL", "C"}, {"LANG", "C"}};
  initdb.log_path = s.dir.path() + "/initdb.log";
  initdb.working_dir = s.dir.path();
  initdb.run_as = s.run_as;
  auto child = ChildProcess::spawn(initdb);
  if (!child) return std::unexpected(child.error());
  if (!child->wait_for_exit(s.options.initdb_timeout)) {
    child->kill_and_reap();
    return make_error(ErrorCode::kTimeout, "initdb did not finish within " +
                                               std::to_string(s.options.initdb_timeout.count()) +
                                               " ms; initdb.log:\n" + file_tail(initdb.log_path));
  }
  if (!child->exited_successfully()) {
    return make_error(ErrorCode::kFailedPrecondition, "initdb " + child->exit_description() +
                                                          "; initdb.log:\n" +
                                                          file_tail(initdb.log_path));
  }

  // free_loopback_port() can race with another process taking the port;
  // only then is it worth trying a different one.
  for (int attempt = 1;; ++attempt) {
    server->port_ = free_loopback_port();
    Status launched = server->launch();
    if (launched) return server;
    if (attempt >= kBindAttempts || !log_says_address_in_use(server->log_path_)) {
      return std::unexpected(launched.error());
    }
  }
}

Status PostgresServer::launch() {
  State& s = *state_;
  ChildSpec spec;
  spec.program = s.binaries.postgres;
  spec.args = {"-D", s.data_dir,
               "-p", std::to_string(port_),
               "-c", "listen_addresses=127.0.0.1",
               "-c", "unix_socket_directories=" + s.dir.path(),
               // Tests crash processes, not machines: the OS page cache keeps
               // every committed write, so skipping fsync loses nothing.
               // synchronous_commit stays on: off would let kill() lose the
               // last commits, which crash tests would see as flakiness.
               "-c", "fsync=off",
               "-c", "full_page_writes=off"};
  for (const std::string& setting : s.options.settings) {
    spec.args.push_back("-c");
    spec.args.push_back(setting);
  }
  spec.env_overrides = {{"LC_ALL", "C"}, {"LANG", "C"}};
  spec.log_path = log_path_;
  spec.working_dir = s.dir.path();
  spec.run_as = s.run_as;
  auto child = ChildProcess::spawn(spec);
  if (!child) return std::unexpected(child.error());
  s.process.emplace(std::move(*child));

  const std::string where = "postgres on 127.0.0.1:" + std::to_string(port_);
  const std::string probe = connection_string("postgres") + " connect_timeout=2";
  auto deadline = std::chrono::steady_clock::now() + s.options.ready_timeout;
  std::string last_error;
  while (true) {
    if (!s.process->running()) {
      std::string why = s.process->exit_description();
      s.process.reset();
      return make_error(ErrorCode::kUnavailable, where + " " + why +
                                                     " before it was ready; postgres.log:\n" +
                                                     file_tail(log_path_));
    }
    try {
      pqxx::connection connection(probe);
      return ok();
    } catch (const std::exception& e) {
      // "the database system is starting up" and "connection refused" are
      // expected until recovery and startup finish.
      last_error = one_line(e.what());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      Status killed = kill();
      (void)killed;
      return make_error(ErrorCode::kTimeout,
                        where + " did not accept connections within " +
                            std::to_string(s.options.ready_timeout.count()) +
                            " ms (last error: " + last_error + "); postgres.log:\n" +
                            file_tail(log_path_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Status PostgresServer::stop() {
  if (!state_->process) return ok();
  ChildProcess& process = *state_->process;
  process.signal(SIGINT);  // fast shutdown
  if (process.wait_for_exit(kStopGrace)) {
    state_->process.reset();
    return ok();
  }
  Status killed = kill();
  (void)killed;
  return make_error(ErrorCode::kTimeout, "postgres on 127.0.0.1:" + std::to_string(port_) +
                                             " did not shut down within 10 s and was killed");
}

Status PostgresServer::kill() {
  if (!state_->process) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "postgres on 127.0.0.1:" + std::to_string(port_) + " is not running");
  }
  ChildProcess& process = *state_->process;
  // Backends are their own process-group leaders, so a group kill would
  // miss them. Freeze the postmaster so it cannot fork more, then kill it
  // and every child: a whole-server crash, and no backend is left holding
  // the shared memory that would stop the next start.
  process.signal(SIGSTOP);
  std::vector<pid_t> backends = children_of(process.pid());
  for (pid_t pid : backends) ::kill(pid, SIGKILL);
  process.kill_and_reap();
  state_->process.reset();
  auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  for (pid_t pid : backends) {
    while (!gone(pid)) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return make_error(ErrorCode::kTimeout,
                          "postgres backend " + std::to_string(pid) + " survived SIGKILL");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return ok();
}

Status PostgresServer::restart() {
  // A stop that had to fall back to SIGKILL still leaves the server down,
  // which is all a restart needs.
  Status stopped = stop();
  (void)stopped;
  return launch();
}

Result<std::string> PostgresServer::create_database(std::string_view name) {
  if (name.empty()) return make_error(ErrorCode::kInvalidArgument, "database name is empty");
  try {
    pqxx::connection connection(connection_string("postgres"));
    pqxx::nontransaction tx(connection);
    tx.exec("CREATE DATABASE " + tx.quote_name(std::string(name)));
    return connection_string(name);
  } catch (const pqxx::broken_connection& e) {
    return make_error(ErrorCode::kUnavailable, "cannot create database " + std::string(name) +
                                                   ": " + one_line(e.what()));
  } catch (const pqxx::sql_error& e) {
    ErrorCode code = e.sqlstate() == "42P04" ? ErrorCode::kAlreadyExists
                                             : ErrorCode::kInvalidArgument;
    return make_error(code, "cannot create database " + std::string(name) + ": " +
                                one_line(e.what()));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, "cannot create database " + std::string(name) +
                                                ": " + one_line(e.what()));
  }
}

}  // namespace tp::testing
