#include "readiness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace tp::testing {

std::string read_greeting(uint16_t port, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  // A loopback connect completes or is refused at once, so blocking is fine.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return {};
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string data;
  char buffer[4096];
  while (data.find("\r\n") == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{fd, POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r <= 0) break;
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  auto end = data.find("\r\n");
  if (end == std::string::npos) return {};
  return data.substr(0, end);
}

std::string find_executable(const char* env_var, const std::string& name,
                            std::initializer_list<const char*> fallback_dirs) {
  if (const char* override_path = std::getenv(env_var); override_path && *override_path) {
    return override_path;
  }
  auto usable = [](const std::string& p) { return ::access(p.c_str(), X_OK) == 0; };
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::string_view rest(path);
    while (!rest.empty()) {
      auto colon = rest.find(':');
      std::string dir(rest.substr(0, colon));
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
      if (dir.empty()) continue;
      std::string candidate = dir + "/" + name;
      if (usable(candidate)) return candidate;
    }
  }
  for (const char* dir : fallback_dirs) {
    std::string candidate = std::string(dir) + "/" + name;
    if (usable(candidate)) return candidate;
  }
  return {};
}

}  // namespace tp::testing
