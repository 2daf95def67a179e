#include "promotion.h"

#include "tp/runtime/topology.h"

namespace tp::regime {

Result<trading::v1::ModelPromoted> promote_model(ModelRegistry& registry, bus::Publisher& publisher,
                                                const std::string& version, const std::string& operator_name) {
  if (operator_name.empty()) return make_error(ErrorCode::kInvalidArgument, "promotion needs an operator name");
  // Refuse a version that cannot run before telling anyone about it.
  if (auto loaded = registry.load(version); !loaded) return std::unexpected(loaded.error());
  auto promotion = registry.record_promotion(version, operator_name);
  if (!promotion) return std::unexpected(promotion.error());
  trading::v1::ModelPromoted event;
  event.set_model_name(std::string(kHmmModelName));
  event.set_version(version);
  event.set_instrument_scope("*");
  event.set_effective_event_time_ns(0);  // from the next bar each subscriber sees
  event.set_operator_(operator_name);
  const std::string id = "model:" + version + ":promotion:" + std::to_string(*promotion);
  if (auto s = publisher.publish(runtime::subjects::kModelPromoted, id, id, event); !s)
    return std::unexpected(s.error());
  if (auto s = publisher.flush(10 * kNanosPerSecond); !s)
    return make_error(s.error().code, "promotion of " + version + " recorded but not announced: " +
                                          s.error().message);
  return event;
}

}  // namespace tp::regime
