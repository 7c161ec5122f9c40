# Muster's two commands: `make run` and `make test`. Both install what is
# missing first (and skip what is already there at the right version), so
# they work on a fresh machine and stay fast on a warm one.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TRUNK_VERSION    := 0.21.14
BINARYEN_VERSION := 132
# wasm-split-cli splits the web app at its lazy routes (app/split-wasm.sh, a Trunk hook).
WASM_SPLIT_VERSION := 0.2.4
# Trunk needs the wasm-bindgen CLI at exactly the version of the crate in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3; exit }' Cargo.lock)
TOOLS_DIR := $(HOME)/.local/share/muster-tools
export PATH := $(HOME)/.cargo/bin:$(TOOLS_DIR)/node_modules/.bin:$(PATH)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIND ?= 127.0.0.1:8080
RUN_ARGS ?= --demo
APP_SOURCES := $(shell find app model style public -type f) Trunk.toml Cargo.toml Cargo.lock .cargo/config.toml

.PHONY: help run test load crash fuzz bench bench-audit bench-engines bench-load large-organisation bench-import bench-grants bench-scan bench-notify bundle-size tools browser-tools test-peers lint dist build clean

help:
	@echo "make run    build everything and start Muster at http://$(BIND)/"
	@echo "make test   run every check: format, lints, unit, API and browser tests"
	@echo "make load   the load test with a 200,000-finding import (make test runs 50,000)"
	@echo "make crash  the crash test with 500 kills of the server per engine (make test runs 50)"
	@echo "make fuzz   the fuzz targets with many more cases than make test runs (MUSTER_FUZZ_CASES)"
	@echo "make bench  generate the large demo organisation (once) and time the inventory API on it"
	@echo "make bench-load    mixed load on a copy of large: sessions, agents, decisions, an import, a recompute"
	@echo "make bench-engines PostgreSQL beside SQLite: recompute at ½×, 1×, 2× large, reads, an import"
	@echo "make bench-audit   audit verify on 1,000,000 entries against a streaming read-and-hash"
	@echo "make bench-import  import 1,000,000 trufflehog findings and CloudTrail events against a raw bulk insert"
	@echo "make bench-grants  import 100,000 Entra OAuth grants against a raw bulk insert"
	@echo "make bench-scan    muster scan on a home of 100,000 files in 50 projects, against find"
	@echo "make bench-notify  10,000 notifications through the outbox to a loopback receiver, against straight POSTs"
	@echo "make bundle-size   what the built web app makes a browser download, gzipped"

## The dashboard, built in release mode.
run: tools dist build
	@echo "Starting Muster at http://$(BIND)/"
	./target/release/muster serve --bind $(BIND) $(RUN_ARGS)

## Every test: format, lints (native and wasm32), unit, API, browser, and
## the crash test, which runs the `muster` binary: `cargo test` builds it
## (for the server's own integration tests) before any test runs, with the
## test build's features. (A `cargo build` of it alone resolves other
## features and compiles much of the tree a second time.)
## The load test imports 50,000 findings here (CI's time budget); `make load`, 200,000.
test: tools browser-tools test-peers lint dist
	MUSTER_LOAD_FINDINGS=$${MUSTER_LOAD_FINDINGS:-50000} cargo test --workspace --exclude muster-app
	cargo test -p muster-app

## The load test at the issue's size: a 200,000-finding import while others
## sign in, read, ask, decide and long-poll (tests/tests/load).
load:
	MUSTER_LOAD_FINDINGS=200000 cargo test -p muster-tests --test load -- --nocapture

## The crash test's long mode: 500 kills of the server on each engine
## (`make test` runs 50); MUSTER_CRASH_SEED replays a run.
CRASH_KILLS ?= 500
crash:
	cargo test --workspace --exclude muster-app --no-run
	MUSTER_CRASH_KILLS=$(CRASH_KILLS) cargo test --workspace --exclude muster-app --test crash -- --nocapture

## The fuzz targets (tests/fuzz): every parser on mutated fixtures, every write
## route on random bodies. `make test` runs 48 cases per target; this, many more.
FUZZ_CASES ?= 2000
fuzz:
	MUSTER_FUZZ_CASES=$(FUZZ_CASES) cargo test --release -p muster-tests --test fuzz -- --nocapture

## Benchmarks (not tests): results go in docs/benchmarks.md.
BENCH_DB := target/bench/large.sqlite
bench: tools browser-tools dist
	cargo build --release -p muster-server -p muster-tests
	$(MAKE) --no-print-directory large-organisation
	./target/release/bench-inventory $(BENCH_DB)
	./target/release/bench-risk $(BENCH_DB)
	./target/release/bench-overview $(BENCH_DB)
	./target/release/bench-graph $(BENCH_DB)

