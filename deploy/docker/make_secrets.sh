#!/usr/bin/env bash
# Creates the secret files docker compose mounts (never committed, never in
# an image): deploy/secrets/ by default.
#
#   deploy/docker/make_secrets.sh [DIR]
#
#   DIR/db_password                 PostgreSQL password of role tp
#   DIR/grafana_admin_password      Grafana's admin user
#   DIR/grafana_db_password         Grafana's read-only PostgreSQL role grafana_reader
#   DIR/nats_password_<user>        one NATS user per producer (deploy/nats/auth.conf)
#   DIR/keys/<producer>.key|.json   HMAC keys and key rings (tools/make_keys.py)
#
# Existing files are kept, so running it again only adds what is missing
# (rotation: docs/operations.md). The directory is 0700; the files are 0644
# because compose bind-mounts them unchanged into containers that run as
# other users (tp 10001, grafana 472, postgres 999).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="${1:-$ROOT/deploy/secrets}"
mkdir -p "$DIR/keys"
chmod 700 "$DIR"

password() { printf 'tp%s\n' "$(openssl rand -hex 20)"; }
new_secret() {  # file
  if [ ! -s "$1" ]; then password > "$1"; echo "make_secrets: created $1"; fi
}

new_secret "$DIR/db_password"
new_secret "$DIR/grafana_admin_password"
new_secret "$DIR/grafana_db_password"
python3 "$ROOT/deploy/nats/gen_auth.py" --list-users | while read -r user _; do
  new_secret "$DIR/nats_password_$user"
done
strategies=()
for s in $(python3 "$ROOT/deploy/nats/gen_auth.py" --list-users | awk '$1 ~ /^strategy-/ {sub(/^strategy-/, "", $1); print $1}'); do
  strategies+=(--strategy "$s")
done
python3 "$ROOT/tools/make_keys.py" "$DIR/keys" "${strategies[@]}"
find "$DIR" -type f -exec chmod 644 {} +
echo "make_secrets: secrets in $DIR"
