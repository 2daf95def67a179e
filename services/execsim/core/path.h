// The intrabar price path: the order in which a bar's open, high, low and
// close are visited, as three straight legs of equal duration. Positions on
// the path are exact (a leg index and a rational fraction), so "which order
// is reached first" never depends on floating point.
//
//   Path p = make_path(bar, IntrabarPath::kNearerExtremeFirst);  // e.g. O -> L -> H -> C
//   auto hit = first_beyond(p, p.start(), stop_e8, Cmp::kLe);     // a sell stop
//   if (hit) price_at(p, *hit) == stop_e8 (or the open when it gapped)
//
// Time maps to the path linearly (each leg takes a third of the bar), which
// places order arrivals after a latency and GTD expiries inside the bar.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "execsim/core/execsim_config.h"

namespace tp::execsim {

// A point on the path: leg `seg` (0..2), fraction num/den (0..1) of it.
struct Pos {
  int32_t seg = 0;
  int64_t num = 0;
  int64_t den = 1;
};
int compare(const Pos& a, const Pos& b);  // -1, 0, 1
inline bool operator<(const Pos& a, const Pos& b) { return compare(a, b) < 0; }
inline bool operator==(const Pos& a, const Pos& b) { return compare(a, b) == 0; }

struct Path {
  int64_t px[4] = {0, 0, 0, 0};  // prices of the four points
  char name[4] = {'O', 'H', 'L', 'C'};
  int64_t open_ns = 0;
  int64_t close_ns = 0;

  static Pos start() { return {0, 0, 1}; }
  static Pos end() { return {2, 1, 1}; }
  // "open-low-high-close"
  std::string describe() const;
};

Path make_path(int64_t open, int64_t high, int64_t low, int64_t close, int64_t open_ns,
               int64_t close_ns, IntrabarPath kind);

// The point reached at time t (clamped to the bar).
Pos time_pos(const Path& path, int64_t t_ns);
// The price at a point, rounded half away from zero.
int64_t price_at(const Path& path, const Pos& pos);
inline bool at_open(const Pos& pos) { return pos.seg == 0 && pos.num == 0; }

enum class Cmp { kGe, kGt, kLe, kLt };  // price >= level, >, <=, <
bool holds(Cmp cmp, int64_t price, int64_t level);

// The first point at or after `from` where `price cmp level` holds; for a
// strict comparison the point where the price crosses the level.
std::optional<Pos> first_beyond(const Path& path, const Pos& from, int64_t level, Cmp cmp);

// The highest (or lowest) price on the path between two points.
int64_t extreme_between(const Path& path, const Pos& from, const Pos& to, bool highest);

// Trailing stop: sell (protecting a long) tracks the highest price and
// triggers at or below extreme - distance; buy the mirror image.
int64_t trail_distance(int64_t extreme, int64_t amount_e8, int64_t bps);
int64_t trail_stop(int64_t extreme, bool sell, int64_t amount_e8, int64_t bps);
struct TrailWalk {
  std::optional<Pos> hit;  // where it triggers, if it does
  int64_t extreme = 0;     // the water mark at the hit (or at the end)
  int64_t stop = 0;        // the stop at the hit (or at the end)
};
TrailWalk trail_walk(const Path& path, const Pos& from, int64_t extreme, bool sell,
                     int64_t amount_e8, int64_t bps);

}  // namespace tp::execsim
