// Counters of one family split by one extra label whose values come from a
// caller's fixed enum (a reject reason, a handler outcome). Internal to the
// probes.
//
// Values are created on first use, so the exposition only lists what has
// happened (plus anything pre-declared). The set is bounded: a value that is
// not a plain identifier ([a-z0-9_], 1..64 chars) or that would exceed
// `max_values` distinct values is counted under kOverflowLabelValue, so a
// caller bug can never explode the series count.
//
// Thread safety: get() may be called from any thread.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tp/observability/service_metrics.h"

namespace prometheus {
class Counter;
template <typename T>
class Family;
}  // namespace prometheus

namespace tp::obs::detail {

inline constexpr std::string_view kOverflowLabelValue = "other";

bool is_plain_label_value(std::string_view value);

class LabelledCounters {
 public:
  LabelledCounters(prometheus::Family<prometheus::Counter>& family, MetricLabels base_labels,
                   std::string label_name, std::size_t max_values);

  prometheus::Counter& get(std::string_view value);

 private:
  prometheus::Counter& create_locked(std::string_view value);

  prometheus::Family<prometheus::Counter>& family_;
  const MetricLabels base_labels_;
  const std::string label_name_;
  const std::size_t max_values_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, prometheus::Counter*>> counters_;
  prometheus::Counter* overflow_ = nullptr;
};

}  // namespace tp::obs::detail
