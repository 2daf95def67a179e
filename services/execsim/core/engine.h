// The matching and fill engine of one instrument: working orders, the
// sleeves (books) of the strategies that trade it, the order-entry checks
// (reduce-only, buying power) and the rules that turn bars into triggers,
// fills, cancels and expiries. Pure: it is driven only
// by the calls below, and the times passed in are its clock (no system
// clock, no I/O), so the same calls always give the same events.
//
//   Engine engine(model, {{"momo", initial_cash_e8}}, 4096);
//   std::vector<Event> ev;
//   engine.submit({entry, take_profit, stop_loss}, bar_open_ns, ev);  // static rejects now
//   engine.cancel("momo-...-1700000000", trace, bar_open_ns, ev);
//   engine.on_bar(bar, ev);   // arrivals, cancels, triggers, fills, expiries, in path order
//   for (const Event& e : ev) ... e.order->spec.id, e.type, e.last_price_e8 ...
//
// Event::order points into the engine and is valid until the next call.
// The state machine, the fill assumptions and every text are documented in
// docs/services/execsim.md. Not thread-safe (one caller).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "execsim/core/book.h"
#include "execsim/core/costs.h"
#include "execsim/core/execsim_config.h"
#include "execsim/core/orders.h"
#include "execsim/core/path.h"
#include "execsim/core/pool.h"
#include "tp/core/error.h"
#include "trading/v1/execution.pb.h"

namespace tp::execsim {

struct BarInput {
  int64_t open_ns = 0;
  int64_t close_ns = 0;
  int64_t open_e8 = 0;
  int64_t high_e8 = 0;
  int64_t low_e8 = 0;
  int64_t close_e8 = 0;
  int64_t volume_e8 = 0;
  uint32_t flags = 0;
};

// What working orders hold of their sleeve's buying power (one side): their
// leaves, valued at their own reference price (limit, stop) or, for orders
// without one (market, triggered stop, trailing stop), at the current
// price. Derived from the orders, not snapshot state.
struct Reservation {
  int64_t quantity_e8 = 0;
  __int128 priced_e16 = 0;  // exact sum of leaves x reference of the orders with a price of their own
  int64_t floating_e8 = 0;  // leaves of the orders valued at the current price
};

struct LiveOrder;
// The engine's indexes of working orders (pool-allocated nodes).
using LevelIndex = std::multimap<int64_t, LiveOrder*, std::less<int64_t>,
                                 PoolAllocator<std::pair<const int64_t, LiveOrder*>>>;
using SeqIndex = std::map<uint64_t, LiveOrder*, std::less<uint64_t>,
                          PoolAllocator<std::pair<const uint64_t, LiveOrder*>>>;

// An order as the venue holds it.
struct LiveOrder {
  static void* operator new(size_t size) {
    return size == sizeof(LiveOrder) ? FreeList<sizeof(LiveOrder)>::get() : ::operator new(size);
  }
  static void operator delete(void* p, size_t size) {
    if (size == sizeof(LiveOrder))
      FreeList<sizeof(LiveOrder)>::put(p);
    else
      ::operator delete(p);
  }

  OrderSpec spec;                 // as submitted, or as last replaced
  uint64_t seq = 0;               // priority: submission (or last replace) order
  trading::v1::OrderStatus status = trading::v1::ORDER_STATUS_PENDING_NEW;
  int64_t send_ns = 0;
  int64_t arrival_ns = 0;
  int64_t expire_at_ns = 0;       // DAY / GTD; 0 = never
  int64_t quantity_e8 = 0;        // current quantity (replace, child resize)
  int64_t cum_e8 = 0;
  int64_t cum_notional_e8 = 0;
  int64_t cum_fees_e8 = 0;        // fees charged (minimum included)
  int64_t rate_fees_e8 = 0;       // fees at the tier rates, before the minimum
  uint64_t events = 0;            // last event number used in an exec id
  bool triggered = false;         // stop types: triggered
  int64_t stop_e8 = 0;            // current trigger price (stop, trailing stop)
  int64_t extreme_e8 = 0;         // trailing stop: high (sell) or low (buy) water mark
  int64_t reported_stop_e8 = 0;   // last trailing stop published (RESTATED)
  int64_t slice_left_e8 = 0;      // iceberg: displayed quantity not yet filled
  int64_t slice_no = 0;           // iceberg: slices displayed so far
  std::vector<std::string> children;
  bool oco_done = false;          // OCO: siblings already canceled
  void* slot = nullptr;           // the engine's id slot (Engine::ids_)
  void* sleeve = nullptr;         // the strategy's sleeve (Engine::sleeves_)
  Reservation reserved;           // what it holds of the sleeve's buying power (derived)
  // Within the current bar (reset lazily when `epoch` is not the engine's).
  uint64_t epoch = 0;
  uint32_t version = 0;           // candidates of an older version are stale
  int64_t slices_this_bar = 0;
  bool slice_counted = false;     // the displayed slice already counted in slices_this_bar
  Pos trail_from;                 // where the trailing mark was last brought up to date
  bool waiting_exec = false;      // IOC/FOK arrived, execution pending at the same instant
  // The engine's indexes (see Engine::index).
  int8_t index_kind = -1;
  LevelIndex::iterator level_it;
  SeqIndex::iterator always_it;
  bool expiry_indexed = false;
  LevelIndex::iterator expiry_it;

