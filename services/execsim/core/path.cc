#include "execsim/core/path.h"

#include <algorithm>

#include "execsim/core/book.h"
#include "tp/core/fixed_point.h"

namespace tp::execsim {

int compare(const Pos& a, const Pos& b) {
  if (a.seg != b.seg) return a.seg < b.seg ? -1 : 1;
  const __int128 l = static_cast<__int128>(a.num) * b.den;
  const __int128 r = static_cast<__int128>(b.num) * a.den;
  return l < r ? -1 : (l > r ? 1 : 0);
}

std::string Path::describe() const {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    if (i) s += "-";
    switch (name[i]) {
      case 'O': s += "open"; break;
      case 'H': s += "high"; break;
      case 'L': s += "low"; break;
      default: s += "close"; break;
    }
  }
  return s;
}

Path make_path(int64_t open, int64_t high, int64_t low, int64_t close, int64_t open_ns,
               int64_t close_ns, IntrabarPath kind) {
  bool high_first = true;
  switch (kind) {
    case IntrabarPath::kNearerExtremeFirst:
      high_first = (high - open) <= (open - low);
      break;
    case IntrabarPath::kHighFirst:
      high_first = true;
      break;
    case IntrabarPath::kLowFirst:
      high_first = false;
      break;
    case IntrabarPath::kBarDirection:
      high_first = close < open;
      break;
  }
  Path p;
  p.open_ns = open_ns;
  p.close_ns = close_ns > open_ns ? close_ns : open_ns + 1;
  p.px[0] = open;
  p.px[1] = high_first ? high : low;
  p.px[2] = high_first ? low : high;
  p.px[3] = close;
  p.name[1] = high_first ? 'H' : 'L';
  p.name[2] = high_first ? 'L' : 'H';
  return p;
}

Pos time_pos(const Path& path, int64_t t) {
  if (t <= path.open_ns) return Path::start();
  if (t >= path.close_ns) return Path::end();
  const int64_t d = path.close_ns - path.open_ns;
  const __int128 x = static_cast<__int128>(t - path.open_ns) * 3;
  int32_t seg = static_cast<int32_t>(std::min<__int128>(2, x / d));
  return {seg, static_cast<int64_t>(x - static_cast<__int128>(seg) * d), d};
}

int64_t price_at(const Path& path, const Pos& pos) {
  const int64_t a = path.px[pos.seg];
  const int64_t b = path.px[pos.seg + 1];
  if (pos.num == 0 || a == b) return a;
  if (pos.num == pos.den) return b;
  return a + mul_div(b - a, pos.num, pos.den);
}

bool holds(Cmp cmp, int64_t price, int64_t level) {
  switch (cmp) {
    case Cmp::kGe: return price >= level;
    case Cmp::kGt: return price > level;
    case Cmp::kLe: return price <= level;
    case Cmp::kLt: return price < level;
  }
  return false;
}

namespace {
Pos crossing(const Path& path, int seg, int64_t level) {
  const int64_t a = path.px[seg];
  const int64_t b = path.px[seg + 1];
  const int64_t num = level > a ? level - a : a - level;
  const int64_t den = b > a ? b - a : a - b;
  return {seg, num, den};
}
}  // namespace

std::optional<Pos> first_beyond(const Path& path, const Pos& from, int64_t level, Cmp cmp) {
  for (int k = from.seg; k < 3; ++k) {
    const Pos s_pos = k == from.seg ? from : Pos{k, 0, 1};
    const int64_t s = price_at(path, s_pos);
    if (holds(cmp, s, level)) return s_pos;
    if (holds(cmp, path.px[k + 1], level)) return crossing(path, k, level);
  }
  return std::nullopt;
}

int64_t extreme_between(const Path& path, const Pos& from, const Pos& to, bool highest) {
  auto better = [&](int64_t a, int64_t b) { return highest ? std::max(a, b) : std::min(a, b); };
  int64_t e = better(price_at(path, from), price_at(path, to));
  for (int i = 1; i < 3; ++i) {
    const Pos v{i, 0, 1};
    if (compare(from, v) < 0 && compare(v, to) < 0) e = better(e, path.px[i]);
  }
  return e;
}

int64_t trail_distance(int64_t extreme, int64_t amount_e8, int64_t bps) {
  return amount_e8 > 0 ? amount_e8 : fixed::apply_bps(extreme, bps);
}

int64_t trail_stop(int64_t extreme, bool sell, int64_t amount_e8, int64_t bps) {
  const int64_t d = trail_distance(extreme, amount_e8, bps);
  return sell ? extreme - d : extreme + d;
}

TrailWalk trail_walk(const Path& path, const Pos& from, int64_t extreme, bool sell,
                     int64_t amount_e8, int64_t bps) {
  TrailWalk w;
  w.extreme = extreme;
  const Cmp beyond = sell ? Cmp::kLe : Cmp::kGe;
  for (int k = from.seg; k < 3; ++k) {
    const Pos s_pos = k == from.seg ? from : Pos{k, 0, 1};
    const int64_t s = price_at(path, s_pos);
    w.extreme = sell ? std::max(w.extreme, s) : std::min(w.extreme, s);
    w.stop = trail_stop(w.extreme, sell, amount_e8, bps);
    if (holds(beyond, s, w.stop)) {
      w.hit = s_pos;
      return w;
    }
    const int64_t e = path.px[k + 1];
    if (sell ? e > s : e < s) {  // moving its way: the mark follows, no trigger
      w.extreme = sell ? std::max(w.extreme, e) : std::min(w.extreme, e);
      w.stop = trail_stop(w.extreme, sell, amount_e8, bps);
      continue;
    }
    if (holds(beyond, e, w.stop)) {
      w.hit = crossing(path, k, w.stop);
      return w;
    }
  }
  w.stop = trail_stop(w.extreme, sell, amount_e8, bps);
  return w;
}

}  // namespace tp::execsim
