#!/usr/bin/env bash
# The `make bench` driver: kernel throughput, then the ANN runner against quiver and, when
# pgvector is installed in the same PostgreSQL, against pgvector in another database.
#   PSQL      psql command line for the bench cluster (without -d)
#   BENCH_DSN connection string prefix for that cluster (host/port/user)
#   DATASET   dataset directory (optional; default: a generated 100k x 128 set)
#   BASELINE  auto (pgvector when installed) | none
#   BENCH_ARGS extra arguments for `quiver-bench ann`
#   IMPORT    run | skip: the bulk-import benchmark after the ANN one (default run)
#   IMPORT_ARGS extra arguments for `quiver-bench import` (default: 1M x 128, 50k with hnsw)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=target/release/quiver-bench
sharedir=$(${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config} --sharedir)

fresh_db() {  # fresh_db NAME EXTENSION
    $PSQL -d postgres -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
    $PSQL -d "$1" -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION $2"
}

$bin kernels --out target/bench/kernels.json

targets=(--target "quiver=$BENCH_DSN dbname=bench_quiver")
fresh_db bench_quiver quiver
if [ "${BASELINE:-auto}" != none ] && [ -f "$sharedir/extension/vector.control" ]; then
    fresh_db bench_pgvector vector
    targets+=(--target "pgvector=$BENCH_DSN dbname=bench_pgvector")
else
    echo "bench: pgvector is not installed in this PostgreSQL; measuring quiver alone" >&2
fi

dataset=()
[ -n "${DATASET:-}" ] && dataset=(--dataset "$DATASET")
# BENCH_ARGS is split like a shell command line, so quoted values keep their spaces.
eval "extra=(${BENCH_ARGS:-})"
out=(--out target/bench)  # unless BENCH_ARGS names its own
for a in ${extra[@]+"${extra[@]}"}; do case $a in --out | --out=*) out=() ;; esac; done
$bin ann "${targets[@]}" ${dataset[@]+"${dataset[@]}"} ${out[@]+"${out[@]}"} ${extra[@]+"${extra[@]}"}

if [ "${IMPORT:-run}" != skip ]; then
    # the psycopg COPY baseline runs with the test suite's Python environment when it exists
    python=()
    [ -x target/venv/bin/python ] && python=(--python target/venv/bin/python)
    eval "import_extra=(${IMPORT_ARGS:-})"
    $bin import --target "quiver=$BENCH_DSN dbname=bench_quiver" ${python[@]+"${python[@]}"} \
        ${import_extra[@]+"${import_extra[@]}"}
fi
