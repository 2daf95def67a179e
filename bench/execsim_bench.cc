// execsim matching and fill engine benchmark, single-threaded, medians over
// rounds measured in one run:
//   engine     tp::execsim::Engine (core/engine.h) on a seeded stream of
//              requests (new orders of every type: market IOC, limit (some
//              iceberg, some DAY), stop, stop-limit, trailing stop, OCO pairs,
//              brackets; resting ones mostly GTD 5-60 bars; cancels;
//              replaces) interleaved with bars, as the venue sees them:
//              requests at the bar open, then the bar. Ids as long as the
//              platform's. Reported: requests/s, execution events/s, and
//              order events/s = requests + execution events (what the engine
//              handles), with ns per request and per order event.
//   baseline   the same requests only copied out of the stream into the
//              engine's argument form (the least feeding them costs), and
//              decoded from their protobuf wire form (what the service does
//              before the engine sees them).
//   core       the whole pure core (ExecsimCore: lockstep, engine, report
//              texts, protobuf reports and positions); one intent per
//              strategy and bar, so it gets a subset of the requests.
// Times are CPU seconds of the benchmark thread (the machine may be
// shared); the engine's wall time is reported beside it.
// Output: JSON on stdout. Usage: execsim_bench [--bars N] [--events-per-bar M]
// [--repeat R] [--seed S] [--engine-only 1]
#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "execsim/core/engine.h"
#include "execsim/core/execsim_core.h"
#include "tp/core/fixed_point.h"

