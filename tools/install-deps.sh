#!/usr/bin/env bash
# Installs the Debian 12 packages the platform needs to build, test and run.
# Idempotent: only missing packages are installed. Needs root (or sudo) when
# something is missing; says so clearly otherwise.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # messaging
  libnats-dev nats-server
  # serialisation and RPC
  protobuf-compiler libprotobuf-dev libgrpc++-dev protobuf-compiler-grpc
  # crypto, storage, logging, metrics, HTTP, maths, JSON
  libssl-dev libpqxx-dev postgresql postgresql-client libspdlog-dev
  prometheus-cpp-dev libboost-dev libeigen3-dev nlohmann-json3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # process helpers used by the test harness and scripts
  procps util-linux python3 curl
  # deployment checks (tests/deploy, make check-deploy): compose validation,
  # promtool and a real Prometheus, schema validation, Kubernetes API models,
  # and the helm template renderer (Go text/template + Sprig + gojsonschema)
  docker-compose prometheus openssl python3-yaml python3-jsonschema python3-kubernetes
  golang-go golang-github-masterminds-sprig-dev golang-github-xeipuuv-gojsonschema-dev
  golang-k8s-sigs-yaml-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi

echo "install-deps: missing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "install-deps: error: installing packages needs root. Run as root, or run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# The package lists on a fresh machine may be empty or stale.
$SUDO apt-get update -qq || $SUDO apt-get update
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${#missing[@]} packages"
