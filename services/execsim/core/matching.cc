#include "execsim/core/matching.h"

#include "tp/core/fixed_point.h"

namespace tp::execsim {

namespace v1 = trading::v1;

std::optional<std::string> accept_problem(const v1::Order& order) {
  if (order.side() != v1::SIDE_BUY && order.side() != v1::SIDE_SELL)
    return "side " + v1::Side_Name(order.side()) + " is not BUY or SELL";
  if (order.quantity_e8() <= 0)
    return "quantity " + fixed::to_string(order.quantity_e8()) + " is not positive";
  switch (order.type()) {
    case v1::ORDER_TYPE_MARKET:
      break;
    case v1::ORDER_TYPE_LIMIT:
      if (order.limit_price_e8() <= 0)
        return "limit price " + fixed::to_string(order.limit_price_e8()) + " is not positive";
      break;
    default:
      return "order type " + v1::OrderType_Name(order.type()) +
             " is not supported by the paper venue yet";
  }
  switch (order.time_in_force()) {
    case v1::TIME_IN_FORCE_UNSPECIFIED:
    case v1::TIME_IN_FORCE_GTC:
    case v1::TIME_IN_FORCE_IOC:
    case v1::TIME_IN_FORCE_FOK:
      break;
    default:
      return "time in force " + v1::TimeInForce_Name(order.time_in_force()) +
             " is not supported by the paper venue yet";
  }
  if (order.reduce_only()) return "reduce_only is not supported by the paper venue yet";
  if (order.post_only()) return "post_only is not supported by the paper venue yet";
  if (order.display_quantity_e8() != 0) return "iceberg orders are not supported by the paper venue yet";
  if (order.contingency() != v1::CONTINGENCY_NONE || !order.parent_order_id().empty() ||
      order.linked_order_ids_size() > 0)
    return "contingent orders are not supported by the paper venue yet";
  return std::nullopt;
}

std::optional<FillRule> fill_rule(const v1::Order& order, const v1::Bar& bar,
                                  const FillModel& model) {
  const bool buy = order.side() == v1::SIDE_BUY;
  switch (order.type()) {
    case v1::ORDER_TYPE_MARKET: {
      // The slippage amount is rounded half away from zero, so at a tie the
      // rounding goes against the trader on both sides.
      const int64_t slip = fixed::apply_bps(bar.open_e8(), model.slippage_bps);
      FillRule r;
      r.price_e8 = buy ? bar.open_e8() + slip : bar.open_e8() - slip;
      r.liquidity = v1::LIQUIDITY_TAKER;
      r.fee_bps = model.taker_fee_bps;
      r.text = std::string("MARKET at open ") + fixed::to_string(bar.open_e8()) +
               (buy ? " + " : " - ") + std::to_string(model.slippage_bps) +
               " bps slippage = " + fixed::to_string(r.price_e8) + "; taker fee " +
               std::to_string(model.taker_fee_bps) + " bps";
      return r;
    }
    case v1::ORDER_TYPE_LIMIT: {
      // Only a bar that trades through the limit fills it, at the limit:
      // touching it is not enough (queue position unknown).
      const int64_t limit = order.limit_price_e8();
      const bool through = buy ? bar.low_e8() < limit : bar.high_e8() > limit;
      if (!through) return std::nullopt;
      FillRule r;
      r.price_e8 = limit;
      r.liquidity = v1::LIQUIDITY_MAKER;
      r.fee_bps = model.maker_fee_bps;
      r.text = "LIMIT " + fixed::to_string(limit) + " traded through (" +
               (buy ? "low " + fixed::to_string(bar.low_e8())
                    : "high " + fixed::to_string(bar.high_e8())) +
               "); maker fee " + std::to_string(model.maker_fee_bps) + " bps";
      return r;
    }
    default:
      return std::nullopt;  // not accepted in the first place
  }
}

bool single_bar(const v1::Order& order) {
  return order.time_in_force() == v1::TIME_IN_FORCE_IOC ||
         order.time_in_force() == v1::TIME_IN_FORCE_FOK;
}

}  // namespace tp::execsim
