#!/usr/bin/env bash
# `make check-deploy`: every check of the deployment artefacts (issue 8,
# docs/operations.md "Checks"):
#
#   1. static checks (also in `make test` as ctest deploy_*): docker-compose
#      config, nats-server -t, promtool check config/rules and test rules,
#      dashboards and helm values against their schemas, helm templates
#      rendered and validated against the Kubernetes API models, Dockerfile;
#   2. the NATS permissions test (ctest deploy_nats_permissions_test): a real
#      nats-server with deploy/nats/auth.conf refuses every publish outside a
#      user's own subjects;
#   3. the live check: nats-server with the permissions, PostgreSQL, the
#      seven services and a real Prometheus with deploy/prometheus; promtool
#      check metrics on every /metrics, every target up, every dashboard
#      query and alert rule evaluated (tests/deploy/check_live.py).
#
# BUILD_DIR (default build) must hold the built services. Ports of the live
# stack are free loopback ports (CHECK_DEPLOY_* variables fix them).
# CHECK_DEPLOY_SKIP_LIVE=1 runs 1 and 2 only.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PY="${TP_DEPLOY_PYTHON:-/usr/bin/python3}"
[ -x "$PY" ] || PY="$(command -v python3)"
failed=()

echo "check-deploy: 1/3 static checks"
"$PY" "$ROOT/tests/deploy/check_static.py" all --root "$ROOT" --build "$BUILD" || failed+=("static checks")

echo "check-deploy: 2/3 NATS permissions (a real nats-server with deploy/nats/auth.conf)"
if [ -x "$BUILD/tests/deploy/deploy_nats_permissions_test" ]; then
  "$BUILD/tests/deploy/deploy_nats_permissions_test" --gtest_brief=1 || failed+=("NATS permissions test")
else
  echo "check-deploy: $BUILD/tests/deploy/deploy_nats_permissions_test is not built (make build)" >&2
  failed+=("NATS permissions test (not built)")
fi

if [ "${CHECK_DEPLOY_SKIP_LIVE:-0}" = 1 ]; then
  echo "check-deploy: 3/3 live check skipped (CHECK_DEPLOY_SKIP_LIVE=1)"
else
  echo "check-deploy: 3/3 live stack: services, Prometheus, every dashboard and alert expression"
  "$PY" "$ROOT/tests/deploy/check_live.py" --root "$ROOT" --build "$BUILD" || failed+=("live check")
fi

if [ ${#failed[@]} -gt 0 ]; then
  printf 'check-deploy: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "check-deploy: all deployment checks passed"
