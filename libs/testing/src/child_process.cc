#include "tp/testing/child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace tp::testing {
namespace {

// What the child reports through the pipe when a step before exec fails.
struct ChildFailure {
  int step = 0;
  int err = 0;
};

constexpr const char* kSteps[] = {"", "setpgid", "setgroups", "setgid", "setuid", "prctl",
                                  "dup2", "chdir", "execve"};

[[noreturn]] void child_fail(int fd, int step) {
  ChildFailure failure{step, errno};
  ssize_t ignored = ::write(fd, &failure, sizeof(failure));
  (void)ignored;
  ::_exit(127);
}

std::vector<std::string> build_environment(const ChildSpec& spec) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool overridden = std::any_of(spec.env_overrides.begin(), spec.env_overrides.end(),
                                  [&](const auto& kv) {
                                    return entry.starts_with(kv.first + "=");
                                  });
    bool dropped = !spec.drop_env_prefix.empty() && entry.starts_with(spec.drop_env_prefix);
    if (!overridden && !dropped) env.emplace_back(entry);
  }
  for (const auto& [key, value] : spec.env_overrides) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<ChildProcess> ChildProcess::spawn(const ChildSpec& spec) {
  // Everything the child needs is prepared here: between fork and exec only
  // async-signal-safe calls are allowed because the test may be threaded.
  std::vector<std::string> argv_strings;
  argv_strings.push_back(spec.program);
  argv_strings.insert(argv_strings.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<std::string> env_strings = build_environment(spec);
  std::vector<char*> envp = pointers(env_strings);

  int log_fd = ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return make_error(ErrorCode::kUnavailable,
                      "cannot open log " + spec.log_path + ": " + std::strerror(errno));
  }
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int pipe_fds[2];
  if (null_fd < 0 || ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    return make_error(ErrorCode::kUnavailable, std::string("cannot create pipe: ") + std::strerror(err));
  }
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(log_fd);
    ::close(null_fd);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return make_error(ErrorCode::kUnavailable, std::string("fork failed: ") + std::strerror(err));
  }
  if (pid == 0) {
    int report = pipe_fds[1];
    // Own process group, so kill() can take down a server and every
    // process it forked (PostgreSQL backends) in one signal.
    if (::setpgid(0, 0) != 0) child_fail(report, 1);
    if (spec.run_as) {
      gid_t gid = spec.run_as->gid;
      if (::setgroups(1, &gid) != 0) child_fail(report, 2);
      if (::setgid(spec.run_as->gid) != 0) child_fail(report, 3);
      if (::setuid(spec.run_as->uid) != 0) child_fail(report, 4);
    }
    // After setuid: a credential change clears the parent-death signal.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(report, 5);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    if (::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(log_fd, STDOUT_FILENO) < 0 ||
        ::dup2(log_fd, STDERR_FILENO) < 0) {
      child_fail(report, 6);
    }
    // Do not leak the test's sockets and files into a long-lived server.
    ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    if (!spec.working_dir.empty() && ::chdir(spec.working_dir.c_str()) != 0) child_fail(report, 7);
    ::execve(argv[0], argv.data(), envp.data());
    child_fail(report, 8);
  }

  ::close(log_fd);
  ::close(null_fd);
  ::close(pipe_fds[1]);
  ChildFailure failure;
  ssize_t n;
  do {
    n = ::read(pipe_fds[0], &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  ::close(pipe_fds[0]);
  ChildProcess child(pid);
  if (n == static_cast<ssize_t>(sizeof(failure))) {
    child.kill_and_reap();
    std::string step = failure.step > 0 && failure.step < 9 ? kSteps[failure.step] : "?";
    std::string who = spec.run_as ? " as user " + spec.run_as->name : "";
    return make_error(ErrorCode::kUnavailable, "cannot start " + spec.program + who + ": " + step +
                                                   " failed: " + std::strerror(failure.err));
  }
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      exited_(other.exited_),
      wait_status_(other.wait_status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    exited_ = other.exited_;
    wait_status_ = other.wait_status_;
  }
  return *this;
}

ChildProcess::~ChildProcess() { kill_and_reap(); }

bool ChildProcess::running() {
  if (pid_ < 0 || exited_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    wait_status_ = status;
    return false;
  }
  if (r < 0 && errno == ECHILD) {  // reaped elsewhere; nothing left to wait for
    exited_ = true;
    return false;
  }
  return true;
}

bool ChildProcess::exited_successfully() const {
  return exited_ && WIFEXITED(wait_status_) && WEXITSTATUS(wait_status_) == 0;
}

std::string ChildProcess::exit_description() const {
  if (!exited_) return "running";
  if (WIFEXITED(wait_status_)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) return "killed by signal " + std::to_string(WTERMSIG(wait_status_));
  return "exited";
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0 && !exited_) ::kill(pid_, sig);
}

void ChildProcess::signal_group(int sig) {
  // Only while the leader is unreaped: until then its pid, and so the
  // group id, cannot be reused by an unrelated process.
  if (pid_ > 0 && !exited_) ::kill(-pid_, sig);
}

bool ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void ChildProcess::kill_and_reap() {
  if (pid_ < 0 || exited_) return;
  signal_group(SIGKILL);
  {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    exited_ = true;
    wait_status_ = status;
  }
}

std::string file_tail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "(no log at " + path + ")";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff start = size > static_cast<std::streamoff>(max_bytes)
                             ? size - static_cast<std::streamoff>(max_bytes)
                             : 0;
  in.seekg(start);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (start > 0) {
    auto nl = text.find('\n');
    if (nl != std::string::npos) text.erase(0, nl + 1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (text.empty()) return "(log " + path + " is empty)";
  return text;
}

bool log_says_address_in_use(const std::string& path) {
  std::string tail = file_tail(path, 8192);
  std::transform(tail.begin(), tail.end(), tail.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return tail.find("address already in use") != std::string::npos;
}

Status write_file(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return make_error(ErrorCode::kUnavailable, "cannot write " + path);
  return ok();
}

}  // namespace tp::testing
