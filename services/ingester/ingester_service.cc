#include "ingester_service.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "tp/migrations/ingester.h"
#include "tp/observability/log.h"
#include "tp/observability/service_metrics.h"
#include "watermark_store.h"

namespace tp::ingester {

Result<std::optional<double>> parse_speed(std::string_view text) {
  if (text == "max") return std::optional<double>{};
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value <= 0)
    return make_error(ErrorCode::kInvalidArgument,
                      "must be \"max\" or a positive real-time multiplier such as \"60\", got '" +
                          std::string(text) + "'");
  return std::optional<double>{value};
}

namespace {

void sleep_interruptibly(int64_t ns, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
  while (!stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        until - now, std::chrono::milliseconds(100)));
  }
}

struct Metrics {
  explicit Metrics(obs::ServiceMetrics& m)
      : bars(prometheus::BuildCounter()
                 .Name("tp_ingester_bars_total")
                 .Help("Bars published, by quality flag (\"ok\" for an unflagged bar; a bar with "
                       "several flags counts once per flag)")
                 .Labels(m.constant_labels())
                 .Register(m.registry())),
        rejected(prometheus::BuildCounter()
                     .Name("tp_ingester_rows_rejected_total")
                     .Help("CSV rows that are not bars, by reason")
                     .Labels(m.constant_labels())
                     .Register(m.registry())),
        complete(prometheus::BuildGauge()
                     .Name("tp_ingester_complete")
                     .Help("1 once every source has been read to the end and flushed")
                     .Labels(m.constant_labels())
                     .Register(m.registry())
                     .Add({})),
        source_rows(prometheus::BuildGauge()
                        .Name("tp_ingester_source_rows")
                        .Help("Rows of each source so far, by outcome (published, skipped = at or "
                              "below the watermark, rejected)")
                        .Labels(m.constant_labels())
                        .Register(m.registry())) {}
  prometheus::Family<prometheus::Counter>& bars;
  prometheus::Family<prometheus::Counter>& rejected;
  prometheus::Gauge& complete;
  prometheus::Family<prometheus::Gauge>& source_rows;
};

struct Source {
  SourceSpec spec;
  std::unique_ptr<SeriesIngest> series;
  std::string absolute_path;
  std::ifstream in;
  int64_t line_number = 0;
  std::optional<LineResult> next;  // the next bar to publish
  bool done = false;
  bool failed = false;
  int64_t published = 0;
  int64_t skipped = 0;
  int64_t rejected = 0;
  std::map<std::string, int64_t> flags;  // flag name -> published bars with it
};

SeriesKey key_of(const SourceSpec& s) { return {s.venue, s.symbol, s.timeframe}; }

// Reads lines until the source has a bar to publish or is exhausted.
void advance(Source& s, Metrics& metrics) {
  s.next.reset();
  std::string line;
  while (!s.done) {
    if (!std::getline(s.in, line)) {
      s.done = true;
      if (s.in.bad()) {
        s.failed = true;
        log::error("read failed", {{"source", s.spec.name}, {"file", s.absolute_path},
                                   {"line", s.line_number}});
      }
      break;
    }
    ++s.line_number;
    LineResult r = s.series->on_line(line);
    switch (r.kind) {
      case LineResult::kBlank:
      case LineResult::kHeader:
        break;
      case LineResult::kHeaderError:
        log::error("source unreadable", {{"source", s.spec.name}, {"file", s.absolute_path},
                                         {"line", s.line_number}, {"error", r.detail}});
        s.done = true;
        s.failed = true;
        break;
      case LineResult::kRejected:
        ++s.rejected;
        metrics.rejected.Add({{"reason", r.reason}}).Increment();
        log::warn("row rejected", {{"source", s.spec.name}, {"file", s.absolute_path},
                                   {"line", s.line_number}, {"reason", r.reason},
                                   {"detail", r.detail}});
        break;
      case LineResult::kBelowWatermark:
        ++s.skipped;
        break;
      case LineResult::kBar:
        s.next = std::move(r);
        return;
    }
  }
}

void publish_source_gauges(const Source& s, Metrics& metrics) {
  metrics.source_rows.Add({{"source", s.spec.name}, {"outcome", "published"}})
      .Set(static_cast<double>(s.published));
  metrics.source_rows.Add({{"source", s.spec.name}, {"outcome", "skipped"}})
      .Set(static_cast<double>(s.skipped));
  metrics.source_rows.Add({{"source", s.spec.name}, {"outcome", "rejected"}})
      .Set(static_cast<double>(s.rejected));
}

}  // namespace

IngesterService::IngesterService() : sleep_(sleep_interruptibly) {}

