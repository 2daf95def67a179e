-- How far the ingester has published each series: the open time of the last
-- bar whose publish was confirmed by the broker (written after each flush).
-- On restart, CSV rows at or below the watermark are not published again.
CREATE TABLE IF NOT EXISTS tp_ingester_watermarks (
  venue        text        NOT NULL,
  symbol       text        NOT NULL,
  timeframe    text        NOT NULL,
  open_time_ns bigint      NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (venue, symbol, timeframe)
);
