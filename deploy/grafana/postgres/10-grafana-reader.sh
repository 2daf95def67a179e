#!/bin/sh
# Creates grafana_reader, the read-only PostgreSQL role of Grafana's
# "TradingDB" datasource (trading and audit dashboards). Run by the postgres
# image on first start (/docker-entrypoint-initdb.d), or by hand against an
# existing database:
#
#   PGHOST=... PGPORT=... POSTGRES_USER=tp POSTGRES_DB=trading \
#   GRAFANA_DB_PASSWORD_FILE=deploy/secrets/grafana_db_password \
#   deploy/grafana/postgres/10-grafana-reader.sh
#
# pg_read_all_data (PostgreSQL 14+) covers the tables the services create
# later by migration; the role can never write.
set -eu
password="$(cat "${GRAFANA_DB_PASSWORD_FILE:-/run/secrets/grafana_db_password}")"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-tp}" --dbname "${POSTGRES_DB:-trading}" \
  -v password="$password" <<'SQL'
SELECT 'CREATE ROLE grafana_reader LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grafana_reader') \gexec
ALTER ROLE grafana_reader WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
GRANT pg_read_all_data TO grafana_reader;
ALTER ROLE grafana_reader SET default_transaction_read_only = on;
ALTER ROLE grafana_reader SET statement_timeout = '10s';
SQL
