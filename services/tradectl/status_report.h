// `tradectl status`: what the admin endpoints of each service say, as a
// table. The probing is I/O (http_get); interpreting and rendering are pure.
//
//   auto row = tp::tradectl::interpret_status(target, healthz, readyz);
//   std::cout << tp::tradectl::render_status({row});
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "cli.h"
#include "http_get.h"

namespace tp::tradectl {

struct ServiceStatus {
  std::string name;
  std::string health;   // "ok", "unhealthy", "unreachable"
  std::string ready;    // "ready", "not ready", "unreachable"
  std::string details;  // the /readyz checks, or the error
  bool is_ready = false;
};

ServiceStatus interpret_status(const AdminTarget& target, const Result<HttpResponse>& healthz,
                               const Result<HttpResponse>& readyz);

// Table plus a last line "N of M services ready".
std::string render_status(const std::vector<ServiceStatus>& rows);

}  // namespace tp::tradectl
