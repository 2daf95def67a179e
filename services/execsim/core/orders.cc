#include "execsim/core/orders.h"

#include <algorithm>
#include <set>

#include "tp/core/fixed_point.h"

namespace tp::execsim {

namespace v1 = trading::v1;

namespace {

std::string dec(int64_t e8) { return fixed::to_string(e8); }

std::string strip(const std::string& name, std::string_view prefix) {
  return name.starts_with(prefix) ? name.substr(prefix.size()) : name;
}

Problem invalid(std::string text) { return {v1::REJECT_INVALID_ORDER, std::move(text)}; }
Problem contingency(std::string text) { return {v1::REJECT_INVALID_CONTINGENCY, std::move(text)}; }

bool uses_limit(v1::OrderType t) {
  return t == v1::ORDER_TYPE_LIMIT || t == v1::ORDER_TYPE_STOP_LIMIT;
}
bool uses_stop(v1::OrderType t) {
  return t == v1::ORDER_TYPE_STOP || t == v1::ORDER_TYPE_STOP_LIMIT;
}

}  // namespace

std::string side_name(v1::Side side) { return strip(v1::Side_Name(side), "SIDE_"); }
std::string type_name(v1::OrderType type) { return strip(v1::OrderType_Name(type), "ORDER_TYPE_"); }
std::string tif_name(v1::TimeInForce tif) {
  return tif == v1::TIME_IN_FORCE_UNSPECIFIED ? "GTC"
                                              : strip(v1::TimeInForce_Name(tif), "TIME_IN_FORCE_");
}

OrderSpec spec_from_proto(const v1::Order& o) {
  OrderSpec s;
  s.id = o.client_order_id();
  s.strategy = o.strategy();
  s.side = o.side();
  s.type = o.type();
  s.tif = o.time_in_force() == v1::TIME_IN_FORCE_UNSPECIFIED ? v1::TIME_IN_FORCE_GTC
                                                             : o.time_in_force();
  s.quantity_e8 = o.quantity_e8();
  s.limit_e8 = o.limit_price_e8();
  s.stop_e8 = o.stop_price_e8();
  s.trail_amount_e8 = o.trail_amount_e8();
  s.trail_bps = o.trail_bps();
  s.display_e8 = o.display_quantity_e8();
  s.expire_ns = o.expire_time_ns();
  s.reduce_only = o.reduce_only();
  s.post_only = o.post_only();
  s.contingency = o.contingency();
  s.parent = o.parent_order_id();
  s.linked.assign(o.linked_order_ids().begin(), o.linked_order_ids().end());
  s.decision_id = o.trace().decision_id();
  s.correlation_id = o.trace().correlation_id();
  s.decision_ns = o.trace().event_time_ns();
  return s;
}

v1::Order spec_to_proto(const OrderSpec& s, const InstrumentKey& instrument) {
  v1::Order o;
  o.set_client_order_id(s.id);
  o.mutable_instrument()->set_venue(instrument.venue);
  o.mutable_instrument()->set_symbol(instrument.symbol);
  o.set_side(s.side);
  o.set_type(s.type);
  o.set_time_in_force(s.tif);
  o.set_quantity_e8(s.quantity_e8);
  o.set_limit_price_e8(s.limit_e8);
  o.set_stop_price_e8(s.stop_e8);
  o.set_trail_amount_e8(s.trail_amount_e8);
  o.set_trail_bps(static_cast<int32_t>(s.trail_bps));
  o.set_display_quantity_e8(s.display_e8);
  o.set_expire_time_ns(s.expire_ns);
  o.set_reduce_only(s.reduce_only);
  o.set_post_only(s.post_only);
  o.set_contingency(s.contingency);
  o.set_parent_order_id(s.parent);
  for (const auto& l : s.linked) o.add_linked_order_ids(l);
  o.set_strategy(s.strategy);
  o.mutable_trace()->set_decision_id(s.decision_id);
  o.mutable_trace()->set_correlation_id(s.correlation_id);
  o.mutable_trace()->set_event_time_ns(s.decision_ns);
  return o;
}

std::optional<Problem> static_problem(const OrderSpec& s) {
  if (s.side != v1::SIDE_BUY && s.side != v1::SIDE_SELL)
    return invalid("side " + v1::Side_Name(s.side) + " is not BUY or SELL");
  if (s.quantity_e8 <= 0) return invalid("quantity " + dec(s.quantity_e8) + " is not positive");
  auto type = [&] { return type_name(s.type); };  // texts only: built when needed
  switch (s.type) {
    case v1::ORDER_TYPE_MARKET:
    case v1::ORDER_TYPE_LIMIT:
    case v1::ORDER_TYPE_STOP:
    case v1::ORDER_TYPE_STOP_LIMIT:
    case v1::ORDER_TYPE_TRAILING_STOP:
      break;
    default:
      return invalid("order type " + v1::OrderType_Name(s.type) +
                     " is not one of MARKET, LIMIT, STOP, STOP_LIMIT, TRAILING_STOP");
  }
  if (uses_limit(s.type) && s.limit_e8 <= 0)
    return invalid("limit price " + dec(s.limit_e8) + " is not positive");
  if (!uses_limit(s.type) && s.limit_e8 != 0)
    return invalid("limit price " + dec(s.limit_e8) + " is not used by a " + type() + " order");
  if (uses_stop(s.type) && s.stop_e8 <= 0)
    return invalid("stop price " + dec(s.stop_e8) + " is not positive");
  if (!uses_stop(s.type) && s.stop_e8 != 0)
    return invalid("stop price " + dec(s.stop_e8) + " is not used by a " + type() + " order");
  if (s.type == v1::ORDER_TYPE_TRAILING_STOP) {
    if (s.trail_amount_e8 < 0) return invalid("trail amount " + dec(s.trail_amount_e8) + " is not positive");
    if (s.trail_amount_e8 > 0 && s.trail_bps != 0)
      return invalid("a trailing stop takes trail_amount_e8 or trail_bps, not both");
    if (s.trail_amount_e8 == 0 && s.trail_bps == 0)
      return invalid("a trailing stop needs trail_amount_e8 or trail_bps");
    if (s.trail_amount_e8 == 0 && (s.trail_bps < 1 || s.trail_bps > 9999))
      return invalid("trail_bps " + std::to_string(s.trail_bps) + " is not between 1 and 9999");
  } else if (s.trail_amount_e8 != 0 || s.trail_bps != 0) {
    return invalid("trail_amount_e8 / trail_bps are not used by a " + type() + " order");
  }
  switch (s.tif) {
    case v1::TIME_IN_FORCE_GTC:
    case v1::TIME_IN_FORCE_DAY:
      break;
    case v1::TIME_IN_FORCE_IOC:
    case v1::TIME_IN_FORCE_FOK:
      if (s.type != v1::ORDER_TYPE_MARKET && s.type != v1::ORDER_TYPE_LIMIT)
        return invalid("time in force " + tif_name(s.tif) + " applies to MARKET and LIMIT orders only");
      break;
    case v1::TIME_IN_FORCE_GTD:
      if (s.expire_ns <= 0) return invalid("time in force GTD needs expire_time_ns");
      break;
    default:
      return invalid("time in force " + v1::TimeInForce_Name(s.tif) + " is not one of GTC, IOC, "
                     "FOK, DAY, GTD");
  }
  if (s.tif != v1::TIME_IN_FORCE_GTD && s.expire_ns != 0)
    return invalid("expire_time_ns is only used by GTD orders, not " + tif_name(s.tif));
  if (s.display_e8 < 0) return invalid("display quantity " + dec(s.display_e8) + " is negative");
  if (s.display_e8 > 0) {
    if (s.type != v1::ORDER_TYPE_LIMIT) return invalid("an iceberg (display quantity) must be a LIMIT order");
    if (s.display_e8 >= s.quantity_e8)
      return invalid("display quantity " + dec(s.display_e8) + " is not below quantity " +
                     dec(s.quantity_e8));
    if (s.immediate()) return invalid("an iceberg cannot be " + tif_name(s.tif));
  }
  if (s.post_only && (s.type != v1::ORDER_TYPE_LIMIT || s.immediate()))
    return invalid("post_only applies to resting LIMIT orders only (not " + type() + " " +
                   tif_name(s.tif) + ")");
  return std::nullopt;
}

std::optional<GroupProblem> group_problem(std::vector<OrderSpec>& g) {
  const v1::ContingencyType kind = g[0].contingency;
  auto kind_name = [&] { return strip(v1::ContingencyType_Name(kind), "CONTINGENCY_"); };
  auto at = [](size_t i, Problem p) { return GroupProblem{i, std::move(p)}; };
  if (g.size() == 1) {
    if (kind != v1::CONTINGENCY_NONE)
      return at(0, contingency("contingency " + kind_name() +
                               " needs its other orders as legs of the same OrderIntent"));
    if (!g[0].parent.empty())
      return at(0, contingency("parent_order_id " + g[0].parent +
                               " is not in this intent: contingent orders are submitted together "
                               "(OrderIntent.legs)"));
    if (!g[0].linked.empty())
      return at(0, contingency("linked order " + g[0].linked[0] +
                               " is not in this intent: contingent orders are submitted together "
                               "(OrderIntent.legs)"));
    return std::nullopt;
  }
  if (kind == v1::CONTINGENCY_NONE)
    return at(0, contingency("the intent has legs but its order's contingency is NONE"));
  if (kind != v1::CONTINGENCY_OCO && kind != v1::CONTINGENCY_OTO && kind != v1::CONTINGENCY_BRACKET)
    return at(0, contingency("contingency " + v1::ContingencyType_Name(kind) + " is not OCO, OTO or BRACKET"));
  std::set<std::string> ids;
  for (size_t i = 0; i < g.size(); ++i) {
    if (!ids.insert(g[i].id).second)
      return at(i, {v1::REJECT_DUPLICATE_ORDER, "duplicate client_order_id " + g[i].id + " in the group"});
    if (g[i].strategy != g[0].strategy)
      return at(i, contingency("leg " + g[i].id + " is for strategy '" + g[i].strategy +
                               "', not '" + g[0].strategy + "'"));
    if (i > 0 && g[i].contingency != v1::CONTINGENCY_NONE && g[i].contingency != kind)
      return at(i, contingency("leg " + g[i].id + " has contingency " +
                               strip(v1::ContingencyType_Name(g[i].contingency), "CONTINGENCY_") +
                               ", the group is " + kind_name()));
  }
  if (!g[0].parent.empty()) return at(0, contingency("the group's first order cannot have a parent"));
  auto expect_links = [&](size_t i, std::vector<std::string> want) -> std::optional<GroupProblem> {
    std::sort(want.begin(), want.end());
    std::vector<std::string> have = g[i].linked;
    std::sort(have.begin(), have.end());
    if (!have.empty() && have != want)
      return at(i, contingency("linked_order_ids of " + g[i].id + " do not match its OCO siblings"));
    g[i].linked = std::move(want);
    return std::nullopt;
  };
  auto expect_parent = [&](size_t i, const std::string& parent) -> std::optional<GroupProblem> {
    if (!g[i].parent.empty() && g[i].parent != parent)
      return at(i, contingency("parent_order_id " + g[i].parent + " of " + g[i].id +
                               " is not the group's first order " + parent));
    g[i].parent = parent;
    return std::nullopt;
  };
  if (kind == v1::CONTINGENCY_OCO) {
    for (size_t i = 0; i < g.size(); ++i) {
      if (i > 0 && !g[i].parent.empty())
        return at(i, contingency("an OCO leg has no parent (" + g[i].id + ")"));
      std::vector<std::string> others;
      for (size_t j = 0; j < g.size(); ++j)
        if (j != i) others.push_back(g[j].id);
      if (auto p = expect_links(i, others)) return p;
    }
    for (auto& o : g) o.contingency = kind;
    return std::nullopt;
  }
  if (!g[0].linked.empty()) return at(0, contingency("the entry of an " + kind_name() + " has no OCO siblings"));
  if (kind == v1::CONTINGENCY_OTO) {
    for (size_t i = 1; i < g.size(); ++i) {
      if (!g[i].linked.empty()) return at(i, contingency("an OTO leg has no OCO siblings (" + g[i].id + ")"));
      if (auto p = expect_parent(i, g[0].id)) return p;
    }
    for (auto& o : g) o.contingency = kind;
    return std::nullopt;
  }
  // BRACKET: entry, take-profit LIMIT, stop-loss on the other side.
  if (g.size() != 3)
    return at(0, contingency("a BRACKET has exactly two legs (take-profit and stop-loss), got " +
                             std::to_string(g.size() - 1)));
  size_t tp = 0, sl = 0;
  for (size_t i = 1; i < 3; ++i) {
    if (g[i].side == g[0].side)
      return at(i, contingency("bracket leg " + g[i].id + " must be on the other side of the entry"));
    if (g[i].quantity_e8 != g[0].quantity_e8)
      return at(i, contingency("bracket leg " + g[i].id + " quantity " + dec(g[i].quantity_e8) +
                               " is not the entry quantity " + dec(g[0].quantity_e8)));
    if (g[i].immediate())
      return at(i, contingency("bracket leg " + g[i].id + " cannot be " + tif_name(g[i].tif)));
    if (g[i].type == v1::ORDER_TYPE_LIMIT) {
      if (tp) return at(i, contingency("a BRACKET has one take-profit LIMIT leg, not two"));
      tp = i;
    } else if (g[i].stop_type()) {
      if (sl) return at(i, contingency("a BRACKET has one stop-loss leg, not two"));
      sl = i;
    } else {
      return at(i, contingency("bracket leg " + g[i].id + " is " + type_name(g[i].type) +
                               ": legs are a take-profit LIMIT and a STOP, STOP_LIMIT or TRAILING_STOP"));
    }
  }
  if (!tp || !sl) return at(1, contingency("a BRACKET needs a take-profit LIMIT leg and a stop-loss leg"));
  const bool long_entry = g[0].buy();
  const int64_t take = g[tp].limit_e8;
  if (g[sl].type != v1::ORDER_TYPE_TRAILING_STOP) {
    const int64_t stop = g[sl].stop_e8;
    if (long_entry ? !(stop < take) : !(stop > take))
      return at(sl, contingency("bracket stop-loss " + dec(stop) + " is not " +
                                (long_entry ? "below" : "above") + " the take-profit " + dec(take)));
    const int64_t entry = g[0].limit_e8;
    if (entry > 0 && (long_entry ? !(stop < entry && entry < take) : !(take < entry && entry < stop)))
      return at(0, contingency("bracket entry limit " + dec(entry) + " is not between the stop-loss " +
                               dec(stop) + " and the take-profit " + dec(take)));
  }
  for (size_t i = 1; i < 3; ++i) {
    if (auto p = expect_parent(i, g[0].id)) return p;
    if (auto p = expect_links(i, {g[3 - i].id})) return p;
  }
  for (auto& o : g) o.contingency = kind;
  return std::nullopt;
}

}  // namespace tp::execsim
