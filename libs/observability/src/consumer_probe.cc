#include "tp/observability/consumer_probe.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

#include "labelled_counters.h"

namespace tp::obs {
namespace {

// Enough for every reason the bus library knows plus room to grow; far below
// anything that would hurt Prometheus.
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

prometheus::Family<prometheus::Gauge>& gauge_family(ServiceMetrics& metrics,
                                                    const std::string& name,
                                                    const std::string& help) {
  return prometheus::BuildGauge()
      .Name(name)
      .Help(help)
      .Labels(metrics.constant_labels())
      .Register(metrics.registry());
}

}  // namespace

struct ConsumerProbe::Series {
  Series(ServiceMetrics& metrics, const MetricLabels& labels)
      : received(counter_family(metrics, "tp_consumer_messages_received_total",
                                "Messages fetched from the stream, before verification.")
                     .Add(labels)),
        handled(counter_family(metrics, "tp_consumer_messages_handled_total",
                               "Messages handled and acked, by outcome."),
                labels, "outcome", kMaxLabelValues),
        rejected(counter_family(metrics, "tp_consumer_messages_rejected_total",
                                "Messages terminated as permanently invalid, by reason."),
                 labels, "reason", kMaxLabelValues),
        dead_lettered(counter_family(metrics, "tp_consumer_messages_dead_lettered_total",
                                     "Messages published to the dead-letter stream.")
                          .Add(labels)),
        nacked(counter_family(metrics, "tp_consumer_messages_nacked_total",
                              "Messages NAKed with delay after a transient failure.")
                   .Add(labels)),
        redeliveries(counter_family(metrics, "tp_consumer_redeliveries_total",
                                    "Deliveries whose delivery count was greater than 1.")
                         .Add(labels)),
        handler_duration(
            prometheus::BuildHistogram()
                .Name("tp_consumer_handler_duration_seconds")
                .Help("Time from receipt to ack decision, in seconds.")
                .Labels(metrics.constant_labels())
                .Register(metrics.registry())
                .Add(labels, prometheus::Histogram::BucketBoundaries(
                                 kHandlerLatencyBucketsSeconds.begin(),
                                 kHandlerLatencyBucketsSeconds.end()))),
        ack_pending(gauge_family(metrics, "tp_consumer_ack_pending_messages",
                                 "Messages delivered to this consumer and not yet acked.")
                        .Add(labels)),
        pending(gauge_family(metrics, "tp_consumer_pending_messages",
                             "Messages in the stream matching the consumer's filter and not yet "
                             "delivered to it (JetStream num_pending), refreshed every few seconds.")
                    .Add(labels)),
        last_sequence(gauge_family(metrics, "tp_consumer_last_processed_stream_sequence",
                                   "Stream sequence of the last message acked.")
                          .Add(labels)),
        handled_ok(handled.get("ok")) {}

  prometheus::Counter& received;
  detail::LabelledCounters handled;
  detail::LabelledCounters rejected;
  prometheus::Counter& dead_lettered;
  prometheus::Counter& nacked;
  prometheus::Counter& redeliveries;
  prometheus::Histogram& handler_duration;
  prometheus::Gauge& ack_pending;
  prometheus::Gauge& pending;
  prometheus::Gauge& last_sequence;
  prometheus::Counter& handled_ok;
};

ConsumerProbe::ConsumerProbe(ServiceMetrics& metrics, std::string_view stream,
                             std::string_view consumer,
                             std::initializer_list<std::string_view> declared_reject_reasons)
    : series_(std::make_unique<Series>(
          metrics, MetricLabels{{"stream", std::string(stream)},
                                {"consumer", std::string(consumer)}})) {
  for (std::string_view reason : declared_reject_reasons) series_->rejected.get(reason);
}

ConsumerProbe::~ConsumerProbe() = default;
ConsumerProbe::ConsumerProbe(ConsumerProbe&&) noexcept = default;
ConsumerProbe& ConsumerProbe::operator=(ConsumerProbe&&) noexcept = default;

void ConsumerProbe::received() { series_->received.Increment(); }

void ConsumerProbe::handled(std::string_view outcome) {
  if (outcome == "ok") {
    series_->handled_ok.Increment();
  } else {
    series_->handled.get(outcome).Increment();
  }
}

void ConsumerProbe::rejected(std::string_view reason) { series_->rejected.get(reason).Increment(); }
void ConsumerProbe::dead_lettered() { series_->dead_lettered.Increment(); }
void ConsumerProbe::nacked() { series_->nacked.Increment(); }
void ConsumerProbe::redelivered() { series_->redeliveries.Increment(); }

void ConsumerProbe::handler_latency(std::chrono::nanoseconds elapsed) {
  series_->handler_duration.Observe(std::chrono::duration<double>(elapsed).count());
}

void ConsumerProbe::set_ack_pending(int64_t messages) {
  series_->ack_pending.Set(static_cast<double>(messages));
}

void ConsumerProbe::set_pending(uint64_t messages) {
  series_->pending.Set(static_cast<double>(messages));
}

void ConsumerProbe::set_last_sequence(uint64_t stream_sequence) {
  series_->last_sequence.Set(static_cast<double>(stream_sequence));
}

}  // namespace tp::obs
