// The paper venue's order model: what a client may ask for (OrderSpec, the
// engine's copy of a trading.v1.Order) and the static rules an order or a
// contingent group must satisfy before it is accepted. Every rule has its
// own reject reason and text (docs/services/execsim.md, "Acceptance").
//
//   OrderSpec spec = spec_from_proto(order);
//   if (auto p = static_problem(spec)) reject(p->reason, p->text);
//   std::vector<OrderSpec> group{primary, legs...};
//   if (auto p = group_problem(group)) ...;   // also fills in the links
//
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "execsim/core/execsim_config.h"
#include "trading/v1/orders.pb.h"

namespace tp::execsim {

struct OrderSpec {
  std::string id;  // client_order_id
  std::string strategy;
  trading::v1::Side side = trading::v1::SIDE_UNSPECIFIED;
  trading::v1::OrderType type = trading::v1::ORDER_TYPE_UNSPECIFIED;
  trading::v1::TimeInForce tif = trading::v1::TIME_IN_FORCE_GTC;  // UNSPECIFIED read as GTC
  int64_t quantity_e8 = 0;
  int64_t limit_e8 = 0;
  int64_t stop_e8 = 0;
  int64_t trail_amount_e8 = 0;
  int64_t trail_bps = 0;
  int64_t display_e8 = 0;  // iceberg; 0 = not an iceberg
  int64_t expire_ns = 0;   // GTD
  bool reduce_only = false;
  bool post_only = false;
  trading::v1::ContingencyType contingency = trading::v1::CONTINGENCY_NONE;
  std::string parent;               // OTO / BRACKET child: its parent
  std::vector<std::string> linked;  // OCO siblings
  // Trace of the decision that produced it.
  std::string decision_id;
  std::string correlation_id;
  int64_t decision_ns = 0;

  bool buy() const { return side == trading::v1::SIDE_BUY; }
  bool immediate() const {  // IOC or FOK: executes at arrival or never
    return tif == trading::v1::TIME_IN_FORCE_IOC || tif == trading::v1::TIME_IN_FORCE_FOK;
  }
  bool stop_type() const {
    return type == trading::v1::ORDER_TYPE_STOP || type == trading::v1::ORDER_TYPE_STOP_LIMIT ||
           type == trading::v1::ORDER_TYPE_TRAILING_STOP;
  }
};

OrderSpec spec_from_proto(const trading::v1::Order& order);
// The order as the venue holds it (after replaces), for the orders table and queries.
trading::v1::Order spec_to_proto(const OrderSpec& spec, const InstrumentKey& instrument);

struct Problem {
  trading::v1::RejectReason reason = trading::v1::REJECT_INVALID_ORDER;
  std::string text;
};

// Rules on one order alone (side, quantity, the prices its type needs and
// no others, time in force, iceberg, post-only). Contingency fields are
// checked by group_problem().
std::optional<Problem> static_problem(const OrderSpec& spec);

// Rules on a contingent group: group[0] is the intent's order, the rest its
// legs. On success fills in parent / linked of every member. On failure
// `member` is the index of the order at fault.
struct GroupProblem {
  size_t member = 0;
  Problem problem;
};
std::optional<GroupProblem> group_problem(std::vector<OrderSpec>& group);

// Names without the enum prefix, for texts: "BUY", "STOP_LIMIT", "GTC".
std::string side_name(trading::v1::Side side);
std::string type_name(trading::v1::OrderType type);
std::string tif_name(trading::v1::TimeInForce tif);

}  // namespace tp::execsim
