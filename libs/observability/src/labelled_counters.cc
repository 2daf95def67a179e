#include "labelled_counters.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>

namespace tp::obs::detail {

bool is_plain_label_value(std::string_view value) {
  if (value.empty() || value.size() > 64) return false;
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

LabelledCounters::LabelledCounters(prometheus::Family<prometheus::Counter>& family,
                                   MetricLabels base_labels, std::string label_name,
                                   std::size_t max_values)
    : family_(family),
      base_labels_(std::move(base_labels)),
      label_name_(std::move(label_name)),
      max_values_(max_values) {}

prometheus::Counter& LabelledCounters::get(std::string_view value) {
  std::lock_guard lock(mutex_);
  for (auto& [name, counter] : counters_) {
    if (name == value) return *counter;
  }
  return create_locked(value);
}

prometheus::Counter& LabelledCounters::create_locked(std::string_view value) {
  if (!is_plain_label_value(value) || value == kOverflowLabelValue ||
      counters_.size() >= max_values_) {
    if (overflow_ == nullptr) {
      MetricLabels labels = base_labels_;
      labels[label_name_] = std::string(kOverflowLabelValue);
      overflow_ = &family_.Add(labels);
    }
    return *overflow_;
  }
  MetricLabels labels = base_labels_;
  labels[label_name_] = std::string(value);
  prometheus::Counter& counter = family_.Add(labels);
  counters_.emplace_back(std::string(value), &counter);
  return counter;
}

}  // namespace tp::obs::detail
