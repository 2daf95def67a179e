#include "tp/observability/service_metrics.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace tp::obs {

ServiceMetrics::ServiceMetrics(std::string_view service)
    : service_(service),
      constant_labels_{{"service", service_}},
      registry_(std::make_shared<prometheus::Registry>()) {}

ServiceMetrics::~ServiceMetrics() = default;

std::string ServiceMetrics::exposition() const { return serialize_metrics(*registry_); }

std::string serialize_metrics(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace tp::obs
