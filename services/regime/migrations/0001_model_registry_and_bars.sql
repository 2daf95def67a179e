-- regime: the model registry, its promotions, and the bars the service has
-- seen (the training source "bars from PostgreSQL").
-- Table names carry the service prefix because every service shares one database.

-- One row per model version. A version is content-addressed
-- ("hmm-<first 16 hex of SHA-256 of the parameters document>"), so
-- registering the same fit twice is a no-op. Rows are never updated.
CREATE TABLE regime_models (
  version        text PRIMARY KEY,
  name           text NOT NULL,             -- "regime-hmm"
  states         integer NOT NULL CHECK (states >= 1),
  covariance     text NOT NULL CHECK (covariance IN ('full', 'diagonal')),
  features       text NOT NULL,             -- "logret,rvol"
  parameters     text NOT NULL CHECK (parameters::jsonb IS NOT NULL),  -- exact JSON bytes the version hashes
  train_source   text NOT NULL,             -- "csv:<file name>" or "db:<venue>/<symbol>/<tf>"
  train_from_ns  bigint NOT NULL,
  train_to_ns    bigint NOT NULL,
  observations   bigint NOT NULL,
  metrics        jsonb NOT NULL,            -- log-likelihoods, BIC, iterations, stop reason, seed
  code_version   text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Promotions, append-only: the promoted version is the latest row.
CREATE TABLE regime_promotions (
  promotion_id   bigserial PRIMARY KEY,
  version        text NOT NULL REFERENCES regime_models (version),
  operator       text NOT NULL,
  promoted_at    timestamptz NOT NULL DEFAULT now()
);

-- Every bar the regime service consumed, written in the checkpoint's
-- transaction (exactly once per bar, whatever restarts happen).
CREATE TABLE regime_bars (
  venue          text NOT NULL,
  symbol         text NOT NULL,
  timeframe      text NOT NULL,
  open_time_ns   bigint NOT NULL,
  open_e8        bigint NOT NULL,
  high_e8        bigint NOT NULL,
  low_e8         bigint NOT NULL,
  close_e8       bigint NOT NULL,
  volume_e8      bigint NOT NULL,
  quality_flags  integer NOT NULL,
  PRIMARY KEY (venue, symbol, timeframe, open_time_ns)
);
