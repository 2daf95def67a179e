// The Prometheus registry of one process, plus the labels every series of
// that process carries.
//
// A service creates exactly one ServiceMetrics at start-up, hands it to every
// probe (ConsumerProbe, PublisherProbe, ...) and gives its registry to the
// AdminServer, which serves it on GET /metrics:
//
//   tp::obs::ServiceMetrics metrics("decision");          // service="decision"
//   tp::obs::ConsumerProbe probe(metrics, "SIGNALS", "decision");
//   tp::obs::AdminServer admin({.registry = metrics.shared_registry()});
//
// Every family registered through ServiceMetrics carries the constant label
// service="<name>". There are deliberately no other free-form constant
// labels: Prometheus adds job and instance at scrape time, and metric and
// label names are fixed by the probes (see docs/observability.md), so no
// caller input can produce an invalid or colliding label name.
//
// Ownership: the service's main owns it; it must outlive the probes created
// from it (the AdminServer shares the registry and may outlive it).
// Thread safety: all methods may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
}

namespace tp::obs {

// Same type as prometheus::Labels.
using MetricLabels = std::map<std::string, std::string>;

class ServiceMetrics {
 public:
  // `service` becomes the constant label service="<service>" (any UTF-8 text
  // is a valid label value).
  explicit ServiceMetrics(std::string_view service);
  ~ServiceMetrics();

  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  const std::string& service() const { return service_; }
  const MetricLabels& constant_labels() const { return constant_labels_; }

  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() const { return registry_; }

  // The Prometheus text exposition (format 0.0.4) of everything registered:
  // exactly what GET /metrics serves.
  std::string exposition() const;

 private:
  std::string service_;
  MetricLabels constant_labels_;
  std::shared_ptr<prometheus::Registry> registry_;
};

// Text exposition (format 0.0.4) of any registry.
std::string serialize_metrics(const prometheus::Registry& registry);

// The Content-Type of that format.
inline constexpr std::string_view kMetricsContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace tp::obs
