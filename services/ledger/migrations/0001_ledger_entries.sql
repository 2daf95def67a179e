-- The audit ledger: one row per stream message, hash-chained (docs/ledger.md).
-- Append-only: UPDATE, DELETE and TRUNCATE are rejected by triggers, so even
-- the owning role cannot rewrite history without first dropping a trigger
-- (which leaves the chain to catch the tampering).
CREATE TABLE ledger_entries (
  index           bigint PRIMARY KEY CHECK (index >= 0),
  stream          text   NOT NULL,
  stream_sequence bigint NOT NULL CHECK (stream_sequence > 0),
  subject         text   NOT NULL,
  message_id      text   NOT NULL,
  producer        text   NOT NULL,
  message_type    text   NOT NULL,
  key_id          text   NOT NULL,
  payload         bytea  NOT NULL,
  payload_sha256  bytea  NOT NULL CHECK (octet_length(payload_sha256) = 32),
  published_ns    bigint NOT NULL,
  received_ns     bigint NOT NULL,
  correlation_id  text   NOT NULL,
  previous_hash   bytea  NOT NULL CHECK (octet_length(previous_hash) = 32),
  entry_hash      bytea  NOT NULL CHECK (octet_length(entry_hash) = 32),
  CONSTRAINT ledger_entries_stream_sequence_key UNIQUE (stream, stream_sequence)
);

-- tradectl summary counts by type.
CREATE INDEX ledger_entries_message_type_idx ON ledger_entries (message_type);

CREATE FUNCTION ledger_entries_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_entries is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER ledger_entries_append_only
  BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_reject_change();

CREATE TRIGGER ledger_entries_no_truncate
  BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_reject_change();

-- Roles other than the owner never get to rewrite rows. (The owner keeps
-- its privileges; a dedicated append-only role is a later issue.)
REVOKE UPDATE, DELETE, TRUNCATE ON ledger_entries FROM PUBLIC;
