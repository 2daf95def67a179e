// The bundled BTCUSDT file as the platform sees it: through the ingester's
// own parser and quality rules, each bar with its message id.
#pragma once

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "tp/ingester/series.h"

namespace tp::regime::testdata {

inline std::vector<std::pair<std::string, trading::v1::Bar>> btcusdt_bars(size_t limit = SIZE_MAX) {
  ingester::SourceSpec spec;
  spec.name = "btcusdt";
  spec.path = std::string(TP_SOURCE_DIR) + "/data/binance-us/BTCUSDT_1m_20230301_20230321.csv";
  spec.venue = "binance-us";
  spec.symbol = "BTCUSDT";
  ingester::SeriesIngest series(spec);
  std::ifstream in(spec.path);
  std::vector<std::pair<std::string, trading::v1::Bar>> bars;
  std::string line;
  while (bars.size() < limit && std::getline(in, line)) {
    auto r = series.on_line(line);
    if (r.kind == ingester::LineResult::kBar) bars.emplace_back(r.message_id, r.bar);
  }
  return bars;
}

}  // namespace tp::regime::testdata