  int64_t leaves() const { return quantity_e8 - cum_e8; }
  bool terminal() const;
};

// How a fill's price came about.
enum class Basis : uint8_t {
  kNone,
  kMarket,           // market order at the path price (open, or arrival after latency)
  kStop,             // stop / trailing stop triggered on the path: at the stop price
  kStopGap,          // stop already beyond the stop when reached (gap, arrival): at the current price
  kLimitResting,     // resting limit traded through (or touched): at the limit
  kLimitGap,         // resting limit the bar opened beyond: at the open (gap_fill "open")
  kLimitMarketable,  // limit marketable when it became live: taker at the current price, within the limit
};

// Why a non-fill event happened (the renderer turns it into text).
enum class Why : uint8_t {
  kNone,
  kText,               // Event::text says it all
  kAccepted,
  kAcceptedInactive,   // contingent child, waits for its parent
  kActivated,          // parent filled: child live
  kActivatedResized,   // parent ended after a partial fill: child live for the filled quantity
  kCanceledOnRequest,
  kCanceledInFlight,   // canceled before it arrived
  kOcoSibling,         // an OCO sibling filled
  kParentEnded,        // parent canceled / expired / rejected without a fill
  kReduceOnlyFlat,     // reduce-only and the position no longer allows it
  kIocRemainder,
  kDayExpired,
  kGtdExpired,
  kTriggered,          // stop reached on the path
  kTriggeredGap,       // stop already beyond (gap or arrival)
  kTrailMoved,
  kReplaced,
};

enum class Cap : uint8_t { kNone, kVolume, kReduceOnly, kIcebergSlice };

struct Event {
  trading::v1::ExecType type = trading::v1::EXEC_TYPE_UNSPECIFIED;
  trading::v1::OrderStatus status = trading::v1::ORDER_STATUS_UNSPECIFIED;
  trading::v1::RejectReason reason = trading::v1::REJECT_REASON_UNSPECIFIED;
  const LiveOrder* order = nullptr;
  uint64_t number = 0;
  int64_t time_ns = 0;  // event time: the bar open (or the send time of a submit-time reject)
  // The order after the event.
  int64_t cum_e8 = 0;
  int64_t cum_notional_e8 = 0;
  int64_t leaves_e8 = 0;
  int64_t quantity_e8 = 0;
  int64_t stop_e8 = 0;
  int64_t cum_fees_e8 = 0;
  // Fills.
  int64_t last_qty_e8 = 0;
  int64_t last_price_e8 = 0;
  int64_t fee_e8 = 0;
  trading::v1::Liquidity liquidity = trading::v1::LIQUIDITY_UNSPECIFIED;
  Basis basis = Basis::kNone;
  int64_t reference_e8 = 0;   // price before slippage (open, path price, stop, limit)
  Slippage slip;
  bool limit_bound = false;   // a marketable limit's price was held at its limit
  int64_t fee_bps_e8 = 0;
  uint32_t tier = 0;
  int64_t rate_fee_e8 = 0;    // fee at the rate, before the per-order minimum
  Cap cap = Cap::kNone;
  int64_t bar_volume_e8 = 0;
  int64_t cap_e8 = 0;         // position (reduce-only) or slice (iceberg) it was capped at
  char extreme = 0;           // 'H' / 'L': the path point that reached the order
  int64_t extreme_e8 = 0;
  int64_t water_mark_e8 = 0;  // trailing stop
  int64_t next_slice_e8 = 0;  // iceberg: quantity displayed after this fill
  bool at_open = false;
  int64_t arrival_ns = 0;     // arrival time when not at the bar open (latency)
  int64_t path_price_e8 = 0;  // path price at the event
  // Everything else.
  Why why = Why::kNone;
  std::string text;           // dynamic part (reject texts, IOC reasons, replace changes)
  std::string other_id;       // the sibling / parent the event refers to
  std::optional<Closing> closing;
};

// The snapshot encoding of an order spec (also used to convert old snapshots).
void spec_to_json(const OrderSpec& spec, nlohmann::json& j);

class Engine {
 public:
  Engine(const FillModel& model, const std::map<std::string, int64_t>& initial_cash,
         int64_t finished_memory);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // A group decided before `send_ns` (group[0] the order, then its legs):
  // checked now (rejects are emitted at once), queued to arrive at
  // send_ns + latency.
  // `problem`: a fault the caller found (e.g. a leg for another instrument).
  void submit(std::vector<OrderSpec> group, int64_t send_ns, std::vector<Event>& out,
              std::optional<GroupProblem> problem = std::nullopt);
  // Cancel (or cancel/replace) sent at `send_ns`, applied when it arrives.
  // `trace` names the requester for reports about unknown orders.
  void cancel(const std::string& id, const OrderSpec& trace, int64_t send_ns,
              std::vector<Event>& out);
  void replace(const std::string& id, OrderSpec replacement, int64_t send_ns,
               std::vector<Event>& out);
  // Processes one bar: everything arriving or happening before its close.
  void on_bar(const BarInput& bar, std::vector<Event>& out);