## The `large` demo organisation the benchmarks read, generated once. (The
## benchmarks' builds name both packages: one set of features, one build.)
large-organisation:
	@[ -f $(BENCH_DB) ] || { cargo build --release -p muster-server -p muster-tests --bin muster && mkdir -p target/bench \
	  && ./target/release/muster demo --scale large --database $(BENCH_DB) \
	  --fingerprint-key-file target/bench/fingerprint.key; }

## Mixed load (sessions, long-polling agents, decisions; then plus a
## 1,000,000-finding import, then plus a recompute) and list throughput
## against pre-serialised bytes, on a copy of `large` (docs/benchmarks.md).
bench-load: large-organisation
	cargo build --release -p muster-tests --bin bench-load
	./target/release/bench-load $(BENCH_DB)

## PostgreSQL beside SQLite: generation, recompute (½×, 1×, 2× large), reads and an
## import on both engines (PostgreSQL: the server of MUSTER_TEST_POSTGRES) (docs/benchmarks.md).
bench-engines:
	cargo build --release -p muster-tests --bin bench-engines
	./target/release/bench-engines

## `audit verify` on a chain of 1,000,000 entries against a streaming read-and-hash
## (docs/benchmarks.md); MUSTER_BENCH_POSTGRES=postgres://… (an empty database) adds PostgreSQL.
bench-audit:
	cargo build --release -p muster-tests --bin bench-audit
	./target/release/bench-audit

## Imports at scale against a raw bulk insert of the same rows (docs/benchmarks.md).
bench-import:
	cargo build --release -p muster-tests --bin bench-import
	./target/release/bench-import

## 100,000 Entra OAuth grants against a raw bulk insert of the same rows (docs/benchmarks.md).
bench-grants:
	cargo build --release -p muster-tests --bin bench-grants
	./target/release/bench-grants

## 10,000 queued notifications through the outbox to a loopback receiver, against
## straight POSTs, and the delay from an event to its delivery (docs/benchmarks.md).
bench-notify:
	cargo build --release -p muster-tests --bin bench-notify
	./target/release/bench-notify

## The endpoint collector on a generated home, against `find` (docs/benchmarks.md).
bench-scan:
	cargo build --release -p muster-server -p muster-tests --bin muster --bin bench-scan
	./target/release/bench-scan

## What the built web app makes a browser download, gzipped (docs/benchmarks.md).
bundle-size: tools dist
	cargo run -q -p muster-tests --bin bundle-size

build:
	cargo build --release -p muster-server

dist: dist/index.html

dist/index.html: $(APP_SOURCES)
	trunk build --release

lint:
	cargo fmt --all --check
	cargo clippy --workspace --exclude muster-app --all-targets -- -D warnings
	cargo clippy -p muster-app --target wasm32-unknown-unknown -- -D warnings

## Build tools, each installed only when missing or at the wrong version.
tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
	  || rustup target add wasm32-unknown-unknown
	@[ "$$(trunk --version 2>/dev/null)" = "trunk $(TRUNK_VERSION)" ] \
	  || cargo install --locked trunk@$(TRUNK_VERSION)
	@[ "$$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $(WASM_BINDGEN_VERSION)" ] \
	  || cargo install --force wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@cargo install --list | grep -qx "wasm_split_cli_support v$(WASM_SPLIT_VERSION):" \
	  || cargo install --locked wasm_split_cli_support@$(WASM_SPLIT_VERSION) --features build-binary
	@wasm-opt --version 2>/dev/null | grep -q "version $(BINARYEN_VERSION)" \
	  || npm install --no-audit --no-fund --prefix "$(TOOLS_DIR)" binaryen@$(BINARYEN_VERSION)

## Headless Chromium and its WebDriver, for the browser tests.
browser-tools:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	  || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium chromium-driver; }

## The real peers the tests start: an OpenID Connect provider (npm
## `oidc-provider`, pinned by tests/idp/package-lock.json) and the SCIM
## compliance checker and client (PyPI `scim2-tester`, `scim2-cli`, pinned by
## tests/scim/requirements.txt) in a virtual environment of their own.
SCIM_VENV := $(TOOLS_DIR)/scim-venv
test-peers:
	@[ tests/idp/node_modules/.package-lock.json -nt tests/idp/package-lock.json ] \
	  || npm ci --no-audit --no-fund --prefix tests/idp
	@[ $(SCIM_VENV)/installed -nt tests/scim/requirements.txt ] \
	  || { python3 -m venv $(SCIM_VENV) && $(SCIM_VENV)/bin/pip install -q -r tests/scim/requirements.txt \
	       && touch $(SCIM_VENV)/installed; }

clean:
	cargo clean
	rm -rf dist
