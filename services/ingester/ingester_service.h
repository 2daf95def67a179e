// The ingester service: publishes OHLCV CSV history as flagged, signed
// trading.v1.Bar messages on md.bar.<venue>.<symbol>.<tf> (docs/services/ingester.md).
//
//   return tp::runtime::run_service(argc, argv, std::make_unique<tp::ingester::IngesterService>());
//
// A producer only: no inputs. One worker thread ("ingest") reads every
// source, merges them by open time, publishes through ctx.publisher(),
// flushes every `ingest.batch_size` bars and then advances the per-series
// watermark in PostgreSQL. When every source is done it logs "ingestion
// complete", sets tp_ingester_complete to 1 and idles until SIGTERM.
//
// Threads: read_config/start on the main thread; everything else on the
// worker thread, which is the publisher's only user.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tp/ingester/series.h"
#include "tp/runtime/service.h"

namespace tp::ingester {

struct IngesterConfig {
  std::vector<SourceSpec> sources;
  std::optional<double> speed;  // nullopt: "max"
  int64_t batch_size = 500;
  std::chrono::milliseconds flush_timeout{10'000};
};

// "max" -> nullopt; a positive decimal such as "60" or "0.5" -> that
// multiplier of real time.
[[nodiscard]] Result<std::optional<double>> parse_speed(std::string_view text);

class IngesterService final : public runtime::Service {
 public:
  // Waits `ns` nanoseconds or until `stop` turns true. Tests inject their own.
  using SleepFunction = std::function<void(int64_t ns, const std::atomic<bool>& stop)>;

  IngesterService();
  explicit IngesterService(SleepFunction sleep) : sleep_(std::move(sleep)) {}

  std::string name() const override { return "ingester"; }
  void read_config(config::Reader& reader) override;
  std::vector<store::MigrationSet> migrations() const override;
  [[nodiscard]] Status start(runtime::ServiceContext& context) override;

  const IngesterConfig& config() const { return config_; }

 private:
  void run(const std::atomic<bool>& stop);

  IngesterConfig config_;
  SleepFunction sleep_;
  runtime::ServiceContext* context_ = nullptr;
};

}  // namespace tp::ingester