namespace {

namespace v1 = trading::v1;
using tp::execsim::OrderSpec;

constexpr int64_t kT0 = 1'700'000'000LL * 1'000'000'000LL;
constexpr int64_t kStep = 60LL * 1'000'000'000LL;
constexpr int64_t kE8 = tp::fixed::kScale;

struct Input {
  enum Kind { kSubmit, kCancel, kReplace } kind = kSubmit;
  std::vector<OrderSpec> group;  // submit: the order and its legs
  std::string id;                // cancel / replace target
  OrderSpec replacement;
  std::vector<std::string> wire;  // submit: each order's protobuf bytes (decode baseline)
};

struct BarEvents {
  tp::execsim::BarInput bar;
  std::vector<Input> inputs;
};

const char* kStrategies[] = {"s0", "s1", "s2", "s3"};
// Cash of each sleeve: ample, so that the buying-power check (default
// leverage 1) runs on every opening order but never binds, and the
// workload is the same as without it (with 1M, this random stream's
// losses and positions would soon get most orders rejected).
constexpr int64_t kCash = 1'000'000'000 * kE8;

std::vector<BarEvents> make_stream(uint64_t seed, int bars, int per_bar, size_t& order_events) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  std::vector<BarEvents> out;
  std::vector<std::string> recent;
  int64_t price = 30'000 * kE8;
  uint64_t serial = 0;
  order_events = 0;
  const tp::execsim::InstrumentKey key{"binance-us", "BTCUSDT"};
  for (int i = 0; i < bars; ++i) {
    BarEvents be;
    const int64_t t = kT0 + i * kStep;
    for (int k = 0; k < per_bar; ++k) {
      Input in;
      const int64_t what = pick(0, 99);
      auto base = [&](v1::Side side) {
        // Ids as long as the platform's (client_order_id
        // "<strategy>-<venue>-<symbol>-<t>", decision ids from paramctl).
        OrderSpec s;
        s.strategy = kStrategies[pick(0, 3)];
        const std::string t_s = std::to_string(t / 1'000'000'000);
        s.id = s.strategy + "-binance-us-BTCUSDT-" + t_s + "-" + std::to_string(serial++);
        s.side = side;
        s.quantity_e8 = pick(1, 100) * 1'000'000;
        s.decision_id = "choice:" + s.strategy + ":binance-us:BTCUSDT:" + t_s;
        s.correlation_id = "bar:binance-us:BTCUSDT:1m:" + t_s;
        s.decision_ns = t - kStep;
        return s;
      };
      const v1::Side side = pick(0, 1) ? v1::SIDE_BUY : v1::SIDE_SELL;
      const int64_t off = pick(1, 200) * kE8;
      if (what < 12 && !recent.empty()) {
        in.kind = Input::kCancel;
        in.id = recent[pick(0, static_cast<int64_t>(recent.size()) - 1)];
      } else if (what < 20 && !recent.empty()) {
        in.kind = Input::kReplace;
        in.id = recent[pick(0, static_cast<int64_t>(recent.size()) - 1)];
        in.replacement.quantity_e8 = pick(1, 100) * 1'000'000;
        in.replacement.limit_e8 = price + (pick(0, 1) ? off : -off);
      } else {
        OrderSpec s = base(side);
        const bool buy = side == v1::SIDE_BUY;
        if (what < 45) {
          s.type = v1::ORDER_TYPE_MARKET;
          s.tif = v1::TIME_IN_FORCE_IOC;
        } else if (what < 70) {
          s.type = v1::ORDER_TYPE_LIMIT;
          s.limit_e8 = buy ? price - off : price + off;
          if (what < 50) s.display_e8 = s.quantity_e8 / 2 + 1;
          if (what >= 65) s.tif = v1::TIME_IN_FORCE_DAY;
        } else if (what < 78) {
          s.type = v1::ORDER_TYPE_STOP;
          s.stop_e8 = buy ? price + off : price - off;
        } else if (what < 83) {
          s.type = v1::ORDER_TYPE_STOP_LIMIT;
          s.stop_e8 = buy ? price + off : price - off;
          s.limit_e8 = buy ? s.stop_e8 + 20 * kE8 : s.stop_e8 - 20 * kE8;
        } else if (what < 90) {
          s.type = v1::ORDER_TYPE_TRAILING_STOP;
          s.trail_amount_e8 = off;
        } else {
          s.type = v1::ORDER_TYPE_LIMIT;
          s.limit_e8 = buy ? price - off : price + off;
        }
        // Resting orders are mostly good for 5 to 60 minutes (GTD), as a
        // strategy that does not want a stale book would send them; the
        // rest stay until filled or canceled.
        if (s.type != v1::ORDER_TYPE_MARKET && s.tif == v1::TIME_IN_FORCE_GTC && pick(0, 19) != 0) {
          s.tif = v1::TIME_IN_FORCE_GTD;
          s.expire_ns = t + pick(5, 60) * kStep;
        }
        in.group.push_back(s);
        if (what >= 90 && what < 95) {  // OCO: take-profit limit + stop
          in.group[0].contingency = v1::CONTINGENCY_OCO;
          OrderSpec leg = base(side);
          leg.strategy = s.strategy;
          leg.type = v1::ORDER_TYPE_STOP;
          leg.stop_e8 = buy ? price + off : price - off;
          leg.tif = in.group[0].tif;
          leg.expire_ns = in.group[0].expire_ns;
          in.group.push_back(leg);
        } else if (what >= 95) {  // bracket around a limit entry
          OrderSpec& e = in.group[0];
          e.contingency = v1::CONTINGENCY_BRACKET;
          const v1::Side other = buy ? v1::SIDE_SELL : v1::SIDE_BUY;
          OrderSpec tp = base(other), sl = base(other);
          tp.strategy = sl.strategy = e.strategy;
          tp.quantity_e8 = sl.quantity_e8 = e.quantity_e8;
          tp.type = v1::ORDER_TYPE_LIMIT;
          tp.limit_e8 = buy ? e.limit_e8 + 300 * kE8 : e.limit_e8 - 300 * kE8;
          sl.type = v1::ORDER_TYPE_STOP;
          sl.stop_e8 = buy ? e.limit_e8 - 300 * kE8 : e.limit_e8 + 300 * kE8;
          in.group.push_back(tp);
          in.group.push_back(sl);
        }
        for (const auto& g : in.group) {
          recent.push_back(g.id);
          in.wire.push_back(tp::execsim::spec_to_proto(g, key).SerializeAsString());
        }
        if (recent.size() > 400) recent.erase(recent.begin(), recent.begin() + 200);
      }
      order_events += in.kind == Input::kSubmit ? in.group.size() : 1;
      be.inputs.push_back(std::move(in));
    }
    const int64_t open = price;
    const int64_t close = open + pick(-150, 150) * kE8;
    be.bar = {t, t + kStep, open, std::max(open, close) + pick(0, 120) * kE8,
              std::min(open, close) - pick(0, 120) * kE8, close, pick(50, 400) * kE8,
              pick(0, 49) == 0 ? 1u : 0u};
    price = close;
    out.push_back(std::move(be));
  }
  return out;
}

tp::execsim::FillModel model() {
  tp::execsim::FillModel m;
  m.slippage_bps = 5;
  m.slippage_atr_fraction_e8 = 10'000'000;
  m.impact_coefficient_e8 = 5'000'000;
  m.taker_fee_bps = 10;
  m.maker_fee_bps = 2;
  m.max_volume_share_e8 = 50'000'000;
  m.min_fee_per_order_e8 = 10'000'000;
  return m;
}

// CPU time of this thread: the machine may be shared, and the question is
// what one core does.
struct Stopwatch {
  timespec cpu0{};
  std::chrono::steady_clock::time_point wall0 = std::chrono::steady_clock::now();
  Stopwatch() { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0); }
  double cpu() const {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec - cpu0.tv_sec) + static_cast<double>(t.tv_nsec - cpu0.tv_nsec) * 1e-9;
  }
  double wall() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int bars = 2000, per_bar = 200, repeat = 5;
  bool engine_only = false;  // for profiling
  uint64_t seed = 42;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--bars") bars = std::atoi(argv[i + 1]);
    else if (a == "--events-per-bar") per_bar = std::atoi(argv[i + 1]);
    else if (a == "--repeat") repeat = std::atoi(argv[i + 1]);
    else if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--engine-only") engine_only = std::string(argv[i + 1]) == "1";
  }
  size_t order_events = 0;
  const auto stream = make_stream(seed, bars, per_bar, order_events);
  std::map<std::string, int64_t> cash;
  for (const char* s : kStrategies) cash[s] = kCash;

  std::vector<double> engine_s, copy_s, decode_s, core_s, engine_wall_s, split_inputs_s, split_bars_s;
  size_t exec_events = 0, max_working = 0, fills = 0;
  uint64_t sink = 0;
  for (int r = 0; r < repeat; ++r) {
    // Baseline 1: copy every event into the engine's argument form.
    if (!engine_only) {
      const Stopwatch start;
      for (const auto& be : stream)
        for (const auto& in : be.inputs) {
          if (in.kind == Input::kSubmit) {
            std::vector<OrderSpec> g = in.group;
            sink += g.size() + g[0].id.size();
          } else {
            OrderSpec copy = in.replacement;
            sink += in.id.size() + static_cast<uint64_t>(copy.quantity_e8 & 1);
          }
        }
      copy_s.push_back(start.cpu());
    }
    // Baseline 2: decode the orders from protobuf (cancels as their ids).
    if (!engine_only) {
      const Stopwatch start;
      v1::Order o;
      for (const auto& be : stream)
        for (const auto& in : be.inputs) {
          if (in.kind == Input::kSubmit) {
            for (const auto& w : in.wire) {
              o.ParseFromString(w);
              OrderSpec s = tp::execsim::spec_from_proto(o);
              sink += s.id.size();
            }
          } else {
            sink += in.id.size();
          }
        }
      decode_s.push_back(start.cpu());
    }
    // The engine. Each request is copied into its argument as it is fed
    // (the copy baseline's cost, about a tenth, is included).
    {
      tp::execsim::Engine engine(model(), cash, 4096);
      std::vector<tp::execsim::Event> ev;
      ev.reserve(4096);
      size_t n = 0, f = 0;
      const Stopwatch start;
      double inputs_cpu = 0, bars_cpu = 0;
      for (size_t b = 0; b < stream.size(); ++b) {
        const auto& be = stream[b];
        const Stopwatch in_watch;
        for (size_t k = 0; k < be.inputs.size(); ++k) {
          const auto& in = be.inputs[k];
          if (in.kind == Input::kSubmit) {
            engine.submit(in.group, be.bar.open_ns, ev);
          } else if (in.kind == Input::kCancel) {
            engine.cancel(in.id, in.replacement, be.bar.open_ns, ev);
          } else {
            engine.replace(in.id, in.replacement, be.bar.open_ns, ev);
          }
          n += ev.size();
          ev.clear();
        }
        inputs_cpu += in_watch.cpu();
        const Stopwatch bar_watch;
        engine.on_bar(be.bar, ev);
        bars_cpu += bar_watch.cpu();
        for (const auto& e : ev) f += e.last_qty_e8 > 0;
        n += ev.size();
        ev.clear();
        max_working = std::max(max_working, engine.working());
      }
      engine_s.push_back(start.cpu());
      split_inputs_s.push_back(inputs_cpu);
      split_bars_s.push_back(bars_cpu);
      engine_wall_s.push_back(start.wall());
      exec_events = n;
      fills = f;
    }
  }
  // The whole core (lockstep, engine, texts, protobuf reports, positions),
  // fewer rounds: it is the shell's cost, not the engine's.
  for (int r = 0; r < (engine_only ? 0 : std::max(1, repeat / 2)); ++r) {
    tp::execsim::ExecsimConfig config;
    for (const char* s : kStrategies) config.strategies[s] = {{{"binance-us", "BTCUSDT"}}, kCash};
    config.fills = model();
    tp::execsim::ExecsimCore core(config);
    tp::runtime::Outbox out;
    v1::Instrument instrument;
    instrument.set_venue("binance-us");
    instrument.set_symbol("BTCUSDT");
    const Stopwatch start;
    for (size_t i = 0; i < stream.size(); ++i) {
      const auto& be = stream[i];
      v1::Bar bar;
      *bar.mutable_instrument() = instrument;
      bar.set_timeframe("1m");
      bar.set_open_time_ns(be.bar.open_ns);
      bar.set_close_time_ns(be.bar.close_ns);
      bar.set_open_e8(be.bar.open_e8);
      bar.set_high_e8(be.bar.high_e8);
      bar.set_low_e8(be.bar.low_e8);
      bar.set_close_e8(be.bar.close_e8);
      bar.set_volume_e8(be.bar.volume_e8);
      bar.set_quality_flags(be.bar.flags);
      (void)core.on_bar(bar, "", out);
      // The decisions "of" bar i are the inputs the engine sees at bar i + 1;
      // one intent per strategy and bar, so the core gets each input as one
      // intent of a strategy that has not decided yet, the rest as rejections.
      std::map<std::string, bool> decided;
      const auto& next = i + 1 < stream.size() ? stream[i + 1].inputs : be.inputs;
      for (const auto& in : next) {
        if (in.kind == Input::kSubmit && !decided[in.group[0].strategy]) {
          decided[in.group[0].strategy] = true;
          v1::OrderIntent intent;
          *intent.mutable_order() = tp::execsim::spec_to_proto(in.group[0], {"binance-us", "BTCUSDT"});
          intent.mutable_order()->mutable_trace()->set_event_time_ns(be.bar.open_ns);
          for (size_t k = 1; k < in.group.size(); ++k)
            *intent.add_legs() = tp::execsim::spec_to_proto(in.group[k], {"binance-us", "BTCUSDT"});
          (void)core.on_intent(intent, out);
        } else if (in.kind != Input::kSubmit) {
          v1::CancelRequest c;
          c.set_client_order_id(in.id);
          *c.mutable_instrument() = instrument;
          c.mutable_trace()->set_event_time_ns(be.bar.open_ns);
          (void)core.on_cancel(c, out);
        }
      }
      for (const char* s : kStrategies)
        if (!decided[s]) {
          v1::DecisionRejection rej;
          rej.set_strategy(s);
          *rej.mutable_instrument() = instrument;
          rej.mutable_trace()->set_event_time_ns(be.bar.open_ns);
          (void)core.on_rejection(rej, out);
        }
      sink += out.items().size();
      out.take();
      core.clear_pending_rows();
    }
    core_s.push_back(start.cpu());
  }
  // The core sees fewer order events (one intent per strategy and bar);
  // count what it was given.
  size_t core_events = 0;
  for (size_t i = 0; i + 1 < stream.size(); ++i) {
    std::map<std::string, bool> decided;
    for (const auto& in : stream[i + 1].inputs)
      if (in.kind == Input::kSubmit) {
        if (!decided[in.group[0].strategy]) {
          decided[in.group[0].strategy] = true;
          core_events += in.group.size();
        }
      } else {
        ++core_events;
      }
  }

  const double engine_med = median(engine_s), copy_med = median(copy_s), decode_med = median(decode_s);
  // "Order events" = what the engine handles: requests in (new orders,
  // cancels, replaces) plus execution events out (acks, triggers, fills,
  // cancels, expiries, restatements, rejects). Both are also given alone.
  const double requests_rate = static_cast<double>(order_events) / engine_med;
  const double exec_rate = static_cast<double>(exec_events) / engine_med;
  const double engine_rate = requests_rate + exec_rate;
  nlohmann::json j;
  j["bars"] = bars;
  j["events_per_bar"] = per_bar;
  j["rounds"] = repeat;
  j["seed"] = seed;
  j["requests_per_round"] = order_events;
  j["exec_events_per_round"] = exec_events;
  j["fills_per_round"] = fills;
  j["max_working_orders"] = max_working;
  j["engine_cpu_seconds_median"] = engine_med;
  j["engine_wall_seconds_median"] = median(engine_wall_s);
  j["engine_requests_cpu_seconds_median"] = median(split_inputs_s);  // submit / cancel / replace calls
  j["engine_bars_cpu_seconds_median"] = median(split_bars_s);        // on_bar calls
  j["engine_requests_per_second"] = requests_rate;
  j["engine_exec_events_per_second"] = exec_rate;
  j["engine_order_events_per_second"] = engine_rate;
  j["engine_ns_per_request"] = engine_med * 1e9 / static_cast<double>(order_events);
  j["engine_ns_per_order_event"] = engine_med * 1e9 / static_cast<double>(order_events + exec_events);
  if (!engine_only) {
    j["baseline_copy_requests_per_second"] = static_cast<double>(order_events) / copy_med;
    j["baseline_decode_requests_per_second"] = static_cast<double>(order_events) / decode_med;
    j["engine_to_copy_baseline_ratio"] = copy_med / engine_med;
    j["engine_to_decode_baseline_ratio"] = decode_med / engine_med;
    j["core_requests_per_round"] = core_events;
    j["core_requests_per_second"] = static_cast<double>(core_events) / median(core_s);
  }
  j["target_order_events_per_second"] = 1'000'000;
  j["target_met"] = engine_rate >= 1e6;
  j["checksum"] = sink % 1000;
  std::cout << j.dump(2) << "\n";
  return 0;
}
