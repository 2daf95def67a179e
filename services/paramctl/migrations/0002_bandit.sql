-- paramctl: the LinTS bandit (issue #5). Posterior statistics for operators,
-- the standardised context of each decision, and the learning order of
-- rewards given through gRPC Learn. The checkpoint snapshot is what a restart
-- restores; these rows are written in the same transaction, so they always
-- describe a state the service was in.

-- The features a decision used after standardisation (NULL when the chooser
-- does not standardise, e.g. the default chooser).
ALTER TABLE paramctl_decisions ADD COLUMN standardized double precision[];

-- gRPC Learn rewards are learned in seq order; the snapshot records the last
-- seq learned, so a restart learns the later ones exactly once.
ALTER TABLE paramctl_rewards ADD COLUMN seq bigserial;
CREATE UNIQUE INDEX paramctl_rewards_seq ON paramctl_rewards (seq);

-- One row per arm (preset) of each model. A model is per (strategy,
-- instrument), or per strategy with venue = symbol = '*' when instruments
-- are pooled. Theta ~ N(mean, v_effective^2 B^-1); stddev = v_effective *
-- sqrt(diag B^-1). Arrays are indexed like feature_names; b and cholesky are
-- d x d (cholesky lower, B = L L').
CREATE TABLE paramctl_bandit_arms (
  strategy        text NOT NULL,
  venue           text NOT NULL,
  symbol          text NOT NULL,
  preset_id       text NOT NULL,
  feature_names   text[] NOT NULL,
  rewards_learned bigint NOT NULL,
  reward_sum      double precision NOT NULL,    -- of rewards as learned (clipped, scaled)
  mean            double precision[] NOT NULL,  -- B^-1 f
  stddev          double precision[] NOT NULL,
  b               double precision[] NOT NULL,  -- lambda I + sum x x'
  f               double precision[] NOT NULL,  -- sum r x
  cholesky        double precision[] NOT NULL,
  v_effective     double precision NOT NULL,    -- v after decay, when written
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (strategy, venue, symbol, preset_id)
);

-- The standardiser of each model: per feature, the finite values observed
-- (one per bar), their running mean, sample standard deviation and Welford M2.
CREATE TABLE paramctl_bandit_features (
  strategy        text NOT NULL,
  venue           text NOT NULL,
  symbol          text NOT NULL,
  feature_names   text[] NOT NULL,
  observations    bigint[] NOT NULL,
  mean            double precision[] NOT NULL,
  stddev          double precision[] NOT NULL,
  m2              double precision[] NOT NULL,
  rewards_learned bigint NOT NULL,
  v_effective     double precision NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (strategy, venue, symbol)
);
