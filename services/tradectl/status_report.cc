#include "status_report.h"

#include "table.h"

namespace tp::tradectl {

namespace {

std::vector<std::string> lines(const std::string& body) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    if (end > start) out.push_back(body.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& items, size_t from, const std::string& sep) {
  std::string out;
  for (size_t i = from; i < items.size(); ++i) {
    if (i > from) out += sep;
    out += items[i];
  }
  return out;
}

}  // namespace

ServiceStatus interpret_status(const AdminTarget& target, const Result<HttpResponse>& healthz,
                               const Result<HttpResponse>& readyz) {
  ServiceStatus s;
  s.name = target.name;
  if (!healthz) {
    s.health = "unreachable";
  } else if (healthz->status == 200) {
    s.health = "ok";
  } else {
    s.health = "unhealthy";
  }
  if (!readyz) {
    s.ready = "unreachable";
    s.details = readyz.error().message;
    return s;
  }
  const auto body = lines(readyz->body);
  s.is_ready = readyz->status == 200;
  s.ready = s.is_ready ? "ready" : "not ready";
  s.details = join(body, 1, ", ");
  if (s.details.empty() && !s.is_ready) s.details = "HTTP " + std::to_string(readyz->status);
  if (healthz && healthz->status != 200) {
    const auto h = lines(healthz->body);
    if (!h.empty()) s.details = h[0] + (s.details.empty() ? "" : "; " + s.details);
  }
  return s;
}

std::string render_status(const std::vector<ServiceStatus>& rows) {
  Table t({{"service"}, {"health"}, {"ready"}, {"details"}});
  size_t ready = 0;
  for (const auto& r : rows) {
    t.add_row({r.name, r.health, r.ready, r.details});
    if (r.is_ready) ++ready;
  }
  return t.render() + std::to_string(ready) + " of " + std::to_string(rows.size()) +
         " services ready\n";
}

}  // namespace tp::tradectl
