-- An outcome is identified by its message id ("outcome:<decision_id>:<client_order_id>:<n>",
-- one per closing fill), not by (decision_id, closed_time_ns): two closing fills of one
-- decision in the same bar (partial fills, a bracket's legs) are two outcomes.
-- Rows recorded before keep the old key as their id.
ALTER TABLE paramctl_outcomes ADD COLUMN outcome_id text;
UPDATE paramctl_outcomes SET outcome_id = decision_id || '|' || closed_time_ns;
ALTER TABLE paramctl_outcomes ALTER COLUMN outcome_id SET NOT NULL;
ALTER TABLE paramctl_outcomes DROP CONSTRAINT paramctl_outcomes_pkey;
ALTER TABLE paramctl_outcomes ADD PRIMARY KEY (outcome_id);
CREATE INDEX paramctl_outcomes_decision ON paramctl_outcomes (decision_id, closed_time_ns);
