#include "execsim/core/engine.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tp/core/fixed_point.h"

namespace tp::execsim {

namespace v1 = trading::v1;

namespace {

constexpr int64_t kDayNs = 86'400LL * 1'000'000'000LL;

std::string dec(int64_t e8) { return fixed::to_string(e8); }
int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

bool is_terminal(v1::OrderStatus s) {
  return s == v1::ORDER_STATUS_FILLED || s == v1::ORDER_STATUS_CANCELED ||
         s == v1::ORDER_STATUS_EXPIRED || s == v1::ORDER_STATUS_REJECTED;
}

bool taker_basis(Basis b) {
  return b == Basis::kMarket || b == Basis::kStop || b == Basis::kStopGap ||
         b == Basis::kLimitMarketable;
}

// The price an order is valued at by the buying-power check: the limit
// (LIMIT, STOP_LIMIT), the stop (STOP not yet triggered); 0 = the current
// price (MARKET, triggered STOP, TRAILING_STOP).
int64_t own_reference(const OrderSpec& s, bool triggered) {
  switch (s.type) {
    case v1::ORDER_TYPE_LIMIT:
    case v1::ORDER_TYPE_STOP_LIMIT:
      return s.limit_e8;
    case v1::ORDER_TYPE_STOP:
      return triggered ? 0 : s.stop_e8;
    default:
      return 0;
  }
}

void add(Reservation& sum, const Reservation& r, int64_t sign) {
  sum.quantity_e8 += sign * r.quantity_e8;
  sum.priced_e16 += sign * r.priced_e16;
  sum.floating_e8 += sign * r.floating_e8;
}

}  // namespace

bool LiveOrder::terminal() const { return is_terminal(status); }

Engine::Engine(const FillModel& model, const std::map<std::string, int64_t>& initial_cash,
               int64_t finished_memory)
    : model_(model), tiers_(model.tiers()), finished_memory_(finished_memory), atr_(model.atr_bars) {
  for (const auto& [strategy, cash] : initial_cash) sleeves_[strategy].book.cash_e8 = cash;
}

bool Engine::later(const HeapItem& a, const HeapItem& b) const {
  // Doubles round monotonically, so different keys order the positions
  // correctly; equal keys fall back to the exact comparison.
  if (a.key != b.key) return a.key > b.key;
  const Pos& pa = cands_[a.idx].pos;
  const Pos& pb = cands_[b.idx].pos;
  if (pa.num != 0 || pb.num != 0) {
    const int c = compare(pa, pb);
    if (c != 0) return c > 0;
  }
  return a.tie > b.tie;
}

// ------------------------------------------------------------------ lookups

LiveOrder* Engine::find_live(const std::string& id) {
  auto it = ids_.find(id);
  return it == ids_.end() ? nullptr : it->second.live.get();
}

LiveOrder* Engine::find_any(const std::string& id) {
  if (LiveOrder* o = find_live(id)) return o;
  for (auto& r : retired_)
    if (r->spec.id == id) return r.get();
  return nullptr;
}

const LiveOrder* Engine::find(const std::string& id) const {
  auto it = ids_.find(id);
  return it == ids_.end() ? nullptr : it->second.live.get();
}

std::vector<const LiveOrder*> Engine::orders() const {
  std::vector<const LiveOrder*> out;
  out.reserve(working_);
  for (const auto& [id, slot] : ids_)
    if (slot.live) out.push_back(slot.live.get());
  std::sort(out.begin(), out.end(),
            [](const LiveOrder* a, const LiveOrder* b) { return a->seq < b->seq; });
  return out;
}

Engine::Sleeve* Engine::sleeve(const std::string& strategy) {
  auto it = sleeves_.find(strategy);
  return it == sleeves_.end() ? nullptr : &it->second;
}

const Book* Engine::book(const std::string& strategy) const {
  auto it = sleeves_.find(strategy);
  return it == sleeves_.end() ? nullptr : &it->second.book;
}

Reservation Engine::reserved(const std::string& strategy, bool buy) const {
  auto it = sleeves_.find(strategy);
  return it == sleeves_.end() ? Reservation{} : it->second.reserved[buy ? 0 : 1];
}

std::map<std::string, Book> Engine::books() const {
  std::map<std::string, Book> out;
  for (const auto& [s, sl] : sleeves_) out[s] = sl.book;
  return out;
}

// ------------------------------------------------------------------ events

Event& Engine::emit(std::vector<Event>& out, v1::ExecType type, LiveOrder& o) {
  Event& e = out.emplace_back();
  e.type = type;
  e.order = &o;
  e.number = ++o.events;
  e.time_ns = bar_.open_ns;
  e.status = o.status;
  e.cum_e8 = o.cum_e8;
  e.cum_notional_e8 = o.cum_notional_e8;
  e.leaves_e8 = o.terminal() ? 0 : o.leaves();
  e.quantity_e8 = o.quantity_e8;
  e.stop_e8 = o.stop_e8;
  e.cum_fees_e8 = o.cum_fees_e8;
  return e;
}

LiveOrder& Engine::ghost(const OrderSpec& spec) {
  auto g = std::make_unique<LiveOrder>();
  g->spec = spec;
  g->status = v1::ORDER_STATUS_UNSPECIFIED;  // the venue has no such working order
  if (auto f = ids_.find(spec.id); f != ids_.end()) g->events = f->second.events;
  retired_.push_back(std::move(g));
  return *retired_.back();
}

void Engine::remember(const std::string& id, uint64_t events, bool was_order) {
  auto it = ids_.try_emplace(id).first;
  it->second.events = events;
  it->second.was_order = it->second.was_order || was_order;
  remember_slot(*it);
}

void Engine::remember_slot(SlotNode& node) {
  if (node.second.remembered) return;
  node.second.remembered = true;
  finished_order_.push_back(&node.first);
  while (static_cast<int64_t>(finished_order_.size()) > finished_memory_) {
    auto it = ids_.find(*finished_order_.front());
    finished_order_.pop_front();
    if (it == ids_.end()) continue;
    if (it->second.live)  // an id first seen in a cancel, now a working order
      it->second.remembered = false;
    else
      ids_.erase(it);
  }
}

void Engine::fresh(LiveOrder& o) const {
  if (o.epoch == epoch_) return;
  o.epoch = epoch_;
  o.slices_this_bar = 0;
  o.slice_counted = false;
  o.trail_from = Path::start();
}

void Engine::unindex(LiveOrder& o) {
  if (o.index_kind >= 0 && o.index_kind < kAlways)
    levels_[o.index_kind].erase(o.level_it);
  else if (o.index_kind == kAlways)
    always_.erase(o.always_it);
  o.index_kind = -1;
}

void Engine::index(LiveOrder& o) {
  unindex(o);
  const bool live = o.status == v1::ORDER_STATUS_NEW || o.status == v1::ORDER_STATUS_TRIGGERED ||
                    o.status == v1::ORDER_STATUS_PARTIALLY_FILLED;
  if (!live || o.spec.immediate()) return;
  const bool buy = o.spec.buy();
  auto level = [&](int8_t kind, int64_t key) {
    o.index_kind = kind;
    o.level_it = levels_[kind].emplace(key, &o);
  };
  auto limit = [&] { buy ? level(kBuyLimits, -o.spec.limit_e8) : level(kSellLimits, o.spec.limit_e8); };
  auto stop = [&] { buy ? level(kBuyStops, o.stop_e8) : level(kSellStops, -o.stop_e8); };
  switch (o.spec.type) {
    case v1::ORDER_TYPE_LIMIT:
      limit();
      return;
    case v1::ORDER_TYPE_STOP:
      if (!o.triggered) return stop();
      break;
    case v1::ORDER_TYPE_STOP_LIMIT:
      return o.triggered ? limit() : stop();
    default:  // market, trailing stop, triggered stop
      break;
  }
  o.index_kind = kAlways;
  o.always_it = always_.emplace(o.seq, &o).first;
}

void Engine::index_expiry(LiveOrder& o) {
  if (o.expiry_indexed) expiries_.erase(o.expiry_it);
  o.expiry_indexed = false;
  if (o.expire_at_ns == 0 || o.terminal() || o.status == v1::ORDER_STATUS_PENDING_NEW) return;
  o.expiry_it = expiries_.emplace(o.expire_at_ns, &o);
  o.expiry_indexed = true;
}

void Engine::retire(LiveOrder& o) {
  if (o.sleeve) {  // a finished order holds no buying power
    add(static_cast<Sleeve*>(o.sleeve)->reserved[o.spec.buy() ? 0 : 1], o.reserved, -1);
    o.reserved = {};
  }
  unindex(o);
  if (o.expiry_indexed) expiries_.erase(o.expiry_it);
  o.expiry_indexed = false;
  auto* node = static_cast<SlotNode*>(o.slot);
  if (!node || node->second.live.get() != &o) {  // never accepted (a submit-time reject)
    remember(o.spec.id, o.events, true);
    return;
  }
  o.slot = nullptr;
  node->second.events = o.events;
  node->second.was_order = true;
  retired_.push_back(std::move(node->second.live));
  --working_;
  remember_slot(*node);
}

void Engine::end_order(LiveOrder& o, v1::ExecType type, v1::OrderStatus status, Why why,
                       std::string text, v1::RejectReason reason, const Pos& pos,
                       std::vector<Event>& out) {
  o.status = status;
  o.waiting_exec = false;
  ++o.version;
  Event& e = emit(out, type, o);
  e.why = why;
  e.text = std::move(text);
  e.reason = reason;
  if (why == Why::kParentEnded) e.other_id = o.spec.parent;
  retire(o);
  children_after_parent(o, pos, out);
}

void Engine::children_after_parent(LiveOrder& parent, const Pos& pos, std::vector<Event>& out) {
  if (parent.children.empty() || !parent.terminal()) return;
  for (const auto& id : parent.children) {
    LiveOrder* c = find_live(id);
    if (!c || c->status != v1::ORDER_STATUS_INACTIVE) continue;  // pending ones check on arrival
    if (parent.cum_e8 > 0) {
      activate(*c, parent, pos, out);
    } else {
      std::string how = parent.status == v1::ORDER_STATUS_EXPIRED    ? "expired"
                        : parent.status == v1::ORDER_STATUS_REJECTED ? "was rejected"
                                                                     : "was canceled";
      end_order(*c, v1::EXEC_CANCELED, v1::ORDER_STATUS_CANCELED, Why::kParentEnded,
                "parent " + parent.spec.id + " " + how + " without a fill",
                v1::REJECT_REASON_UNSPECIFIED, pos, out);
    }
  }
}

void Engine::activate(LiveOrder& c, LiveOrder& parent, const Pos& pos, std::vector<Event>& out) {
  fresh(c);
  const bool resized = parent.status != v1::ORDER_STATUS_FILLED && parent.cum_e8 < c.quantity_e8;
  if (resized) c.quantity_e8 = parent.cum_e8;
  if (c.spec.display_e8 > 0) c.slice_left_e8 = std::min(c.spec.display_e8, c.leaves());
  c.status = v1::ORDER_STATUS_NEW;
  ++c.version;
  if (c.spec.reduce_only) {
    if (auto why = reduce_only_problem(c, c.leaves())) {
      end_order(c, v1::EXEC_CANCELED, v1::ORDER_STATUS_CANCELED, Why::kReduceOnlyFlat,
                "activated by parent " + parent.spec.id + " but " + *why, v1::REJECT_REDUCE_ONLY,
                pos, out);
      return;
    }
  } else if (auto why = funds_problem(c, c.spec, c.leaves(), pos)) {
    end_order(c, v1::EXEC_CANCELED, v1::ORDER_STATUS_CANCELED, Why::kText,
              "activated by parent " + parent.spec.id + " but " + *why,
              v1::REJECT_INSUFFICIENT_FUNDS, pos, out);
    return;
  }
  reserve(c);
  init_trailing(c, pos);
  Event& e = emit(out, v1::EXEC_TRIGGERED, c);
  e.why = resized ? Why::kActivatedResized : Why::kActivated;
  e.other_id = parent.spec.id;
  e.text = resized ? dec(parent.cum_e8) + " of " + dec(parent.quantity_e8) : "";
  index(c);
  if (c.spec.immediate())
    push_exec(c, pos, c.spec.type == v1::ORDER_TYPE_MARKET ? Basis::kMarket
                      : (tradable_ && marketable(c, price_at(path_, pos))) ? Basis::kLimitMarketable
                                                                           : Basis::kNone);
  else
    becomes_live(c, pos);
}

void Engine::reject_now(LiveOrder& o, v1::RejectReason reason, std::string text,
                        std::vector<Event>& out) {
  o.status = v1::ORDER_STATUS_REJECTED;
  Event& e = emit(out, v1::EXEC_REJECTED, o);
  e.time_ns = o.send_ns;
  e.reason = reason;
  e.why = Why::kText;
  e.text = std::move(text);
  remember(o.spec.id, o.events, true);
}


// ------------------------------------------------------------------ inputs

void Engine::submit(std::vector<OrderSpec> group, int64_t send_ns, std::vector<Event>& out,
                    std::optional<GroupProblem> problem) {
  retired_.clear();
  if (group.empty()) return;
  // Event numbers already used by these ids (an earlier cancel of an unknown id).
  // One slot per id (created now: a rejected order is remembered too).
  auto& known = scratch_known_;
  auto& books = scratch_sleeves_;
  known.assign(group.size(), nullptr);
  books.assign(group.size(), nullptr);
  for (size_t i = 0; i < group.size(); ++i) {
    known[i] = &*ids_.try_emplace(group[i].id).first;
    books[i] = sleeve(group[i].strategy);
  }
  for (size_t i = 0; i < group.size() && !problem; ++i) {
    const OrderSpec& s = group[i];
    if (!books[i]) {
      problem = GroupProblem{i, {v1::REJECT_UNKNOWN_INSTRUMENT,
                                 "strategy '" + s.strategy + "' has no book for this instrument"}};
    } else if (known[i]->second.live || known[i]->second.was_order) {
      problem = GroupProblem{i, {v1::REJECT_DUPLICATE_ORDER, "duplicate client_order_id " + s.id}};
    } else if (auto p = static_problem(s)) {
      problem = GroupProblem{i, *p};
    }
  }
  if (!problem) problem = group_problem(group);
  if (!problem) {
    for (size_t i = 0; i < group.size() && !problem; ++i)
      if (group[i].tif == v1::TIME_IN_FORCE_GTD && group[i].expire_ns <= send_ns)
        problem = GroupProblem{i, {v1::REJECT_EXPIRED,
                                   "GTD expire time " + std::to_string(group[i].expire_ns) +
                                       " ns is not after the send time " + std::to_string(send_ns) +
                                       " ns"}};
  }
  auto& made = scratch_made_;
  made.clear();
  for (size_t i = 0; i < group.size(); ++i) {
    auto o = std::make_unique<LiveOrder>();
    o->sleeve = books[i];
    o->spec = std::move(group[i]);
    o->send_ns = send_ns;
    o->arrival_ns = send_ns + model_.latency_ns;
    o->quantity_e8 = o->spec.quantity_e8;
    // A duplicate of a working order continues that order's numbering.
    const Slot& slot = known[i]->second;
    o->events = slot.live ? slot.live->events : slot.events;
    made.push_back(std::move(o));
  }
  if (problem) {
    const std::string culprit = made[problem->member]->spec.id;
    for (size_t i = 0; i < made.size(); ++i) {
      LiveOrder& o = *made[i];
      if (i == problem->member)
        reject_now(o, problem->problem.reason, problem->problem.text, out);
      else
        reject_now(o, v1::REJECT_INVALID_CONTINGENCY,
                   "rejected with its group: " + culprit + ": " +
                       problem->problem.text,
                   out);
      if (LiveOrder* live = known[i]->second.live.get()) live->events = o.events;
      retired_.push_back(std::move(made[i]));
    }
    return;
  }
  const bool parented = made[0]->spec.contingency == v1::CONTINGENCY_OTO ||
                        made[0]->spec.contingency == v1::CONTINGENCY_BRACKET;
  for (size_t i = 0; i < made.size(); ++i) {
    LiveOrder& o = *made[i];
    if (parented && i > 0) made[0]->children.push_back(o.spec.id);
    o.seq = next_seq_++;
    o.status = v1::ORDER_STATUS_PENDING_NEW;
    o.stop_e8 = o.spec.stop_e8;
    o.expire_at_ns = o.spec.tif == v1::TIME_IN_FORCE_GTD   ? o.spec.expire_ns
                     : o.spec.tif == v1::TIME_IN_FORCE_DAY ? day_end(send_ns)
                                                           : 0;
    if (o.spec.display_e8 > 0) {
      o.slice_left_e8 = std::min(o.spec.display_e8, o.quantity_e8);
      o.slice_no = 1;
    }
    Scheduled s;
    s.kind = Scheduled::kOrder;
    s.seq = o.seq;
    s.send_ns = send_ns;
    s.arrival_ns = o.arrival_ns;
    s.order = &o;
    scheduled_.push_back(std::move(s));
  }
  for (size_t i = 0; i < made.size(); ++i) {
    SlotNode& node = *known[i];
    made[i]->slot = &node;
    node.second.live = std::move(made[i]);
    ++working_;
  }
}

void Engine::cancel(const std::string& id, const OrderSpec& trace, int64_t send_ns,
                    std::vector<Event>&) {
  schedule_request(Scheduled::kCancel, id, trace, send_ns);
}

void Engine::replace(const std::string& id, OrderSpec replacement, int64_t send_ns,
                     std::vector<Event>&) {
  schedule_request(Scheduled::kReplace, id, std::move(replacement), send_ns);
}

// A cancel or replace travels like an order: it arrives after the latency.
void Engine::schedule_request(Scheduled::Kind kind, const std::string& id, OrderSpec request,
                              int64_t send_ns) {
  retired_.clear();
  Scheduled s;
  s.kind = kind;
  s.seq = next_seq_++;
  s.send_ns = send_ns;
  s.arrival_ns = send_ns + model_.latency_ns;
  s.id = id;
  s.request = std::make_unique<OrderSpec>(std::move(request));
  scheduled_.push_back(std::move(s));
}

int64_t Engine::day_end(int64_t t) const {
  int64_t e = utc_day(t) * kDayNs + model_.session_end_ns;
  if (e <= t) e += kDayNs;
  return e;
}

// ------------------------------------------------------------------ the bar

void Engine::push(Candidate c) {
  HeapItem h;
  h.key = c.pos.num == 0 ? static_cast<double>(c.pos.seg)
                         : static_cast<double>(c.pos.seg) +
                               static_cast<double>(c.pos.num) / static_cast<double>(c.pos.den);
  h.tie = (static_cast<uint64_t>(c.cls) << 61) | (c.seq << 3) | static_cast<uint64_t>(c.kind);
  h.idx = static_cast<uint32_t>(cands_.size());
  cands_.push_back(c);
  heap_.push_back(h);
  std::push_heap(heap_.begin(), heap_.end(),
                 [this](const HeapItem& a, const HeapItem& b) { return later(a, b); });
}

void Engine::push_exec(LiveOrder& o, const Pos& pos, Basis basis, int64_t level) {
  Candidate c;
  c.pos = pos;
  c.cls = 3;
  c.seq = o.seq;
  c.kind = Kind::kExec;
  c.order = &o;
  c.version = o.version;
  c.basis = basis;
  c.level = level;
  push(c);
}

bool Engine::marketable(const LiveOrder& o, int64_t price) const {
  return o.spec.buy() ? o.spec.limit_e8 > price : o.spec.limit_e8 < price;
}

std::string Engine::untradable_reason() const {
  if (bar_.flags & model_.no_fill_flags) return "flagged bar (flags " + std::to_string(bar_.flags) + ")";
  if (bar_.open_e8 <= 0 || bar_.high_e8 <= 0 || bar_.low_e8 <= 0) return "bar has no valid prices";
  return "bar has no volume";
}

int64_t Engine::reduce_only_room(const LiveOrder& o) const {
  const Book* b = o.sleeve ? &static_cast<const Sleeve*>(o.sleeve)->book : book(o.spec.strategy);
  const int64_t pos = b ? b->quantity_e8 : 0;
  if (o.spec.buy()) return pos < 0 ? -pos : 0;
  return pos > 0 ? pos : 0;
}

std::optional<std::string> Engine::reduce_only_problem(const LiveOrder& o, int64_t qty) const {
  const Book* b = book(o.spec.strategy);
  const int64_t pos = b ? b->quantity_e8 : 0;
  const std::string what = "reduce-only " + side_name(o.spec.side) + " " + dec(qty);
  if (pos == 0) return what + " would open a position: position is flat";
  if ((pos > 0) == o.spec.buy())
    return what + " would increase the " + (pos > 0 ? "long " : "short ") + dec(abs64(pos));
  if (qty > abs64(pos))
    return what + " would flip the " + (pos > 0 ? "long " : "short ") + dec(abs64(pos));
  return std::nullopt;
}

void Engine::reserve(LiveOrder& o) {
  if (model_.max_leverage_e8 == 0 || !o.sleeve) return;
  Reservation now;
  const bool holds = !o.spec.reduce_only &&
                     (o.status == v1::ORDER_STATUS_NEW || o.status == v1::ORDER_STATUS_TRIGGERED ||
                      o.status == v1::ORDER_STATUS_PARTIALLY_FILLED || o.waiting_exec);
  if (holds) {
    now.quantity_e8 = o.leaves();
    const int64_t ref = own_reference(o.spec, o.triggered);
    if (ref > 0)
      now.priced_e16 = static_cast<__int128>(now.quantity_e8) * ref;
    else
      now.floating_e8 = now.quantity_e8;
  }
  Reservation& sum = static_cast<Sleeve*>(o.sleeve)->reserved[o.spec.buy() ? 0 : 1];
  add(sum, o.reserved, -1);
  add(sum, now, 1);
  o.reserved = now;
}

// Gross exposure on the order's side if it and the sleeve's other working
// opening orders on that side filled completely: the position already on
// that side at the current price, the others' opening quantity at their
// reference prices (pro rata when part of them only closes), and this
// order's opening quantity at its reference price; within max_leverage x
// equity at the current price. OCO siblings of the order are left out (only
// one member of a group fills). A replace passes unless it needs more than
// the order did.
std::optional<std::string> Engine::funds_problem(const LiveOrder& o, const OrderSpec& spec,
                                                 int64_t qty, const Pos& pos, bool replace) const {
  if (model_.max_leverage_e8 == 0 || !o.sleeve || qty <= 0) return std::nullopt;
  const Sleeve& sl = *static_cast<const Sleeve*>(o.sleeve);
  const bool buy = spec.buy();
  const int64_t mark = tradable_ ? price_at(path_, pos) : atr_.previous_close();
  Reservation others = sl.reserved[buy ? 0 : 1];
  add(others, o.reserved, -1);
  for (const auto& id : spec.linked)
    if (const LiveOrder* s = find(id); s && s != &o) add(others, s->reserved, -1);
  const int64_t held = buy ? sl.book.quantity_e8 : -sl.book.quantity_e8;  // > 0: on this side
  const int64_t after_others = held + others.quantity_e8;
  auto opening = [&](int64_t q) {
    return std::max<int64_t>(0, after_others + q) - std::max<int64_t>(0, after_others);
  };
  const int64_t open_qty = opening(qty);
  if (open_qty == 0) return std::nullopt;  // it only closes
  auto reference = [&](const OrderSpec& s) {
    const int64_t r = own_reference(s, o.triggered);
    return r > 0 ? r : mark;
  };
  const int64_t needs = fixed::mul(open_qty, reference(spec));
  // |position| x mark: the position's exposure, and (signed) its part of the
  // equity, equity_e8() without a second product.
  const int64_t position_value = fixed::mul(abs64(held), mark);
  const int64_t held_value = held > 0 ? position_value : 0;
  const int64_t others_open = std::max<int64_t>(0, after_others) - std::max<int64_t>(0, held);
  int64_t others_value = 0;
  if (others_open > 0) {
    const int64_t all = div_round(others.priced_e16 + static_cast<__int128>(others.floating_e8) * mark,
                                   fixed::kScale);
    others_value = others_open == others.quantity_e8 ? all : mul_div(all, others_open, others.quantity_e8);
  }
  const int64_t equity = sl.book.cash_e8 + (sl.book.quantity_e8 < 0 ? -position_value : position_value);
  const int64_t limit = model_.max_leverage_e8 == fixed::kScale
                            ? equity
                            : fixed::mul(equity, model_.max_leverage_e8);
  const int64_t available = limit - held_value - others_value;
  if (needs <= available) return std::nullopt;
  if (replace && !o.spec.reduce_only &&
      needs <= fixed::mul(opening(o.leaves()), reference(o.spec)))
    return std::nullopt;  // needs no more than the order did
  std::string text = "insufficient buying power: " + side_name(spec.side) + " " + dec(qty) +
                     " at " + dec(reference(spec));
  if (open_qty < qty) text += " (opening " + dec(open_qty) + ")";
  text += " needs " + dec(needs) + " of exposure, " + dec(available) + " available (equity " +
          dec(equity) + " x leverage " + dec(model_.max_leverage_e8);
  if (held_value > 0)
    text += std::string(", less the ") + (buy ? "long " : "short ") + dec(held) + " at " + dec(mark);
  if (others_value > 0)
    text += std::string(held_value > 0 ? " and" : ", less") + " working " +
            (buy ? "buys " : "sells ") + dec(others_value);
  return text + ")";
}

void Engine::init_trailing(LiveOrder& o, const Pos& pos) {
  if (o.spec.type != v1::ORDER_TYPE_TRAILING_STOP || o.triggered || !tradable_) return;
  o.extreme_e8 = price_at(path_, pos);
  o.stop_e8 = trail_stop(o.extreme_e8, !o.spec.buy(), o.spec.trail_amount_e8, o.spec.trail_bps);
  o.reported_stop_e8 = o.stop_e8;
  o.trail_from = pos;
}

void Engine::resting_limit(LiveOrder& o, const Pos& from, bool bar_start) {
  const bool touch = model_.limit_fill == LimitFill::kTouch;
  const Cmp cmp = o.spec.buy() ? (touch ? Cmp::kLe : Cmp::kLt) : (touch ? Cmp::kGe : Cmp::kGt);
  auto hit = first_beyond(path_, from, o.spec.limit_e8, cmp);
  if (!hit) return;
  const bool gapped = bar_start && at_open(*hit) &&
                      (o.spec.buy() ? bar_.open_e8 < o.spec.limit_e8 : bar_.open_e8 > o.spec.limit_e8);
  push_exec(o, *hit, gapped ? Basis::kLimitGap : Basis::kLimitResting);
}

// Events of an order that is live from `from` on: called at the bar start for
// orders already working, and whenever an order becomes live mid-bar.
void Engine::schedule_resting(LiveOrder& o, const Pos& from, bool bar_start) {
  if (!tradable_) return;
  fresh(o);
  switch (o.spec.type) {
    case v1::ORDER_TYPE_MARKET:
      push_exec(o, from, Basis::kMarket);
      return;
    case v1::ORDER_TYPE_LIMIT:
      resting_limit(o, from, bar_start);
      return;
    default:
      break;
  }
  if (o.triggered) {
    if (o.spec.type == v1::ORDER_TYPE_STOP_LIMIT)
      resting_limit(o, from, bar_start);
    else
      push_exec(o, from, Basis::kMarket);  // triggered earlier, not filled: a market order
    return;
  }
  Candidate c;
  c.cls = 3;
  c.seq = o.seq;
  c.kind = Kind::kTrigger;
  c.order = &o;
  c.version = o.version;
  if (o.spec.type == v1::ORDER_TYPE_TRAILING_STOP) {
    if (o.extreme_e8 == 0) init_trailing(o, from);
    const TrailWalk w = trail_walk(path_, o.trail_from < from ? from : o.trail_from, o.extreme_e8,
                                   !o.spec.buy(), o.spec.trail_amount_e8, o.spec.trail_bps);
    if (!w.hit) return;
    c.pos = *w.hit;
    c.basis = *w.hit == from ? Basis::kStopGap : Basis::kStop;
    c.level = w.stop;
    c.extreme = w.extreme;
    push(c);
    return;
  }
  auto hit = first_beyond(path_, from, o.stop_e8, o.spec.buy() ? Cmp::kGe : Cmp::kLe);
  if (!hit) return;
  c.pos = *hit;
  c.basis = *hit == from ? Basis::kStopGap : Basis::kStop;
  c.level = o.stop_e8;
  push(c);
}

// An order (already acknowledged) that becomes live at `pos`: arrival,
// activation, replace.
void Engine::becomes_live(LiveOrder& o, const Pos& pos) {
  if (!tradable_) return;
  const bool limit_now = o.spec.type == v1::ORDER_TYPE_LIMIT ||
                         (o.spec.type == v1::ORDER_TYPE_STOP_LIMIT && o.triggered);
  if (limit_now && marketable(o, price_at(path_, pos))) {
    push_exec(o, pos, Basis::kLimitMarketable);
    return;
  }
  schedule_resting(o, pos, false);
}

void Engine::arrive(LiveOrder& o, const Pos& pos, std::vector<Event>& out) {
  fresh(o);
  if (o.expire_at_ns != 0 && o.expire_at_ns <= o.arrival_ns) {
    end_order(o, v1::EXEC_REJECTED, v1::ORDER_STATUS_REJECTED, Why::kText,
              std::string(o.spec.tif == v1::TIME_IN_FORCE_DAY ? "DAY" : "GTD") + " order expired at " +
                  std::to_string(o.expire_at_ns) + " ns, before it arrived at " +
                  std::to_string(o.arrival_ns) + " ns",
              v1::REJECT_EXPIRED, pos, out);
    return;
  }
  if (!o.spec.parent.empty()) {
    LiveOrder* p = find_any(o.spec.parent);
    if (!p || (p->terminal() && p->cum_e8 == 0)) {
      end_order(o, v1::EXEC_REJECTED, v1::ORDER_STATUS_REJECTED, Why::kText,
                "parent " + o.spec.parent + " ended without a fill before this order arrived",
                v1::REJECT_INVALID_CONTINGENCY, pos, out);
      return;
    }
    o.status = v1::ORDER_STATUS_INACTIVE;
    Event& e = emit(out, v1::EXEC_ACK, o);
    e.why = Why::kAcceptedInactive;
    e.other_id = o.spec.parent;
    index_expiry(o);
    if (p->terminal()) activate(o, *p, pos, out);  // the parent already filled (partly) and ended
    return;
  }
  if (o.spec.reduce_only) {
    if (auto why = reduce_only_problem(o, o.leaves())) {
      end_order(o, v1::EXEC_REJECTED, v1::ORDER_STATUS_REJECTED, Why::kText, *why,
                v1::REJECT_REDUCE_ONLY, pos, out);
      return;
    }
  }
  const int64_t price = tradable_ ? price_at(path_, pos) : 0;
  if (o.spec.post_only && tradable_ && marketable(o, price)) {
    end_order(o, v1::EXEC_REJECTED, v1::ORDER_STATUS_REJECTED, Why::kText,
              "post-only " + side_name(o.spec.side) + " limit " + dec(o.spec.limit_e8) +
                  " would cross: price at arrival " + dec(price),
              v1::REJECT_POST_ONLY, pos, out);
    return;
  }
  if (!o.spec.reduce_only) {
    if (auto why = funds_problem(o, o.spec, o.leaves(), pos)) {
      end_order(o, v1::EXEC_REJECTED, v1::ORDER_STATUS_REJECTED, Why::kText, *why,
                v1::REJECT_INSUFFICIENT_FUNDS, pos, out);
      return;
    }
  }
  if (o.spec.immediate()) {
    o.waiting_exec = true;
    reserve(o);
    const Basis b = o.spec.type == v1::ORDER_TYPE_MARKET                ? Basis::kMarket
                    : (tradable_ && marketable(o, price)) ? Basis::kLimitMarketable
                                                          : Basis::kNone;
    push_exec(o, pos, b);
    return;
  }
  o.status = v1::ORDER_STATUS_NEW;
  reserve(o);
  init_trailing(o, pos);
  Event& e = emit(out, v1::EXEC_ACK, o);
  e.why = Why::kAccepted;
  e.water_mark_e8 = o.extreme_e8;
  index(o);
  index_expiry(o);
  becomes_live(o, pos);
}

// A cancel or replace of an order that is not working: rejected on a ghost
// of the request, so the id's event numbering continues.
void Engine::reject_unknown(const Scheduled& s, const char* verb, std::vector<Event>& out) {
  OrderSpec spec = *s.request;
  spec.id = s.id;
  LiveOrder& g = ghost(spec);
  Event& e = emit(out, v1::EXEC_REJECTED, g);
  e.reason = v1::REJECT_UNKNOWN_ORDER;
  e.why = Why::kText;
  e.text = "no working order " + s.id + " to " + verb;
  remember(s.id, g.events, false);
}

void Engine::apply_cancel(const Scheduled& s, const Pos& pos, std::vector<Event>& out) {
  LiveOrder* o = find_live(s.id);
  if (!o) {
    reject_unknown(s, "cancel", out);
    return;
  }
  if (o->status == v1::ORDER_STATUS_PENDING_NEW)  // its arrival, if still ahead, is void
    std::erase_if(scheduled_, [o](const Scheduled& x) { return x.order == o; });
  end_order(*o, v1::EXEC_CANCELED, v1::ORDER_STATUS_CANCELED,
            o->status == v1::ORDER_STATUS_PENDING_NEW ? Why::kCanceledInFlight
                                                      : Why::kCanceledOnRequest,
            "", v1::REJECT_REASON_UNSPECIFIED, pos, out);
}

void Engine::apply_replace(Scheduled& s, const Pos& pos, std::vector<Event>& out) {
  LiveOrder* o = find_live(s.id);
  if (!o) {
    reject_unknown(s, "replace", out);
    return;
  }
  fresh(*o);
  const OrderSpec& r = *s.request;
  auto reject = [&](v1::RejectReason reason, const std::string& text) {
    Event& e = emit(out, v1::EXEC_REJECTED, *o);
    e.reason = reason;
    e.why = Why::kText;
    e.text = "replace rejected: " + text;
  };
  if (!r.id.empty() && r.id != o->spec.id)
    return reject(v1::REJECT_INVALID_REPLACE, "the replacement's client_order_id " + r.id +
                                                  " differs: a replace keeps the id " + o->spec.id);
  if (r.side != v1::SIDE_UNSPECIFIED && r.side != o->spec.side)
    return reject(v1::REJECT_INVALID_REPLACE, "side cannot change");
  if (r.type != v1::ORDER_TYPE_UNSPECIFIED && r.type != o->spec.type)
    return reject(v1::REJECT_INVALID_REPLACE, "order type cannot change");
  if (!r.strategy.empty() && r.strategy != o->spec.strategy)
    return reject(v1::REJECT_INVALID_REPLACE, "strategy cannot change");
  if ((r.contingency != v1::CONTINGENCY_NONE && r.contingency != o->spec.contingency) ||
      (!r.parent.empty() && r.parent != o->spec.parent) ||
      (!r.linked.empty() && r.linked != o->spec.linked))
    return reject(v1::REJECT_INVALID_REPLACE, "contingency links cannot change");
  if (r.immediate()) return reject(v1::REJECT_INVALID_REPLACE, "a replace cannot make an order IOC or FOK");
  OrderSpec m = o->spec;
  m.quantity_e8 = r.quantity_e8;
  m.limit_e8 = r.limit_e8;
  m.stop_e8 = r.stop_e8;
  m.trail_amount_e8 = r.trail_amount_e8;
  m.trail_bps = r.trail_bps;
  m.display_e8 = r.display_e8;
  m.tif = r.tif;
  m.expire_ns = r.expire_ns;
  m.post_only = r.post_only;
  m.reduce_only = r.reduce_only;
  if (!r.decision_id.empty()) {
    m.decision_id = r.decision_id;
    m.correlation_id = r.correlation_id;
    m.decision_ns = r.decision_ns;
  }
  if (auto p = static_problem(m)) return reject(v1::REJECT_INVALID_REPLACE, p->text);
  if (m.quantity_e8 <= o->cum_e8)
    return reject(v1::REJECT_INVALID_REPLACE, "new quantity " + dec(m.quantity_e8) +
                                                  " is not above the filled " + dec(o->cum_e8));
  const int64_t now = s.arrival_ns;
  if (m.tif == v1::TIME_IN_FORCE_GTD && m.expire_ns <= now)
    return reject(v1::REJECT_EXPIRED, "GTD expire time " + std::to_string(m.expire_ns) +
                                          " ns is not after the replace's arrival");
  const bool live = o->status == v1::ORDER_STATUS_NEW || o->status == v1::ORDER_STATUS_TRIGGERED ||
                    o->status == v1::ORDER_STATUS_PARTIALLY_FILLED;
  if (m.post_only && live && tradable_) {
    const int64_t price = price_at(path_, pos);
    const bool crosses = m.buy() ? m.limit_e8 > price : m.limit_e8 < price;
    if (crosses)
      return reject(v1::REJECT_POST_ONLY, "post-only " + side_name(m.side) + " limit " +
                                              dec(m.limit_e8) + " would cross: price " + dec(price));
  }
  if (m.reduce_only && live) {
    LiveOrder probe = *o;
    probe.spec = m;
    if (auto why = reduce_only_problem(probe, m.quantity_e8 - o->cum_e8))
      return reject(v1::REJECT_REDUCE_ONLY, *why);
  }
  if (!m.reduce_only && live) {
    if (auto why = funds_problem(*o, m, m.quantity_e8 - o->cum_e8, pos, true))
      return reject(v1::REJECT_INSUFFICIENT_FUNDS, *why);
  }
  // What changes, for the report.
  std::string changes;
  auto note = [&](const char* what, int64_t before, int64_t after) {
    if (before == after) return;
    if (!changes.empty()) changes += ", ";
    changes += std::string(what) + " " + dec(before) + " -> " + dec(after);
  };
  note("quantity", o->quantity_e8, m.quantity_e8);
  note("limit", o->spec.limit_e8, m.limit_e8);
  note("stop", o->spec.stop_e8, m.stop_e8);
  note("trail amount", o->spec.trail_amount_e8, m.trail_amount_e8);
  if (o->spec.trail_bps != m.trail_bps) {
    if (!changes.empty()) changes += ", ";
    changes += "trail " + std::to_string(o->spec.trail_bps) + " -> " + std::to_string(m.trail_bps) + " bps";
  }
  note("display", o->spec.display_e8, m.display_e8);
  if (o->spec.tif != m.tif) {
    if (!changes.empty()) changes += ", ";
    changes += "time in force " + tif_name(o->spec.tif) + " -> " + tif_name(m.tif);
  }
  if (o->spec.expire_ns != m.expire_ns && m.tif == v1::TIME_IN_FORCE_GTD) {
    if (!changes.empty()) changes += ", ";
    changes += "expire time " + std::to_string(m.expire_ns) + " ns";
  }
  if (o->spec.post_only != m.post_only) changes += std::string(changes.empty() ? "" : ", ") + "post_only " + (m.post_only ? "on" : "off");
  if (o->spec.reduce_only != m.reduce_only) changes += std::string(changes.empty() ? "" : ", ") + "reduce_only " + (m.reduce_only ? "on" : "off");
  if (changes.empty()) changes = "nothing changed";
  // Apply.
  const bool trailing = m.type == v1::ORDER_TYPE_TRAILING_STOP && !o->triggered;
  if (trailing && live && tradable_ && o->extreme_e8 != 0) {
    const bool sell = !m.buy();
    const int64_t e = extreme_between(path_, o->trail_from, pos, sell);
    o->extreme_e8 = sell ? std::max(o->extreme_e8, e) : std::min(o->extreme_e8, e);
    o->trail_from = pos;
  }
  const bool display_changed = o->spec.display_e8 != m.display_e8;
  const v1::TimeInForce old_tif = o->spec.tif;
  o->spec = std::move(m);
  o->quantity_e8 = o->spec.quantity_e8;
  o->seq = next_seq_++;
  ++o->version;
  if (!o->triggered && o->spec.type != v1::ORDER_TYPE_TRAILING_STOP) o->stop_e8 = o->spec.stop_e8;
  if (trailing && o->extreme_e8 != 0) {
    o->stop_e8 = trail_stop(o->extreme_e8, !o->spec.buy(), o->spec.trail_amount_e8, o->spec.trail_bps);
    o->reported_stop_e8 = o->stop_e8;
  }
  if (o->spec.tif == v1::TIME_IN_FORCE_GTD)
    o->expire_at_ns = o->spec.expire_ns;
  else if (o->spec.tif == v1::TIME_IN_FORCE_DAY)
    o->expire_at_ns = old_tif == v1::TIME_IN_FORCE_DAY ? o->expire_at_ns : day_end(s.send_ns);
  else
    o->expire_at_ns = 0;
  if (o->spec.display_e8 > 0) {
    if (display_changed || o->slice_left_e8 == 0) {
      o->slice_left_e8 = std::min(o->spec.display_e8, o->leaves());
      ++o->slice_no;
      o->slice_counted = false;
    } else {
      o->slice_left_e8 = std::min(o->slice_left_e8, o->leaves());
    }
  } else {
    o->slice_left_e8 = 0;
  }
  reserve(*o);
  Event& e = emit(out, v1::EXEC_REPLACED, *o);
  e.why = Why::kReplaced;
  e.text = changes;
  index(*o);
  index_expiry(*o);
  if (o->expire_at_ns != 0 && o->expire_at_ns < bar_.close_ns && o->expire_at_ns > s.arrival_ns) {
    Candidate c;
    c.pos = time_pos(path_, o->expire_at_ns);
    c.kind = Kind::kExpire;
    c.seq = o->seq;
    c.order = o;
    c.level = o->expire_at_ns;
    push(c);
  }
  if (live) becomes_live(*o, pos);
}

void Engine::trigger(LiveOrder& o, const Candidate& c, std::vector<Event>& out) {
  fresh(o);
  o.triggered = true;
  o.stop_e8 = c.level;
  if (o.spec.type == v1::ORDER_TYPE_TRAILING_STOP) {
    o.extreme_e8 = c.extreme;
    o.reported_stop_e8 = c.level;
  }
  o.status = o.cum_e8 > 0 ? v1::ORDER_STATUS_PARTIALLY_FILLED : v1::ORDER_STATUS_TRIGGERED;
  ++o.version;
  reserve(o);  // a triggered STOP is valued at the current price from now on
  const int64_t price = price_at(path_, c.pos);
  {
    Event& e = emit(out, v1::EXEC_TRIGGERED, o);
    e.why = c.basis == Basis::kStopGap ? Why::kTriggeredGap : Why::kTriggered;
    e.at_open = at_open(c.pos);
    e.path_price_e8 = price;
    e.water_mark_e8 = o.extreme_e8;
    e.extreme = o.spec.buy() ? 'H' : 'L';
    e.extreme_e8 = o.spec.buy() ? bar_.high_e8 : bar_.low_e8;
  }
  index(o);
  if (o.spec.type == v1::ORDER_TYPE_STOP_LIMIT) {
    const int64_t at = c.basis == Basis::kStopGap ? price : c.level;
    if (marketable(o, at))
      push_exec(o, c.pos, Basis::kLimitMarketable, at);
    else
      resting_limit(o, c.pos, false);
    return;
  }
  push_exec(o, c.pos, c.basis, c.level);
}

void Engine::execute(LiveOrder& o, const Pos& pos, Basis basis, int64_t level,
                     std::vector<Event>& out) {
  fresh(o);
  Sleeve& sl = *static_cast<Sleeve*>(o.sleeve);
  const bool buy = o.spec.buy();
  const bool fok = o.spec.tif == v1::TIME_IN_FORCE_FOK;
  auto share = [&] { return dec(model_.max_volume_share_e8); };  // texts only
  // How much can fill now, and what limits it.
  int64_t qty = 0;
  Cap cap = Cap::kNone;
  int64_t cap_e8 = 0;
  std::string why;  // why (the rest) does not fill
  if (!tradable_) {
    why = untradable_reason();
  } else if (basis == Basis::kNone) {
    why = "limit " + dec(o.spec.limit_e8) + " is not marketable at arrival price " +
          dec(price_at(path_, pos));
  } else {
    qty = o.leaves();
    if (o.spec.display_e8 > 0 && o.slice_left_e8 < qty) {
      qty = o.slice_left_e8;
      cap = Cap::kIcebergSlice;
      cap_e8 = o.slice_left_e8;
    }
    if (qty > capacity_) {
      qty = capacity_;
      cap = Cap::kVolume;
    }
    if (o.spec.reduce_only) {
      const int64_t room = reduce_only_room(o);
      if (qty > room) {
        qty = room;
        cap = Cap::kReduceOnly;
        cap_e8 = room;
      }
    }
    if (cap == Cap::kVolume)
      why = qty == 0 ? "no volume left within max_volume_share " + share()
                     : "only " + dec(qty) + " of " + dec(o.leaves()) +
                           " fillable within max_volume_share " + share() + " of bar volume " +
                           dec(bar_.volume_e8);
    else if (cap == Cap::kReduceOnly)
      why = "reduce-only: position allows " + dec(qty) + " of " + dec(o.leaves());
  }
  if (fok && qty < o.leaves()) {
    if (why.empty()) why = "only " + dec(qty) + " of " + dec(o.leaves()) + " fillable";
    if (o.waiting_exec)
      end_order(o, v1::EXEC_REJECTED, v1::ORDER_STATUS_REJECTED, Why::kText, "FOK rejected: " + why,
                v1::REJECT_FOK_UNFILLABLE, pos, out);
    else  // an activated contingent child, acknowledged earlier
      end_order(o, v1::EXEC_CANCELED, v1::ORDER_STATUS_CANCELED, Why::kText, "FOK canceled: " + why,
                v1::REJECT_FOK_UNFILLABLE, pos, out);
    return;
  }
  if (o.waiting_exec) {  // IOC / FOK: acknowledged when it executes
    o.waiting_exec = false;
    o.status = v1::ORDER_STATUS_NEW;
    Event& e = emit(out, v1::EXEC_ACK, o);
    e.why = Why::kAccepted;
  }
  const int64_t day = utc_day(bar_.open_ns);
  while (qty > 0) {
    if (o.spec.display_e8 > 0 && !o.slice_counted) {
      ++o.slices_this_bar;
      o.slice_counted = true;
    }
    const int64_t path_price = price_at(path_, pos);
    int64_t reference = 0;
    switch (basis) {
      case Basis::kMarket: reference = path_price; break;
      case Basis::kLimitMarketable: reference = level > 0 ? level : path_price; break;
      case Basis::kStop: reference = level; break;
      case Basis::kStopGap: reference = model_.gap_fill == GapFill::kOpen ? path_price : level; break;
      case Basis::kLimitResting: reference = o.spec.limit_e8; break;
      case Basis::kLimitGap:
        reference = model_.gap_fill == GapFill::kOpen ? path_price : o.spec.limit_e8;
        break;
      case Basis::kNone: break;
    }
    const bool taker = taker_basis(basis);
    Slippage slip;
    int64_t price = reference;
    bool bound = false;
    if (taker) {
      slip = slippage(model_, reference, atr_.value(), qty, bar_.volume_e8);
      price = buy ? reference + slip.total() : std::max<int64_t>(1, reference - slip.total());
      if (basis == Basis::kLimitMarketable && (buy ? price > o.spec.limit_e8 : price < o.spec.limit_e8)) {
        price = o.spec.limit_e8;
        bound = true;
      }
    }
    const int64_t notional = fixed::mul(qty, price);
    const size_t tier = tier_for(tiers_, sl.volume.trailing(day, model_.fee_tier_window_days));
    const int64_t bps = taker ? tiers_[tier].taker_bps_e8 : tiers_[tier].maker_bps_e8;
    const int64_t rate_fee = fee_at(notional, bps);
    const int64_t fee = std::max<int64_t>(
        0, std::max(model_.min_fee_per_order_e8, o.rate_fees_e8 + rate_fee) - o.cum_fees_e8);
    sl.volume.add(day, notional, model_.fee_tier_window_days);
    o.cum_e8 += qty;
    o.cum_notional_e8 += notional;
    o.cum_fees_e8 += fee;
    o.rate_fees_e8 += rate_fee;
    capacity_ -= qty;
    auto closing = apply_fill(sl.book, o.spec.side, qty, notional, fee);
    int64_t next_slice = 0;
    if (o.spec.display_e8 > 0) {
      o.slice_left_e8 -= qty;
      if (o.slice_left_e8 == 0 && o.leaves() > 0) {
        o.slice_left_e8 = std::min(o.spec.display_e8, o.leaves());
        ++o.slice_no;
        o.slice_counted = false;
        next_slice = o.slice_left_e8;
      }
    }
    const bool done = o.leaves() == 0;
    o.status = done ? v1::ORDER_STATUS_FILLED : v1::ORDER_STATUS_PARTIALLY_FILLED;
    ++o.version;
    reserve(o);
    {
      Event& e = emit(out, done ? v1::EXEC_FILL : v1::EXEC_PARTIAL_FILL, o);
      e.last_qty_e8 = qty;
      e.last_price_e8 = price;
      e.fee_e8 = fee;
      e.liquidity = taker ? v1::LIQUIDITY_TAKER : v1::LIQUIDITY_MAKER;
      e.basis = basis;
      e.reference_e8 = reference;
      e.slip = slip;
      e.limit_bound = bound;
      e.fee_bps_e8 = bps;
      e.tier = static_cast<uint32_t>(tier);
      e.rate_fee_e8 = rate_fee;
      e.cap = cap;
      e.cap_e8 = cap_e8;
      e.bar_volume_e8 = bar_.volume_e8;
      e.extreme = buy ? 'L' : 'H';
      e.extreme_e8 = buy ? bar_.low_e8 : bar_.high_e8;
      if (basis == Basis::kStop || basis == Basis::kStopGap) {
        e.extreme = buy ? 'H' : 'L';
        e.extreme_e8 = buy ? bar_.high_e8 : bar_.low_e8;
      }
      e.water_mark_e8 = o.extreme_e8;
      e.next_slice_e8 = next_slice;
      e.at_open = at_open(pos);
      e.path_price_e8 = path_price;
      if (!e.at_open) e.arrival_ns = o.arrival_ns;
      e.closing = closing;
    }
    // OCO: the first fill of one leg cancels the others.
    if (!o.spec.linked.empty() && !o.oco_done) {
      o.oco_done = true;
      for (const auto& sib : o.spec.linked) {
        LiveOrder* s = find_live(sib);
        if (!s || s->terminal()) continue;
        s->oco_done = true;
        s->status = v1::ORDER_STATUS_CANCELED;
        ++s->version;
        Event& e = emit(out, v1::EXEC_CANCELED, *s);
        e.why = Why::kOcoSibling;
        e.other_id = o.spec.id;
        retire(*s);
        children_after_parent(*s, pos, out);
      }
    }
    if (done) {
      retire(o);
      children_after_parent(o, pos, out);
      return;
    }
    // Iceberg: the next slice may fill on this bar too.
    if (next_slice > 0 && o.slices_this_bar < model_.iceberg_slices_per_bar && capacity_ > 0) {
      qty = std::min(next_slice, capacity_);
      cap = qty < next_slice ? Cap::kVolume : Cap::kNone;
      if (o.spec.reduce_only) {
        const int64_t room = reduce_only_room(o);
        if (qty > room) {
          qty = room;
          cap = Cap::kReduceOnly;
          cap_e8 = room;
        }
      }
      if (qty > 0) continue;
    }
    if (o.leaves() > 0 && capacity_ == 0) why = "no volume left within max_volume_share " + share();
    break;
  }
  if (o.terminal()) return;
  if (o.spec.immediate()) {
    if (why.empty()) why = "no volume left within max_volume_share " + share();
    end_order(o, v1::EXEC_CANCELED, v1::ORDER_STATUS_CANCELED, Why::kIocRemainder, why,
              v1::REJECT_REASON_UNSPECIFIED, pos, out);
    return;
  }
  if (o.spec.reduce_only && tradable_ && reduce_only_room(o) == 0) {
    end_order(o, v1::EXEC_CANCELED, v1::ORDER_STATUS_CANCELED, Why::kReduceOnlyFlat,
              "reduce-only remainder canceled: position is flat", v1::REJECT_REDUCE_ONLY, pos, out);
  }
}

void Engine::on_bar(const BarInput& bar, std::vector<Event>& out) {
  retired_.clear();
  bar_ = bar;
  path_ = make_path(bar.open_e8, bar.high_e8, bar.low_e8, bar.close_e8, bar.open_ns, bar.close_ns,
                    model_.path);
  tradable_ = (bar.flags & model_.no_fill_flags) == 0 && bar.open_e8 > 0 && bar.high_e8 > 0 &&
              bar.low_e8 > 0 && bar.volume_e8 > 0;
  capacity_ = tradable_ ? fixed::mul(bar.volume_e8, model_.max_volume_share_e8) : 0;
  heap_.clear();
  cands_.clear();
  arriving_.clear();

  ++epoch_;
  for (auto it = expiries_.begin(); it != expiries_.end() && it->first < bar.close_ns; ++it) {
    Candidate c;
    c.pos = time_pos(path_, it->first);
    c.kind = Kind::kExpire;
    c.seq = it->second->seq;
    c.order = it->second;
    c.level = it->first;
    push(c);
  }
  if (tradable_) {
    // Only what this bar's range can reach: buy limits at or above the low,
    // sell limits at or below the high, buy stops at or below the high, sell
    // stops at or above the low (exact hits are decided on the path).
    for (auto& [seq, o] : always_) schedule_resting(*o, Path::start(), true);
    for (auto it = levels_[kBuyLimits].begin(); it != levels_[kBuyLimits].end() && -it->first >= bar.low_e8; ++it)
      schedule_resting(*it->second, Path::start(), true);
    for (auto it = levels_[kSellLimits].begin(); it != levels_[kSellLimits].end() && it->first <= bar.high_e8; ++it)
      schedule_resting(*it->second, Path::start(), true);
    for (auto it = levels_[kBuyStops].begin(); it != levels_[kBuyStops].end() && it->first <= bar.high_e8; ++it)
      schedule_resting(*it->second, Path::start(), true);
    for (auto it = levels_[kSellStops].begin(); it != levels_[kSellStops].end() && -it->first >= bar.low_e8; ++it)
      schedule_resting(*it->second, Path::start(), true);
  }
  while (!scheduled_.empty() && scheduled_.front().arrival_ns < bar.close_ns) {
    arriving_.push_back(std::move(scheduled_.front()));
    scheduled_.pop_front();
  }
  for (size_t i = 0; i < arriving_.size(); ++i) {
    const Scheduled& s = arriving_[i];
    Candidate c;
    c.pos = time_pos(path_, s.arrival_ns);
    c.seq = s.seq;
    c.item = i;
    if (s.kind == Scheduled::kOrder) {
      c.cls = 2;
      c.kind = Kind::kArrive;
      c.order = s.order;
    } else {
      c.cls = 1;
      c.kind = Kind::kScheduled;
    }
    push(c);
  }

  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(),
                  [this](const HeapItem& a, const HeapItem& b) { return later(a, b); });
    const Candidate c = cands_[heap_.back().idx];
    heap_.pop_back();
    switch (c.kind) {
      case Kind::kExpire: {
        LiveOrder& o = *c.order;
        if (o.terminal() || o.expire_at_ns != c.level) break;
        const bool day = o.spec.tif == v1::TIME_IN_FORCE_DAY;
        end_order(o, v1::EXEC_EXPIRED, v1::ORDER_STATUS_EXPIRED, day ? Why::kDayExpired : Why::kGtdExpired,
                  std::to_string(o.expire_at_ns), v1::REJECT_REASON_UNSPECIFIED, c.pos, out);
        break;
      }
      case Kind::kScheduled: {
        Scheduled& s = arriving_[c.item];
        if (s.kind == Scheduled::kCancel)
          apply_cancel(s, c.pos, out);
        else
          apply_replace(s, c.pos, out);
        break;
      }
      case Kind::kArrive:
        if (c.order && c.order->status == v1::ORDER_STATUS_PENDING_NEW) arrive(*c.order, c.pos, out);
        break;
      case Kind::kTrigger:
        if (c.version == c.order->version && !c.order->terminal()) trigger(*c.order, c, out);
        break;
      case Kind::kExec:
        if (c.version == c.order->version && !c.order->terminal())
          execute(*c.order, c.pos, c.basis, c.level, out);
        break;
    }
  }

  // Trailing stops: bring the water mark to the close; publish a moved stop.
  std::vector<LiveOrder*> trailing;
  for (auto& [seq, o] : always_)
    if (o->spec.type == v1::ORDER_TYPE_TRAILING_STOP && !o->triggered &&
        (o->status == v1::ORDER_STATUS_NEW || o->status == v1::ORDER_STATUS_PARTIALLY_FILLED))
      trailing.push_back(o);
  for (LiveOrder* o : trailing) {
    fresh(*o);
    if (tradable_ && o->extreme_e8 != 0) {
      const bool sell = !o->spec.buy();
      const int64_t e = extreme_between(path_, o->trail_from, Path::end(), sell);
      o->extreme_e8 = sell ? std::max(o->extreme_e8, e) : std::min(o->extreme_e8, e);
      o->stop_e8 = trail_stop(o->extreme_e8, sell, o->spec.trail_amount_e8, o->spec.trail_bps);
      o->trail_from = Path::end();
    }
    if (o->extreme_e8 != 0 && o->stop_e8 != o->reported_stop_e8) {
      const int64_t before = o->reported_stop_e8;
      o->reported_stop_e8 = o->stop_e8;
      Event& e = emit(out, v1::EXEC_RESTATED, *o);
      e.why = Why::kTrailMoved;
      e.water_mark_e8 = o->extreme_e8;
      e.reference_e8 = before;
    }
  }
  if (tradable_) atr_.on_bar(bar.high_e8, bar.low_e8, bar.close_e8);
}

