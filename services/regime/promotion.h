// Promoting a registry version: an append-only promotion row, then a signed
// trading.v1.ModelPromoted on ctl.model. Every subscriber (the regime
// service itself included) hot-reloads from that message; nothing restarts.
//
//   auto event = promote_model(registry, publisher, "hmm-5d41402abc4b2a76", "alice", clock);
//
// Re-promoting the active version is harmless (subscribers see it is
// already active). If the publish fails the row stays and the call fails:
// promote again to re-announce it.
//
// Thread safety: the publisher is used from the calling thread only.
#pragma once

#include <string>

#include "model_registry.h"
#include "tp/bus/publisher.h"
#include "tp/core/clock.h"
#include "trading/v1/control.pb.h"

namespace tp::regime {

[[nodiscard]] Result<trading::v1::ModelPromoted> promote_model(ModelRegistry& registry, bus::Publisher& publisher,
                                                              const std::string& version,
                                                              const std::string& operator_name);

}  // namespace tp::regime
