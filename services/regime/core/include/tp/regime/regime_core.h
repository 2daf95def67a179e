// The regime service's pure core: Bar(t) in, exactly one RegimePosterior(t)
// out per in-order bar and instrument (docs/services/regime.md).
//
//   RegimeCore core([] { return std::make_unique<EwmaRegimeModel>(EwmaConfig{}); });
//   tp::runtime::Outbox out;
//   auto outcome = core.on_bar(bar, envelope.correlation_id, out);
//   // out: one trading.v1.RegimePosterior on regime.<venue>.<symbol>.<tf>
//
// Bars flagged OUT_OF_ORDER, and any bar not after the instrument's last
// one, are not part of the series: ignored, nothing emitted. Bars flagged
// ZERO_VOLUME, OUTLIER or INCONSISTENT get a posterior (joins need one per
// bar) computed without updating the model.
//
// Single-threaded: the shell calls it under the runtime's batch mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "tp/regime/model.h"
#include "tp/runtime/checkpoint.h"
#include "tp/runtime/outbox.h"
#include "trading/v1/market_data.pb.h"

namespace tp::regime {

struct BarOutcome {
  enum Kind { kEmitted, kIgnored, kInvalid };
  Kind kind = kEmitted;
  std::string detail;  // kIgnored: why; kInvalid: the exact rejection text
};

class RegimeCore final : public runtime::Checkpointed {
 public:
  explicit RegimeCore(ModelFactory factory);

  BarOutcome on_bar(const trading::v1::Bar& bar, std::string_view correlation_id,
                    runtime::Outbox& out);

  std::string snapshot() const override;
  [[nodiscard]] Status restore(std::string_view snapshot) override;

  size_t instruments() const { return series_.size(); }

 private:
  struct Series {
    int64_t last_open_time_ns = 0;
    std::unique_ptr<RegimeModel> model;
  };

  ModelFactory factory_;
  std::string model_version_;
  std::map<std::string, Series> series_;  // "<venue>|<symbol>|<timeframe>"
};

// Bars whose prices must not move the model.
constexpr uint32_t kUntrustedPriceFlags = 1u /*ZERO_VOLUME*/ | 2u /*OUTLIER*/ | 16u /*INCONSISTENT*/;

}  // namespace tp::regime
