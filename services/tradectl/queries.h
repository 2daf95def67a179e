// tradectl's reads from PostgreSQL: execsim's positions and history
// (docs/services/execsim.md) and the ledger (docs/ledger.md). Tables that do
// not exist yet (a service that never started) read as empty, with a note.
//
// Thread safety: as store::Database.
#pragma once

#include <string>
#include <vector>

#include "report.h"
#include "tp/core/error.h"
#include "tp/store/database.h"

namespace tp::tradectl {

// Latest row per (strategy, venue, symbol), ordered by those keys.
[[nodiscard]] Result<std::vector<PositionRow>> load_positions(store::Database& db);

// Everything of the summary except the audit and the broker counts.
[[nodiscard]] Result<Summary> load_summary(store::Database& db);

// Stream -> messages, from nats-server's /jsz?streams=true JSON.
[[nodiscard]] Result<std::map<std::string, int64_t>> parse_jsz_streams(const std::string& json);

}  // namespace tp::tradectl
