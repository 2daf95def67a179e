#!/bin/sh
# Runs an ops command (tradectl, `regime train|promote|models`) with the
# credentials of the mounted secrets, which those CLIs take only inside
# their URLs:
#   TP_CLI_NATS_USER + TP_CLI_NATS_PASSWORD_FILE + TP_CLI_NATS_URL (default
#     nats://nats:4222; tls:// works too) -> SCHEME://USER:PASSWORD@HOST:PORT,
#     exported as TP_NATS__URLS (tradectl) and TP_NATS (regime)
#   TP_CLI_DB_PASSWORD_FILE -> PGPASSWORD (libpq)
#
#   tp-cli tradectl killswitch on --reason "venue outage"
set -eu
if [ -n "${TP_CLI_NATS_USER:-}" ]; then
  pw="$(cat "${TP_CLI_NATS_PASSWORD_FILE:?TP_CLI_NATS_PASSWORD_FILE is not set}")"
  base="${TP_CLI_NATS_URL:-nats://nats:4222}"
  base="${base%%,*}"  # the first server
  url="${base%%://*}://${TP_CLI_NATS_USER}:${pw}@${base#*://}"
  export TP_NATS__URLS="$url" TP_NATS="$url"
fi
if [ -n "${TP_CLI_DB_PASSWORD_FILE:-}" ]; then
  PGPASSWORD="$(cat "$TP_CLI_DB_PASSWORD_FILE")"
  export PGPASSWORD
fi
unset TP_CLI_NATS_USER TP_CLI_NATS_PASSWORD_FILE TP_CLI_NATS_URL TP_CLI_DB_PASSWORD_FILE
exec "$@"
