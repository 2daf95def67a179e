-- The RFC 6962 Merkle tree over ledger_entries, signed tree heads, query
-- indexes, and the append-only writer role (docs/ledger.md).

-- Every complete perfect subtree, grouped by the entry that completes it:
-- the row of entry `leaf` holds, for level L = 0, 1, ... while the low L
-- bits of leaf are all 1, the hash of the subtree (L, (leaf + 1) / 2^L - 1)
-- covering entries [leaf + 1 - 2^L, leaf], 32 bytes each (level 0 = the
-- entry's leaf hash). Written with the entries, in the checkpoint transaction.
CREATE TABLE ledger_tree_nodes (
  leaf   bigint PRIMARY KEY CHECK (leaf >= 0),
  hashes bytea  NOT NULL CHECK (octet_length(hashes) > 0 AND octet_length(hashes) % 32 = 0)
);

-- The public keys that sign tree heads (the private key never leaves the
-- ledger's key file). An auditor should pin the key out of band; this
-- table only says which keys the ledger has used.
CREATE TABLE ledger_signing_keys (
  key_id     text   PRIMARY KEY,
  algorithm  text   NOT NULL CHECK (algorithm = 'ed25519'),
  public_key bytea  NOT NULL CHECK (octet_length(public_key) = 32),
  first_used_ns bigint NOT NULL
);

-- Every signed tree head the ledger issued, at most one per size.
CREATE TABLE ledger_tree_heads (
  tree_size    bigint PRIMARY KEY CHECK (tree_size >= 0),
  root_hash    bytea  NOT NULL CHECK (octet_length(root_hash) = 32),
  timestamp_ns bigint NOT NULL,
  key_id       text   NOT NULL REFERENCES ledger_signing_keys (key_id),
  signature    bytea  NOT NULL
);

CREATE TRIGGER ledger_tree_nodes_append_only
  BEFORE UPDATE OR DELETE ON ledger_tree_nodes
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_reject_change();
CREATE TRIGGER ledger_tree_nodes_no_truncate
  BEFORE TRUNCATE ON ledger_tree_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_reject_change();
CREATE TRIGGER ledger_tree_heads_append_only
  BEFORE UPDATE OR DELETE ON ledger_tree_heads
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_reject_change();
CREATE TRIGGER ledger_tree_heads_no_truncate
  BEFORE TRUNCATE ON ledger_tree_heads
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_reject_change();
CREATE TRIGGER ledger_signing_keys_append_only
  BEFORE UPDATE OR DELETE ON ledger_signing_keys
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_reject_change();
CREATE TRIGGER ledger_signing_keys_no_truncate
  BEFORE TRUNCATE ON ledger_signing_keys
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_reject_change();

-- The reject function names the table it guards.
CREATE OR REPLACE FUNCTION ledger_entries_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

REVOKE UPDATE, DELETE, TRUNCATE ON ledger_tree_nodes, ledger_tree_heads, ledger_signing_keys
  FROM PUBLIC;

-- Queries: a trade's timeline by correlation id, subjects by prefix, time
-- ranges on the signed publish time.
CREATE INDEX ledger_entries_correlation_idx ON ledger_entries (correlation_id, index)
  WHERE correlation_id <> '';
CREATE INDEX ledger_entries_subject_idx ON ledger_entries (subject text_pattern_ops, index);
CREATE INDEX ledger_entries_published_idx ON ledger_entries (published_ns, index);

-- The append-only writer role: INSERT and SELECT on the ledger's tables,
-- never UPDATE, DELETE or TRUNCATE, and not their owner (so it cannot drop
-- the triggers either). The ledger switches to it (SET LOCAL ROLE) for every
-- write; a dedicated login role that is a member of it is how production
-- runs the ledger (docs/ledger.md, "The writer role"). Roles are
-- cluster-wide: created once, by a role allowed to (else skipped).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tp_ledger_writer') THEN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user
               AND (rolsuper OR rolcreaterole)) THEN
      BEGIN
        CREATE ROLE tp_ledger_writer NOLOGIN;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;  -- created concurrently by another database's migration
      END;
    ELSE
      RAISE NOTICE 'tp_ledger_writer not created: % may not create roles', current_user;
    END IF;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tp_ledger_writer') THEN
    GRANT SELECT, INSERT ON ledger_entries, ledger_tree_nodes, ledger_tree_heads,
      ledger_signing_keys TO tp_ledger_writer;
    BEGIN  -- usually granted to PUBLIC anyway; not fatal if we may not
      EXECUTE format('GRANT CONNECT ON DATABASE %I TO tp_ledger_writer', current_database());
      GRANT USAGE ON SCHEMA public TO tp_ledger_writer;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'CONNECT/USAGE not granted to tp_ledger_writer: %', SQLERRM;
    END;
  END IF;
END;
$$;
