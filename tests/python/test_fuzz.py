"""Bad-input campaign: random and grammar-generated input to every type input function, binary
receive function, operator, function, cast, aggregate, hnsw index option, hnsw.* GUC and
collections-API argument (filters included), and bytes that are not UTF-8 (in a SQL_ASCII
database) to every function taking text. Passes when no statement crashes a backend and
none raises an internal error (XX000 and friends, see fuzzlib/runner.py): bad input must be an
ERROR with a proper SQLSTATE.

Environment:
  QUIVER_FUZZ_SEED     seed (default 1); every run with a seed generates the same statements
  QUIVER_FUZZ_SECONDS  time budget in seconds (default 150), shared by the phases below
  QUIVER_FUZZ_PHASES   comma-separated subset of the phases (default: all)
The last line printed is "fuzz: N statements, C crashes, I internal errors"."""
import os
import random
import time

import psycopg
import pytest

from conftest import FUZZ_SUMMARY, fresh_databases
from fuzzlib.phase_binary import phase_binary
from fuzzlib.phase_bytes import phase_bytes
from fuzzlib.phase_collections import phase_collections
from fuzzlib.phase_index import phase_index
from fuzzlib.phase_surface import phase_surface
from fuzzlib.runner import Runner
from fuzzlib.runner import report as findings_report
from fuzzlib.surface import read_surface

SEED = int(os.environ.get("QUIVER_FUZZ_SEED", "1"))
SECONDS = float(os.environ.get("QUIVER_FUZZ_SECONDS", "150"))
# Share of the budget per phase.
PHASES = (("surface", 0.33), ("binary", 0.10), ("index", 0.24), ("collections", 0.28), ("bytes", 0.05))
ONLY = [p for p in os.environ.get("QUIVER_FUZZ_PHASES", "").split(",") if p]
if ONLY:
    PHASES = tuple((name, 1 / len(ONLY)) for name, _ in PHASES if name in ONLY)

# Findings outside the types area, reported to the owners of that code: each still fails the
# test (they are not hidden), the report only labels them.
# (regex on the error message, regex on the statement, note)
# Findings already understood and being fixed elsewhere: (message regex, statement regex, note).
# They only change the report's label; the campaign still fails on them.
KNOWN = []

PHASE_FUNCTIONS = {"surface": phase_surface, "binary": phase_binary, "index": phase_index,
                   "collections": phase_collections, "bytes": phase_bytes}


@pytest.fixture(scope="module")
def fuzz_db(dsn):
    yield from fresh_databases(dsn, ["quiver_fuzz"])


def test_bad_input_campaign(fuzz_db, request):
    conninfo = fuzz_db["quiver_fuzz"]
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute("CREATE EXTENSION quiver")
    runner = Runner(conninfo, KNOWN)
    surface = read_surface(runner.conn)
    print(f"\nfuzz: seed {SEED} (QUIVER_FUZZ_SEED), budget {SECONDS:.0f}s (QUIVER_FUZZ_SECONDS); "
          f"{len(surface['functions'])} functions, {len(surface['operators'])} operators, "
          f"{len(surface['casts'])} casts, {len(surface['types'])} types, {len(surface['gucs'])} GUCs")
    started = t = time.monotonic()
    for name, share in PHASES:
        before = runner.count
        t += SECONDS * share
        PHASE_FUNCTIONS[name](runner, random.Random(f"{SEED}/{name}"), surface, t)
        print(f"fuzz: phase {name}: {runner.count - before} statements")
    runner.final_check()
    elapsed = time.monotonic() - started
    summary = (f"fuzz: {runner.count} statements, {runner.crashes()} crashes, "
               f"{runner.internal_errors()} internal errors")
    request.config.stash[FUZZ_SUMMARY] = f"{summary} (seed {SEED}, {elapsed:.0f}s)"
    report = findings_report(runner.findings.values())
    if runner.log_lines:
        report += "\nserver log:\n  " + "\n  ".join(runner.log_lines)
    if report:
        report += (f"\nreproduce the campaign: QUIVER_FUZZ_SEED={SEED} QUIVER_FUZZ_SECONDS={SECONDS:.0f}"
                   f" pytest -s tests/python/test_fuzz.py")
        print("\n" + report)
    print(summary)
    if runner.findings:
        pytest.fail(f"{summary}\n{report}", pytrace=False)
