-- paramctl: parameter presets, the decisions made with them and their outcomes.
-- Table names carry the service prefix because every service shares one database.

CREATE TABLE paramctl_presets (
  preset_id   text PRIMARY KEY,
  strategy    text NOT NULL,
  "values"    jsonb NOT NULL,           -- {"fast": 10, "slow": 50, ...}
  description text NOT NULL DEFAULT '',
  enabled     boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX paramctl_presets_strategy ON paramctl_presets (strategy);

-- One row per decision: a decision epoch from the REGIME stream
-- ("d:<strategy>:<venue>:<symbol>:<t>") or a gRPC Select ("sel:...").
CREATE TABLE paramctl_decisions (
  decision_id   text PRIMARY KEY,
  strategy      text NOT NULL,
  venue         text NOT NULL,
  symbol        text NOT NULL,
  preset_id     text NOT NULL,
  context       jsonb NOT NULL,         -- {"p_bull": .., "p_bear": .., ..., "bias": 1}
  event_time_ns bigint NOT NULL,        -- first bar of the epoch (or the Select's time)
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX paramctl_decisions_strategy ON paramctl_decisions (strategy, venue, symbol, event_time_ns);

-- Outcomes from the PARAMS stream (params.outcome.>), idempotent per close.
CREATE TABLE paramctl_outcomes (
  decision_id     text NOT NULL,
  realized_pnl_e8 bigint NOT NULL,
  fees_e8         bigint NOT NULL,
  notional_e8     bigint NOT NULL,
  reward          double precision NOT NULL,
  closed_time_ns  bigint NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (decision_id, closed_time_ns)
);

-- Rewards given through the gRPC Learn call, one per decision.
CREATE TABLE paramctl_rewards (
  decision_id text PRIMARY KEY REFERENCES paramctl_decisions (decision_id),
  reward      double precision NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