void IngesterService::read_config(config::Reader& r) {
  const auto speed_text = r.string("ingest.speed", {.default_value = "max"});
  if (auto speed = parse_speed(speed_text); speed) {
    config_.speed = *speed;
  } else {
    r.add_error("ingest.speed", speed.error().message);
  }
  config_.batch_size = r.integer("ingest.batch_size", {.min = 1, .max = 100'000, .default_value = 500});
  config_.flush_timeout = r.duration_ms(
      "ingest.flush_timeout",
      {.min = std::chrono::milliseconds(100), .default_value = std::chrono::milliseconds(10'000)});
  QualityConfig quality;
  quality.outlier_window =
      r.integer("ingest.quality.outlier_window", {.min = 1, .max = 100'000, .default_value = 60});
  quality.outlier_min_samples =
      r.integer("ingest.quality.outlier_min_samples", {.min = 1, .max = 100'000, .default_value = 20});
  quality.outlier_range_multiple =
      r.integer("ingest.quality.outlier_range_multiple", {.min = 1, .max = 1'000'000, .default_value = 10});
  quality.outlier_min_move_bps =
      r.integer("ingest.quality.outlier_min_move_bps", {.min = 0, .max = 1'000'000, .default_value = 300});
  if (quality.outlier_min_samples > quality.outlier_window)
    r.add_error("ingest.quality.outlier_min_samples", "must not exceed ingest.quality.outlier_window");

  const auto names = r.object_keys("ingest.sources");
  if (names.empty()) r.add_error("ingest.sources", "required: at least one source");
  std::set<SeriesKey> series;
  for (const auto& name : names) {
    const std::string p = "ingest.sources." + name + ".";
    SourceSpec s;
    s.name = name;
    s.path = r.string(p + "path");
    s.venue = r.string(p + "venue");
    s.symbol = r.string(p + "symbol");
    s.timeframe = r.string(p + "timeframe", {.default_value = "1m"});
    s.layout.header = r.boolean(p + "header", {.default_value = true});
    const auto defaults = s.layout.header ? CsvLayout{}.columns : CsvLayout::default_indexes();
    for (int c = 0; c < kColumnCount; ++c) {
      s.layout.columns[c] = r.string(p + "columns." + std::string(column_key(static_cast<Column>(c))),
                                     {.default_value = defaults[c]});
    }
    const auto format = r.one_of(p + "time_format", {"iso8601", "epoch_s", "epoch_ms"}, "iso8601");
    s.layout.time_format = parse_time_format(format).value_or(TimeFormat::kIso8601);
    s.quality = quality;
    if (auto v = validate(s); !v) {
      r.add_error(p.substr(0, p.size() - 1), v.error().message);
    } else if (!series.insert(key_of(s)).second) {
      r.add_error(p.substr(0, p.size() - 1), "another source already publishes " + s.venue + "/" +
                                                 s.symbol + "/" + s.timeframe);
    }
    config_.sources.push_back(std::move(s));
  }
}

std::vector<store::MigrationSet> IngesterService::migrations() const {
  return {migrations::ingester_migrations()};
}

Status IngesterService::start(runtime::ServiceContext& context) {
  context_ = &context;
  context.add_worker("ingest", [this](const std::atomic<bool>& stop) { run(stop); });
  return ok();
}

void IngesterService::run(const std::atomic<bool>& stop) {
  auto& ctx = *context_;
  Metrics metrics(ctx.metrics());
  metrics.complete.Set(0);
  WatermarkStore watermarks(ctx.database());
  const int64_t flush_timeout_ns = config_.flush_timeout.count() * kNanosPerMilli;

  std::vector<std::unique_ptr<Source>> sources;
  for (const auto& spec : config_.sources) {
    auto s = std::make_unique<Source>();
    s->spec = spec;
    s->series = std::make_unique<SeriesIngest>(spec);
    std::error_code ec;
    auto abs = std::filesystem::absolute(spec.path, ec);
    s->absolute_path = ec ? spec.path : abs.lexically_normal().string();
    // The watermark is essential: without it a restart would republish
    // everything outside the duplicate window. Retry until it loads.
    while (!stop.load()) {
      auto loaded = watermarks.load(key_of(spec));
      if (loaded) {
        s->series->set_watermark(*loaded);
        if (*loaded)
          log::info("resuming after watermark", {{"source", spec.name}, {"open_time_ns", **loaded}});
        break;
      }
      log::warn("cannot load watermark", {{"source", spec.name}, {"error", loaded.error().to_string()}});
      sleep_(kNanosPerSecond, stop);
    }
    s->in.open(spec.path);
    if (!s->in) {
      log::error("cannot open source", {{"source", spec.name}, {"file", s->absolute_path}});
      s->done = true;
      s->failed = true;
    } else {
      log::info("reading source", {{"source", spec.name}, {"file", s->absolute_path},
                                   {"venue", spec.venue}, {"symbol", spec.symbol},
                                   {"timeframe", spec.timeframe}});
      advance(*s, metrics);
    }
    sources.push_back(std::move(s));
  }

  Pacer pacer(config_.speed);
  std::map<SeriesKey, int64_t> unflushed_marks;  // published, not yet confirmed by a flush
  std::map<SeriesKey, int64_t> unsaved_marks;    // confirmed, not yet in the database
  int64_t unflushed = 0;
  int64_t total_published = 0;

  // Flush, then advance the watermarks. False only when stopping.
  auto flush = [&]() -> bool {
    if (unflushed == 0 && unsaved_marks.empty()) return true;
    while (true) {
      auto s = ctx.publisher().flush(flush_timeout_ns);
      if (s) break;
      log::warn("flush failed, retrying", {{"error", s.error().to_string()}});
      if (stop.load()) return false;
      sleep_(kNanosPerSecond, stop);
    }
    for (const auto& [key, t] : unflushed_marks) {
      auto& mark = unsaved_marks[key];
      mark = std::max(mark, t);
    }
    unflushed_marks.clear();
    unflushed = 0;
    if (auto s = watermarks.advance(unsaved_marks); s) {
      unsaved_marks.clear();
    } else {
      // Not fatal: the marks are kept and written with the next flush.
      log::warn("cannot save watermarks", {{"error", s.error().to_string()}});
    }
    return true;
  };

  while (!stop.load()) {
    Source* pick = nullptr;
    for (auto& s : sources) {
      if (!s->next) continue;
      if (!pick || s->next->bar.open_time_ns() < pick->next->bar.open_time_ns()) pick = s.get();
    }
    if (!pick) break;
    LineResult& r = *pick->next;
    const int64_t delay = pacer.delay_ns(r.bar.open_time_ns());
    if (delay > 0) {
      // Paced replay: what is due is on the broker before we wait.
      if (!flush()) break;
      sleep_(delay, stop);
      if (stop.load()) break;
    }
    if (auto s = ctx.publisher().publish(r.subject, r.message_id, r.message_id, r.bar); !s) {
      // Only a bug (unserialisable message) gets here; skip the bar loudly.
      log::error("publish failed", {{"source", pick->spec.name}, {"line", pick->line_number},
                                    {"error", s.error().to_string()}});
    } else {
      ++pick->published;
      ++total_published;
      ++unflushed;
      const auto names = flag_names(r.bar.quality_flags());
      const auto& inst = r.bar.instrument();
      if (names.empty()) {
        metrics.bars.Add({{"venue", inst.venue()}, {"symbol", inst.symbol()}, {"flag", "ok"}}).Increment();
        ++pick->flags["ok"];
      }
      for (const auto& flag : names) {
        metrics.bars.Add({{"venue", inst.venue()}, {"symbol", inst.symbol()}, {"flag", flag}}).Increment();
        ++pick->flags[flag];
      }
      if ((r.bar.quality_flags() & trading::v1::BAR_QUALITY_OUT_OF_ORDER) == 0) {
        auto& mark = unflushed_marks[key_of(pick->spec)];
        mark = std::max(mark, r.bar.open_time_ns());
      } else {
        log::warn("out-of-order row published flagged",
                  {{"source", pick->spec.name}, {"file", pick->absolute_path},
                   {"line", pick->line_number}, {"open_time_ns", r.bar.open_time_ns()}});
      }
      if (total_published % 10'000 == 0)
        log::info("ingest progress", {{"published", total_published}});
    }
    advance(*pick, metrics);
    publish_source_gauges(*pick, metrics);
    if (unflushed >= config_.batch_size && !flush()) break;
  }
  if (stop.load()) {
    log::info("ingestion interrupted", {{"published", total_published}});
    return;  // the runtime's final flush covers what is queued
  }
  if (!flush()) return;

  int64_t failed = 0;
  for (const auto& s : sources) {
    publish_source_gauges(*s, metrics);
    if (s->failed) ++failed;
    log::info("source done",
              {{"source", s->spec.name}, {"file", s->absolute_path}, {"failed", s->failed},
               {"published", s->published}, {"skipped", s->skipped}, {"rejected", s->rejected},
               {"ok", s->flags["ok"]}, {"zero_volume", s->flags["zero_volume"]},
               {"outlier", s->flags["outlier"]}, {"gap_before", s->flags["gap_before"]},
               {"out_of_order", s->flags["out_of_order"]}, {"inconsistent", s->flags["inconsistent"]}});
  }
  metrics.complete.Set(1);
  log::info("ingestion complete", {{"sources", static_cast<int64_t>(sources.size())},
                                   {"failed_sources", failed}, {"published", total_published}});
  while (!stop.load()) sleep_(200 * kNanosPerMilli, stop);
}

}  // namespace tp::ingester