  const Book* book(const std::string& strategy) const;
  // What the strategy's working opening orders on one side hold of its buying power.
  Reservation reserved(const std::string& strategy, bool buy) const;
  std::map<std::string, Book> books() const;
  const LiveOrder* find(const std::string& id) const;
  std::vector<const LiveOrder*> orders() const;  // not terminal, by priority
  size_t working() const { return working_; }
  int64_t atr_e8() const { return atr_.value(); }

  void to_json(nlohmann::json& j) const;
  [[nodiscard]] Status from_json(const nlohmann::json& j);

 private:
  struct Sleeve {
    Book book;
    FeeVolume volume;
    Reservation reserved[2];  // working opening orders: [0] buys, [1] sells (derived)
  };
  struct Scheduled {
    enum Kind : uint8_t { kOrder, kCancel, kReplace } kind = kOrder;
    uint64_t seq = 0;
    int64_t send_ns = 0;
    int64_t arrival_ns = 0;
    LiveOrder* order = nullptr;          // kOrder: the pending order
    std::string id;                      // kCancel / kReplace: the target
    std::unique_ptr<OrderSpec> request;  // cancel: trace; replace: the replacement
  };
  // Everything the venue knows about one client order id: the order while
  // it works, and afterwards its last event number (exec ids never repeat)
  // and whether it was an order (a second order with the id is a duplicate).
  struct Slot {
    std::unique_ptr<LiveOrder> live;
    uint64_t events = 0;
    bool was_order = false;
    bool remembered = false;  // in finished_order_
  };
  using SlotNode = std::pair<const std::string, Slot>;
  enum class Kind : uint8_t { kExpire, kScheduled, kArrive, kExec, kTrigger };
  struct Candidate {
    Pos pos;
    double key = 0;          // pos as a double: orders all but exact ties cheaply
    uint8_t cls = 0;
    uint64_t seq = 0;
    Kind kind = Kind::kExec;
    LiveOrder* order = nullptr;
    uint32_t version = 0;
    Basis basis = Basis::kNone;
    int64_t level = 0;       // trigger price
    int64_t extreme = 0;     // trailing mark at the trigger
    size_t item = 0;         // index into arriving_
  };
  // What the heap orders: position (as a double, exact on ties), then
  // class, priority and kind packed in `tie`; the candidate lives in cands_.
  struct HeapItem {
    double key = 0;
    uint64_t tie = 0;
    uint32_t idx = 0;
  };
  bool later(const HeapItem& a, const HeapItem& b) const;