// ------------------------------------------------------------------ snapshot

namespace {

nlohmann::json spec_json(const OrderSpec& s) {
  return {{"id", s.id},
          {"strategy", s.strategy},
          {"side", static_cast<int>(s.side)},
          {"type", static_cast<int>(s.type)},
          {"tif", static_cast<int>(s.tif)},
          {"qty", s.quantity_e8},
          {"limit", s.limit_e8},
          {"stop", s.stop_e8},
          {"trail_amount", s.trail_amount_e8},
          {"trail_bps", s.trail_bps},
          {"display", s.display_e8},
          {"expire", s.expire_ns},
          {"reduce_only", s.reduce_only},
          {"post_only", s.post_only},
          {"contingency", static_cast<int>(s.contingency)},
          {"parent", s.parent},
          {"linked", s.linked},
          {"decision_id", s.decision_id},
          {"correlation_id", s.correlation_id},
          {"decision_ns", s.decision_ns}};
}

OrderSpec spec_from(const nlohmann::json& j) {
  OrderSpec s;
  s.id = j.at("id").get<std::string>();
  s.strategy = j.at("strategy").get<std::string>();
  s.side = static_cast<v1::Side>(j.at("side").get<int>());
  s.type = static_cast<v1::OrderType>(j.at("type").get<int>());
  s.tif = static_cast<v1::TimeInForce>(j.at("tif").get<int>());
  s.quantity_e8 = j.at("qty").get<int64_t>();
  s.limit_e8 = j.at("limit").get<int64_t>();
  s.stop_e8 = j.at("stop").get<int64_t>();
  s.trail_amount_e8 = j.at("trail_amount").get<int64_t>();
  s.trail_bps = j.at("trail_bps").get<int64_t>();
  s.display_e8 = j.at("display").get<int64_t>();
  s.expire_ns = j.at("expire").get<int64_t>();
  s.reduce_only = j.at("reduce_only").get<bool>();
  s.post_only = j.at("post_only").get<bool>();
  s.contingency = static_cast<v1::ContingencyType>(j.at("contingency").get<int>());
  s.parent = j.at("parent").get<std::string>();
  s.linked = j.at("linked").get<std::vector<std::string>>();
  s.decision_id = j.at("decision_id").get<std::string>();
  s.correlation_id = j.at("correlation_id").get<std::string>();
  s.decision_ns = j.at("decision_ns").get<int64_t>();
  return s;
}

}  // namespace

