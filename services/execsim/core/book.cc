#include "execsim/core/book.h"

#include <limits>

#include "tp/core/fixed_point.h"

namespace tp::execsim {

namespace {
int64_t abs64(int64_t v) { return v < 0 ? -v : v; }
}  // namespace

int64_t mul_div(int64_t a, int64_t b, int64_t c) {
  return div_round(static_cast<__int128>(a) * b, c);
}

int64_t div_round(__int128 num, __int128 den) {
  __int128 q = num / den;
  const __int128 r = num % den;
  const __int128 abs_r2 = (r < 0 ? -r : r) * 2;
  const __int128 abs_den = den < 0 ? -den : den;
  if (abs_r2 >= abs_den) q += ((num < 0) != (den < 0)) ? -1 : 1;
  if (q > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (q < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(q);
}

std::optional<Closing> apply_fill(Book& book, trading::v1::Side side, int64_t quantity_e8,
                                  int64_t notional_e8, int64_t fee_e8) {
  const int64_t sign = side == trading::v1::SIDE_BUY ? 1 : -1;
  const int64_t signed_notional = sign * notional_e8;
  book.cash_e8 -= signed_notional + fee_e8;
  book.fees_e8 += fee_e8;

  std::optional<Closing> closing;
  int64_t open_qty = quantity_e8;
  int64_t open_notional = signed_notional;
  int64_t open_fee = fee_e8;
  if (book.quantity_e8 != 0 && (book.quantity_e8 > 0) != (sign > 0)) {
    const int64_t held = abs64(book.quantity_e8);
    const int64_t closed = std::min(quantity_e8, held);
    const int64_t close_notional =
        closed == quantity_e8 ? signed_notional : mul_div(signed_notional, closed, quantity_e8);
    const int64_t close_fee = closed == quantity_e8 ? fee_e8 : mul_div(fee_e8, closed, quantity_e8);
    const int64_t removed_cost = closed == held ? book.cost_e8 : mul_div(book.cost_e8, closed, held);
    const int64_t removed_fees =
        closed == held ? book.open_fees_e8 : mul_div(book.open_fees_e8, closed, held);
    Closing c;
    c.quantity_e8 = closed;
    c.gross_pnl_e8 = -close_notional - removed_cost;
    c.fees_e8 = close_fee + removed_fees;
    c.net_pnl_e8 = c.gross_pnl_e8 - c.fees_e8;
    c.entry_notional_e8 = abs64(removed_cost);
    book.realized_pnl_e8 += c.gross_pnl_e8;
    book.quantity_e8 += sign * closed;
    book.cost_e8 -= removed_cost;
    book.open_fees_e8 -= removed_fees;
    closing = c;
    open_qty -= closed;
    open_notional -= close_notional;
    open_fee -= close_fee;
  }
  if (open_qty > 0) {
    book.quantity_e8 += sign * open_qty;
    book.cost_e8 += open_notional;
    book.open_fees_e8 += open_fee;
  }
  return closing;
}

int64_t average_cost_e8(const Book& book) {
  return book.quantity_e8 == 0 ? 0 : fixed::div(book.cost_e8, book.quantity_e8);
}

int64_t unrealized_pnl_e8(const Book& book, int64_t mark_e8) {
  return fixed::mul(book.quantity_e8, mark_e8) - book.cost_e8;
}

int64_t equity_e8(const Book& book, int64_t mark_e8) {
  return book.cash_e8 + fixed::mul(book.quantity_e8, mark_e8);
}

}  // namespace tp::execsim