  LiveOrder* find_live(const std::string& id);
  LiveOrder* find_any(const std::string& id);
  Sleeve* sleeve(const std::string& strategy);
  Event& emit(std::vector<Event>& out, trading::v1::ExecType type, LiveOrder& o);
  LiveOrder& ghost(const OrderSpec& spec);
  void reject_now(LiveOrder& o, trading::v1::RejectReason reason, std::string text,
                  std::vector<Event>& out);
  void remember(const std::string& id, uint64_t events, bool was_order);
  void remember_slot(SlotNode& node);
  void retire(LiveOrder& o);
  void end_order(LiveOrder& o, trading::v1::ExecType type, trading::v1::OrderStatus status,
                 Why why, std::string text, trading::v1::RejectReason reason, const Pos& pos,
                 std::vector<Event>& out);
  void children_after_parent(LiveOrder& parent, const Pos& pos, std::vector<Event>& out);
  void activate(LiveOrder& child, LiveOrder& parent, const Pos& pos, std::vector<Event>& out);

  void push(Candidate c);
  void push_exec(LiveOrder& o, const Pos& pos, Basis basis, int64_t level = 0);
  void init_trailing(LiveOrder& o, const Pos& pos);
  void becomes_live(LiveOrder& o, const Pos& pos);
  void resting_limit(LiveOrder& o, const Pos& from, bool bar_start);
  void schedule_resting(LiveOrder& o, const Pos& from, bool bar_start);
  std::optional<std::string> reduce_only_problem(const LiveOrder& o, int64_t qty) const;
  int64_t reduce_only_room(const LiveOrder& o) const;
  // Buying power (docs/services/execsim.md, "Buying power"): why `qty` of
  // `spec` (o's spec, or its replacement) may not open now, if so.
  std::optional<std::string> funds_problem(const LiveOrder& o, const OrderSpec& spec, int64_t qty,
                                           const Pos& pos, bool replace = false) const;
  void reserve(LiveOrder& o);  // brings o's share of its sleeve's Reservation up to date
  std::string untradable_reason() const;
  void fresh(LiveOrder& o) const;
  void index(LiveOrder& o);
  void unindex(LiveOrder& o);
  void index_expiry(LiveOrder& o);
  void arrive(LiveOrder& o, const Pos& pos, std::vector<Event>& out);
  void schedule_request(Scheduled::Kind kind, const std::string& id, OrderSpec request,
                        int64_t send_ns);
  void reject_unknown(const Scheduled& s, const char* verb, std::vector<Event>& out);
  void apply_cancel(const Scheduled& s, const Pos& pos, std::vector<Event>& out);
  void apply_replace(Scheduled& s, const Pos& pos, std::vector<Event>& out);
  void trigger(LiveOrder& o, const Candidate& c, std::vector<Event>& out);
  void execute(LiveOrder& o, const Pos& pos, Basis basis, int64_t level,
               std::vector<Event>& out);
  bool marketable(const LiveOrder& o, int64_t price) const;
  int64_t day_end(int64_t t_ns) const;

  FillModel model_;
  std::vector<FeeTier> tiers_;
  int64_t finished_memory_;
  std::map<std::string, Sleeve> sleeves_;
  std::unordered_map<std::string, Slot, std::hash<std::string>, std::equal_to<std::string>,
                     PoolAllocator<std::pair<const std::string, Slot>>>
      ids_;
  size_t working_ = 0;
  std::deque<Scheduled> scheduled_;  // by arrival (send order, constant latency)
  std::deque<const std::string*> finished_order_;  // ids of finished orders, oldest first
  // Working orders by what can wake them up, so a bar only visits the
  // orders its price range reaches: resting limits and untriggered stops by
  // price (buy limits and sell stops keyed by the negated price, so each
  // index is visited from the front), everything else (market orders,
  // triggered stops, trailing stops) always, by priority; and expiries.
  enum : int8_t { kBuyLimits, kSellLimits, kBuyStops, kSellStops, kAlways };
  LevelIndex levels_[4];
  SeqIndex always_;
  LevelIndex expiries_;
  uint64_t epoch_ = 0;
  Atr atr_;
  uint64_t next_seq_ = 1;
  // Per call.
  std::vector<std::unique_ptr<LiveOrder>> retired_;
  // Per bar.
  BarInput bar_;
  Path path_;
  bool tradable_ = false;
  int64_t capacity_ = 0;
  std::vector<HeapItem> heap_;
  std::vector<SlotNode*> scratch_known_;
  std::vector<Sleeve*> scratch_sleeves_;
  std::vector<std::unique_ptr<LiveOrder>> scratch_made_;
  std::vector<Candidate> cands_;
  std::vector<Scheduled> arriving_;
};

}  // namespace tp::execsim
