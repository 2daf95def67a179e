-- execsim: the full order model (stops, trailing stops, iceberg, contingent
-- orders, cancel/replace), every execution event, and closed trades.
-- Additive only: rows written before this migration keep their meaning.

-- The order as the venue holds it, and its state after the last event.
ALTER TABLE execsim_orders
  ADD COLUMN IF NOT EXISTS stop_price_e8       bigint NOT NULL DEFAULT 0,   -- STOP/STOP_LIMIT, or the trailing stop's current level
  ADD COLUMN IF NOT EXISTS trail_amount_e8     bigint NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS trail_bps           integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS display_quantity_e8 bigint NOT NULL DEFAULT 0,   -- iceberg
  ADD COLUMN IF NOT EXISTS expire_time_ns      bigint NOT NULL DEFAULT 0,   -- GTD
  ADD COLUMN IF NOT EXISTS reduce_only         boolean NOT NULL DEFAULT false,
  ADD COLUMN IF NOT EXISTS post_only           boolean NOT NULL DEFAULT false,
  ADD COLUMN IF NOT EXISTS contingency         text NOT NULL DEFAULT 'NONE', -- NONE | OCO | OTO | BRACKET
  ADD COLUMN IF NOT EXISTS parent_order_id     text NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS order_status        text NOT NULL DEFAULT '',     -- OrderStatus without prefix: NEW, FILLED, ...
  ADD COLUMN IF NOT EXISTS order_quantity_e8   bigint NOT NULL DEFAULT 0,    -- current quantity (replace, child resize)
  ADD COLUMN IF NOT EXISTS cumulative_fees_e8  bigint NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS reject_reason       text NOT NULL DEFAULT '',     -- RejectReason name of the last event, if any
  ADD COLUMN IF NOT EXISTS order_pb            bytea;                        -- trading.v1.Order as held (after replaces)
CREATE INDEX IF NOT EXISTS execsim_orders_by_strategy
  ON execsim_orders (strategy, venue, symbol, decision_time_ns);

-- Every execution report, in order: the audit trail of each order.
CREATE TABLE IF NOT EXISTS execsim_order_events (
  exec_id          text PRIMARY KEY,                 -- exec:<client_order_id>:<n>
  client_order_id  text   NOT NULL,
  event_no         bigint NOT NULL,                  -- n
  strategy         text   NOT NULL,
  venue            text   NOT NULL,
  symbol           text   NOT NULL,
  exec_type        text   NOT NULL,                  -- ACK, TRIGGERED, PARTIAL_FILL, FILL, CANCELED, ...
  order_status     text   NOT NULL,                  -- the order's state after it
  reject_reason    text   NOT NULL DEFAULT '',
  transact_time_ns bigint NOT NULL,                  -- bar time
  text             text   NOT NULL DEFAULT '',
  report_pb        bytea  NOT NULL                   -- trading.v1.ExecutionReport
);
CREATE INDEX IF NOT EXISTS execsim_order_events_by_order
  ON execsim_order_events (client_order_id, event_no);

-- One row per closing fill (the trades of the trade statistics).
CREATE TABLE IF NOT EXISTS execsim_trades (
  exec_id           text PRIMARY KEY,                -- the closing fill
  client_order_id   text   NOT NULL,
  strategy          text   NOT NULL,
  venue             text   NOT NULL,
  symbol            text   NOT NULL,
  position_side     text   NOT NULL,                 -- LONG or SHORT: the position it reduced
  quantity_e8       bigint NOT NULL,                 -- closed quantity
  entry_price_e8    bigint NOT NULL,                 -- average cost of the closed quantity
  exit_price_e8     bigint NOT NULL,
  entry_notional_e8 bigint NOT NULL,
  gross_pnl_e8      bigint NOT NULL,
  fees_e8           bigint NOT NULL,                 -- closing share of the fill's fee + opening fees of the closed quantity
  net_pnl_e8        bigint NOT NULL,
  closed_time_ns    bigint NOT NULL,
  decision_id       text   NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS execsim_trades_by_sleeve
  ON execsim_trades (strategy, venue, symbol, closed_time_ns);
CREATE INDEX IF NOT EXISTS execsim_outcomes_by_strategy
  ON execsim_outcomes (strategy, closed_time_ns);
CREATE INDEX IF NOT EXISTS execsim_position_history_by_time
  ON execsim_position_history (bar_time_ns);