void spec_to_json(const OrderSpec& spec, nlohmann::json& j) { j = spec_json(spec); }

void Engine::to_json(nlohmann::json& j) const {
  using nlohmann::json;
  json sleeves = json::array();
  for (const auto& [s, sl] : sleeves_) {
    json days = json::array();
    for (const auto& [d, n] : sl.volume.days()) days.push_back({d, n});
    sleeves.push_back({{"strategy", s},
                       {"quantity", sl.book.quantity_e8},
                       {"cost", sl.book.cost_e8},
                       {"open_fees", sl.book.open_fees_e8},
                       {"realized", sl.book.realized_pnl_e8},
                       {"fees", sl.book.fees_e8},
                       {"cash", sl.book.cash_e8},
                       {"volume", days}});
  }
  json orders = json::array();
  for (const LiveOrder* o : this->orders())
    orders.push_back({{"spec", spec_json(o->spec)},
                      {"seq", o->seq},
                      {"status", static_cast<int>(o->status)},
                      {"send", o->send_ns},
                      {"arrival", o->arrival_ns},
                      {"expire_at", o->expire_at_ns},
                      {"quantity", o->quantity_e8},
                      {"cum", o->cum_e8},
                      {"cum_notional", o->cum_notional_e8},
                      {"cum_fees", o->cum_fees_e8},
                      {"rate_fees", o->rate_fees_e8},
                      {"events", o->events},
                      {"triggered", o->triggered},
                      {"stop", o->stop_e8},
                      {"extreme", o->extreme_e8},
                      {"reported_stop", o->reported_stop_e8},
                      {"slice_left", o->slice_left_e8},
                      {"slice_no", o->slice_no},
                      {"children", o->children},
                      {"oco_done", o->oco_done}});
  json scheduled = json::array();
  for (const auto& s : scheduled_)
    scheduled.push_back({{"kind", static_cast<int>(s.kind)},
                         {"seq", s.seq},
                         {"send", s.send_ns},
                         {"arrival", s.arrival_ns},
                         {"id", s.order ? s.order->spec.id : s.id},
                         {"request", s.request ? spec_json(*s.request) : spec_json(OrderSpec{})}});
  json finished = json::array();
  for (const std::string* id : finished_order_) {
    const Slot& f = ids_.at(*id);
    finished.push_back({*id, f.events, f.was_order});
  }
  j = {{"next_seq", next_seq_},
       {"atr", {{"ranges", atr_.ranges()}, {"previous_close", atr_.previous_close()}}},
       {"sleeves", sleeves},
       {"orders", orders},
       {"scheduled", scheduled},
       {"finished", finished}};
}

