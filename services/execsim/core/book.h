// Exact fixed-point accounting of one (strategy, instrument) sleeve: signed
// quantity, open cost basis, realised PnL with average cost, fees and cash.
//
//   Book b{.cash_e8 = initial};
//   auto closing = apply_fill(b, trading::v1::SIDE_SELL, qty_e8, notional_e8, fee_e8);
//   int64_t equity = equity_e8(b, mark_e8);
//
// The open cost basis (`cost_e8`, signed like the quantity) is kept as the
// exact sum of the notionals that opened the position, minus what reductions
// removed pro rata. With it, for every sequence of fills:
//   cash      == initial - sum(signed notional) - sum(fees)
//   quantity  == sum(signed fill quantities)
//   equity    == cash + mul(quantity, mark)
//   realized - fees + unrealized == equity - initial        (exactly)
// because each reduction moves exactly the removed cost from "open" to
// "realised". Pure functions; not thread-safe (plain value).
#pragma once

#include <cstdint>
#include <optional>

#include "trading/v1/common.pb.h"

namespace tp::execsim {

struct Book {
  int64_t quantity_e8 = 0;      // signed: > 0 long, < 0 short
  int64_t cost_e8 = 0;          // signed open cost basis (sum of opening notionals)
  int64_t open_fees_e8 = 0;     // fees paid by the fills that opened the open quantity
  int64_t realized_pnl_e8 = 0;  // cumulative, gross of fees
  int64_t fees_e8 = 0;          // cumulative
  int64_t cash_e8 = 0;
};

// What a fill that reduced (or closed) the position realised, for outcome
// attribution: net PnL = gross - fees, where fees are the closing share of
// this fill's fee plus the pro-rata share of the fees that opened the closed
// quantity.
struct Closing {
  int64_t quantity_e8 = 0;        // closed quantity, > 0
  int64_t gross_pnl_e8 = 0;
  int64_t fees_e8 = 0;
  int64_t net_pnl_e8 = 0;
  int64_t entry_notional_e8 = 0;  // |removed cost basis|, the capital the PnL was earned on
};

// num / den rounded half away from zero, clamped to int64. den must not be 0.
int64_t div_round(__int128 num, __int128 den);
// a * b / c in 128 bits, rounded half away from zero. c must not be 0.
int64_t mul_div(int64_t a, int64_t b, int64_t c);

// Applies one fill of `quantity_e8` (> 0) at total `notional_e8` (> 0) with
// `fee_e8`. A fill that crosses zero closes first, then opens the rest; its
// notional and fee are split pro rata (the opening part gets the remainder,
// so the parts add up exactly). Returns the closing part, if any.
std::optional<Closing> apply_fill(Book& book, trading::v1::Side side, int64_t quantity_e8,
                                  int64_t notional_e8, int64_t fee_e8);

int64_t average_cost_e8(const Book& book);               // 0 when flat
int64_t unrealized_pnl_e8(const Book& book, int64_t mark_e8);
int64_t equity_e8(const Book& book, int64_t mark_e8);

}  // namespace tp::execsim
