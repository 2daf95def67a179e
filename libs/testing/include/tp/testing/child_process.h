// A child process started with fork/exec (no shell) for the server
// harnesses: output appended to a log file, optionally in its own process
// group and under another user, and killed by the kernel if the thread that
// started it dies. Used by the server harnesses and by the end-to-end tests
// that run the service binaries.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tp/core/error.h"

namespace tp::testing {

struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

struct ChildSpec {
  std::string program;            // absolute path
  std::vector<std::string> args;  // argv[1..]
  std::vector<std::pair<std::string, std::string>> env_overrides;
  // Inherited variables starting with this prefix are not passed on (e.g.
  // "TP_": a service sees only the overrides its launcher chose).
  std::string drop_env_prefix;
  std::string log_path;     // stdout and stderr are appended here
  std::string working_dir;  // empty: inherit
  std::optional<RunAs> run_as;
};

class ChildProcess {
 public:
  // Returns once exec has succeeded, or the reason it failed (the child
  // reports the failing step through a close-on-exec pipe).
  [[nodiscard]] static Result<ChildProcess> spawn(const ChildSpec& spec);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills the whole process group and reaps the child if still running.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Reaps the child if it has exited; false once it has.
  bool running();
  // True once the child has been reaped after exit(0).
  bool exited_successfully() const;
  // "exited with status 1", "killed by signal 9" or "running".
  std::string exit_description() const;

  // Sends sig to the child only.
  void signal(int sig);
  // Sends sig to the child's process group (the child and its children).
  void signal_group(int sig);
  // Polls until the child exits or timeout passes; true if it exited.
  bool wait_for_exit(std::chrono::milliseconds timeout);
  // Sends SIGKILL to the group and reaps the child.
  void kill_and_reap();

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}

  pid_t pid_ = -1;
  bool exited_ = false;
  int wait_status_ = 0;
};

// The last max_bytes of a file, starting at a line boundary, or a note that
// it could not be read.
std::string file_tail(const std::string& path, size_t max_bytes = 4096);

// True when the log shows the server could not bind its port.
bool log_says_address_in_use(const std::string& path);

// Writes contents to path, replacing it.
[[nodiscard]] Status write_file(const std::string& path, const std::string& contents);

}  // namespace tp::testing