Status Engine::from_json(const nlohmann::json& j) {
  try {
    next_seq_ = j.at("next_seq").get<uint64_t>();
    atr_.restore(j.at("atr").at("ranges").get<std::deque<int64_t>>(),
                 j.at("atr").at("previous_close").get<int64_t>());
    for (const auto& js : j.at("sleeves")) {
      auto it = sleeves_.find(js.at("strategy").get<std::string>());
      if (it == sleeves_.end()) continue;  // strategy no longer configured here
      Book& b = it->second.book;
      b.quantity_e8 = js.at("quantity").get<int64_t>();
      b.cost_e8 = js.at("cost").get<int64_t>();
      b.open_fees_e8 = js.at("open_fees").get<int64_t>();
      b.realized_pnl_e8 = js.at("realized").get<int64_t>();
      b.fees_e8 = js.at("fees").get<int64_t>();
      b.cash_e8 = js.at("cash").get<int64_t>();
      std::deque<std::pair<int64_t, int64_t>> days;
      for (const auto& d : js.at("volume")) days.emplace_back(d.at(0).get<int64_t>(), d.at(1).get<int64_t>());
      it->second.volume.restore(std::move(days));
    }
    ids_.clear();
    finished_order_.clear();
    working_ = 0;
    for (auto& l : levels_) l.clear();
    always_.clear();
    expiries_.clear();
    for (auto& [name, sl] : sleeves_) sl.reserved[0] = sl.reserved[1] = {};
    for (const auto& jo : j.at("orders")) {
      auto o = std::make_unique<LiveOrder>();
      o->spec = spec_from(jo.at("spec"));
      o->seq = jo.at("seq").get<uint64_t>();
      o->status = static_cast<v1::OrderStatus>(jo.at("status").get<int>());
      o->send_ns = jo.at("send").get<int64_t>();
      o->arrival_ns = jo.at("arrival").get<int64_t>();
      o->expire_at_ns = jo.at("expire_at").get<int64_t>();
      o->quantity_e8 = jo.at("quantity").get<int64_t>();
      o->cum_e8 = jo.at("cum").get<int64_t>();
      o->cum_notional_e8 = jo.at("cum_notional").get<int64_t>();
      o->cum_fees_e8 = jo.at("cum_fees").get<int64_t>();
      o->rate_fees_e8 = jo.at("rate_fees").get<int64_t>();
      o->events = jo.at("events").get<uint64_t>();
      o->triggered = jo.at("triggered").get<bool>();
      o->stop_e8 = jo.at("stop").get<int64_t>();
      o->extreme_e8 = jo.at("extreme").get<int64_t>();
      o->reported_stop_e8 = jo.at("reported_stop").get<int64_t>();
      o->slice_left_e8 = jo.at("slice_left").get<int64_t>();
      o->slice_no = jo.at("slice_no").get<int64_t>();
      o->children = jo.at("children").get<std::vector<std::string>>();
      o->oco_done = jo.at("oco_done").get<bool>();
      if (!sleeves_.contains(o->spec.strategy)) continue;
      o->sleeve = sleeve(o->spec.strategy);
      reserve(*o);  // derived from the order
      index(*o);
      index_expiry(*o);
      auto& node = *ids_.try_emplace(o->spec.id).first;
      o->slot = &node;
      node.second.live = std::move(o);
      ++working_;
    }
    scheduled_.clear();
    for (const auto& js : j.at("scheduled")) {
      Scheduled s;
      s.kind = static_cast<Scheduled::Kind>(js.at("kind").get<int>());
      s.seq = js.at("seq").get<uint64_t>();
      s.send_ns = js.at("send").get<int64_t>();
      s.arrival_ns = js.at("arrival").get<int64_t>();
      s.id = js.at("id").get<std::string>();
      if (s.kind == Scheduled::kOrder) {
        s.order = find_live(s.id);
        s.id.clear();
        if (!s.order) continue;  // its strategy is no longer configured
      }
      if (s.kind != Scheduled::kOrder) s.request = std::make_unique<OrderSpec>(spec_from(js.at("request")));
      scheduled_.push_back(std::move(s));
    }
    for (const auto& jf : j.at("finished"))
      remember(jf.at(0).get<std::string>(), jf.at(1).get<uint64_t>(), jf.at(2).get<bool>());
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorCode::kDataLoss, std::string("execsim engine snapshot: ") + e.what());
  }
  return ok();
}

}  // namespace tp::execsim
