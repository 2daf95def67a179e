#include "tp/observability/publisher_probe.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

#include "labelled_counters.h"

namespace tp::obs {
namespace {

constexpr std::size_t kMaxLabelValues = 32;

prometheus::Family<prometheus::Counter>& counter_family(ServiceMetrics& metrics,
                                                        const std::string& name,
                                                        const std::string& help) {
  return prometheus::BuildCounter()
      .Name(name)
      .Help(help)
      .Labels(metrics.constant_labels())
      .Register(metrics.registry());
}

}  // namespace

struct PublisherProbe::Series {
  Series(ServiceMetrics& metrics, const MetricLabels& labels)
      : published(counter_family(metrics, "tp_publisher_messages_published_total",
                                 "Messages acknowledged by the stream.")
                      .Add(labels)),
        errors(counter_family(metrics, "tp_publisher_publish_errors_total",
                              "Publishes that failed, by reason."),
               labels, "reason", kMaxLabelValues),
        ack_duration(prometheus::BuildHistogram()
                         .Name("tp_publisher_ack_duration_seconds")
                         .Help("Time from publish to the stream's ack, in seconds.")
                         .Labels(metrics.constant_labels())
                         .Register(metrics.registry())
                         .Add(labels, prometheus::Histogram::BucketBoundaries(
                                          kPublishAckBucketsSeconds.begin(),
                                          kPublishAckBucketsSeconds.end()))),
        in_flight(prometheus::BuildGauge()
                      .Name("tp_publisher_in_flight_messages")
                      .Help("Messages published and not yet acknowledged.")
                      .Labels(metrics.constant_labels())
                      .Register(metrics.registry())
                      .Add(labels)),
        duplicates(counter_family(metrics, "tp_publisher_duplicates_total",
                                  "Publishes the stream dropped as duplicates of an earlier "
                                  "message id.")
                       .Add(labels)) {}

  prometheus::Counter& published;
  detail::LabelledCounters errors;
  prometheus::Histogram& ack_duration;
  prometheus::Gauge& in_flight;
  prometheus::Counter& duplicates;
};

PublisherProbe::PublisherProbe(ServiceMetrics& metrics, std::string_view stream,
                               std::initializer_list<std::string_view> declared_error_reasons)
    : series_(std::make_unique<Series>(metrics, MetricLabels{{"stream", std::string(stream)}})) {
  for (std::string_view reason : declared_error_reasons) series_->errors.get(reason);
}

PublisherProbe::~PublisherProbe() = default;
PublisherProbe::PublisherProbe(PublisherProbe&&) noexcept = default;
PublisherProbe& PublisherProbe::operator=(PublisherProbe&&) noexcept = default;

void PublisherProbe::published() { series_->published.Increment(); }
void PublisherProbe::publish_failed(std::string_view reason) {
  series_->errors.get(reason).Increment();
}
void PublisherProbe::ack_latency(std::chrono::nanoseconds elapsed) {
  series_->ack_duration.Observe(std::chrono::duration<double>(elapsed).count());
}
void PublisherProbe::set_in_flight(int64_t messages) {
  series_->in_flight.Set(static_cast<double>(messages));
}
void PublisherProbe::duplicate() { series_->duplicates.Increment(); }

}  // namespace tp::obs
