-- execsim: the paper venue's orders, fills, positions and outcomes.
-- Written in the same transaction as execsim's checkpoint, so the tables
-- always agree with the restored state. Money and quantities are *_e8
-- fixed point (bigint, value x 10^8), like the protocol.

-- One row per order the venue has seen (accepted or rejected); updated by
-- every execution report.
CREATE TABLE IF NOT EXISTS execsim_orders (
  client_order_id        text PRIMARY KEY,
  strategy               text   NOT NULL,
  venue                  text   NOT NULL,
  symbol                 text   NOT NULL,
  side                   text   NOT NULL,            -- BUY | SELL
  order_type             text   NOT NULL,            -- MARKET | LIMIT
  time_in_force          text   NOT NULL,            -- GTC | IOC | FOK
  quantity_e8            bigint NOT NULL,
  limit_price_e8         bigint NOT NULL,            -- 0 unless LIMIT
  status                 text   NOT NULL,            -- last exec type: ACK, PARTIAL_FILL, FILL, CANCELED, REJECTED
  cumulative_quantity_e8 bigint NOT NULL DEFAULT 0,
  leaves_quantity_e8     bigint NOT NULL DEFAULT 0,
  average_price_e8       bigint NOT NULL DEFAULT 0,
  last_text              text   NOT NULL DEFAULT '',
  decision_time_ns       bigint NOT NULL,            -- event time of the decision (bar open)
  updated_time_ns        bigint NOT NULL,            -- event time of the last report
  decision_id            text   NOT NULL DEFAULT '',
  correlation_id         text   NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS execsim_orders_by_instrument
  ON execsim_orders (venue, symbol, decision_time_ns);

-- One row per fill (EXEC_PARTIAL_FILL or EXEC_FILL report).
CREATE TABLE IF NOT EXISTS execsim_fills (
  exec_id          text PRIMARY KEY,                 -- exec:<client_order_id>:<n>
  client_order_id  text   NOT NULL,
  strategy         text   NOT NULL,
  venue            text   NOT NULL,
  symbol           text   NOT NULL,
  side             text   NOT NULL,                  -- BUY | SELL
  quantity_e8      bigint NOT NULL,                  -- > 0
  price_e8         bigint NOT NULL,                  -- slippage included
  notional_e8      bigint NOT NULL,                  -- quantity x price, rounded half away from zero
  fee_e8           bigint NOT NULL,
  liquidity        text   NOT NULL,                  -- MAKER | TAKER
  bar_time_ns      bigint NOT NULL,                  -- open time of the bar it filled on
  decision_id      text   NOT NULL DEFAULT '',
  correlation_id   text   NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS execsim_fills_by_instrument
  ON execsim_fills (strategy, venue, symbol, bar_time_ns);

-- Every Position published, one per (strategy, instrument, bar).
CREATE TABLE IF NOT EXISTS execsim_position_history (
  strategy          text   NOT NULL,
  venue             text   NOT NULL,
  symbol            text   NOT NULL,
  bar_time_ns       bigint NOT NULL,                 -- Trace.event_time_ns (bar open)
  as_of_ns          bigint NOT NULL,                 -- bar close time (the mark's time)
  quantity_e8       bigint NOT NULL,                 -- signed
  average_cost_e8   bigint NOT NULL,
  realized_pnl_e8   bigint NOT NULL,                 -- cumulative, gross of fees
  unrealized_pnl_e8 bigint NOT NULL,
  fees_e8           bigint NOT NULL,                 -- cumulative
  mark_price_e8     bigint NOT NULL,
  cash_e8           bigint NOT NULL,                 -- of the (strategy, instrument) sleeve
  equity_e8         bigint NOT NULL,                 -- cash + quantity x mark
  PRIMARY KEY (strategy, venue, symbol, bar_time_ns)
);

-- The latest row of execsim_position_history per (strategy, instrument).
CREATE TABLE IF NOT EXISTS execsim_positions (
  strategy          text   NOT NULL,
  venue             text   NOT NULL,
  symbol            text   NOT NULL,
  bar_time_ns       bigint NOT NULL,
  as_of_ns          bigint NOT NULL,
  quantity_e8       bigint NOT NULL,
  average_cost_e8   bigint NOT NULL,
  realized_pnl_e8   bigint NOT NULL,
  unrealized_pnl_e8 bigint NOT NULL,
  fees_e8           bigint NOT NULL,
  mark_price_e8     bigint NOT NULL,
  cash_e8           bigint NOT NULL,
  equity_e8         bigint NOT NULL,
  PRIMARY KEY (strategy, venue, symbol)
);

-- Realised, fee-inclusive results attributed to decision ids (the bandit's rewards).
CREATE TABLE IF NOT EXISTS execsim_outcomes (
  outcome_id        text PRIMARY KEY,                -- outcome:<decision_id>:<client_order_id>:<n>
  decision_id       text   NOT NULL,
  strategy          text   NOT NULL,
  venue             text   NOT NULL,
  symbol            text   NOT NULL,
  realized_pnl_e8   bigint NOT NULL,                 -- net of fees
  fees_e8           bigint NOT NULL,
  notional_e8       bigint NOT NULL,                 -- entry notional of the closed quantity
  reward            double precision NOT NULL,
  closed_time_ns    bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS execsim_outcomes_by_decision ON execsim_outcomes (decision_id);
