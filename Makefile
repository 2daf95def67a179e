# The two commands: `make test` and `make run` (see README.md).
# Everything else is a building block of those two.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps configure build test test-unit test-integration run up down bench clean check-deploy

all: build

deps:
	@tools/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) -L unit

test-integration: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L integration

run: build
	tools/run.sh

up: build
	tools/up.sh

down:
	tools/down.sh

bench: build
	tools/bench.sh

# Deployment artefacts: compose, nats permissions, Prometheus, Grafana, helm,
# Dockerfile, and a live stack scraped by a real Prometheus (docs/operations.md).
check-deploy: build
	BUILD_DIR=$(BUILD_DIR) tools/check_deploy.sh

clean:
	rm -rf $(BUILD_DIR)
