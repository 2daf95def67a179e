#!/bin/sh
# Starts nats-server with the per-service passwords taken from the secret
# files /run/secrets/nats_password_<user> (docker compose secrets, or a
# Kubernetes Secret mounted there): auth.conf reads them as the environment
# variables NATS_PASSWORD_<USER>. The passwords never enter an image or a
# committed file.
set -eu
dir="${NATS_SECRETS_DIR:-/run/secrets}"
found=0
for f in "$dir"/nats_password_*; do
  [ -f "$f" ] || continue
  user="${f##*/nats_password_}"
  var="NATS_PASSWORD_$(printf '%s' "$user" | tr 'a-z.-' 'A-Z__')"
  value="$(cat "$f")"
  # nats-server parses the variable's value as a config token: a password
  # like "12e4..." or "true" would become a number or a boolean. Accept only
  # what deploy/docker/make_secrets.sh generates: a letter, then 23+ of
  # [A-Za-z0-9_-].
  if ! printf '%s' "$value" | grep -Eq '^[A-Za-z][A-Za-z0-9_-]{23,}$'; then
    echo "entrypoint: $f: a NATS password must be a letter followed by at least 23 of [A-Za-z0-9_-]" >&2
    exit 1
  fi
  export "$var=$value"
  found=$((found + 1))
done
if [ "$found" -eq 0 ]; then
  echo "entrypoint: no $dir/nats_password_* files; see docs/operations.md" >&2
  exit 1
fi
exec nats-server "$@"
