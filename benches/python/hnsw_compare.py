#!/usr/bin/env python3
"""Side-by-side hnsw benchmark: quiver vs. any database exposing pgvector's SQL surface.

Interim runner until the Rust ANN runner lands (issue: benchmark suite). For each target DSN:
load the base vectors with binary COPY, build `USING hnsw (v vector_l2_ops) WITH (m, ef_construction)`,
report build time and index size, then recall@10 and single-client QPS (text parameters, one
psycopg connection) for a sweep of hnsw.ef_search, then inserts/second into the indexed table.

    python hnsw_compare.py --dataset ../shared/datasets/docs-minilm-30k \
        --target quiver="host=127.0.0.1 port=55015 user=postgres dbname=bench_quiver" \
        --target pgvector="host=127.0.0.1 port=55015 user=postgres dbname=bench_pgvector"
Without --dataset a seeded clustered synthetic set is generated (exact ground truth computed here).
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import psycopg
from pgvector.psycopg import register_vector


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    dim = raw[0]
    return raw.reshape(-1, dim + 1)[:, 1:].view(dtype).copy()


def load_dataset(args):
    if args.dataset:
        d = args.dataset
        base = read_vecs(os.path.join(d, "base.fvecs"), np.float32)
        queries = read_vecs(os.path.join(d, "query.fvecs"), np.float32)
        gt = read_vecs(os.path.join(d, "groundtruth.ivecs"), np.int32)
        return base, queries[: args.queries], gt[: args.queries, :10], os.path.basename(d.rstrip("/"))
    rng = np.random.default_rng(42)
    centres = rng.standard_normal((100, args.dim)).astype(np.float32)
    labels = rng.integers(0, 100, args.n)
    base = (centres[labels] + 0.5 * rng.standard_normal((args.n, args.dim))).astype(np.float32)
    ql = rng.integers(0, 100, args.queries)
    queries = (centres[ql] + 0.5 * rng.standard_normal((args.queries, args.dim))).astype(np.float32)
    # exact ground truth in float64, 50 queries at a time: |b|^2 - 2 b.q (|q|^2 is constant)
    gt = np.empty((args.queries, 10), dtype=np.int64)
    b64 = base.astype(np.float64)
    nb = (b64 * b64).sum(axis=1)
    q64 = queries.astype(np.float64)
    for s in range(0, len(q64), 50):
        d = nb[:, None] - 2.0 * (b64 @ q64[s:s + 50].T)
        top = np.argpartition(d, 10, axis=0)[:10]
        for j in range(top.shape[1]):
            cand = top[:, j]
            gt[s + j] = cand[np.lexsort((cand, d[cand, j]))]
    return base, queries, gt, f"synthetic-{args.n}x{args.dim}"


def measure(conn, qtext, gt, ef):
    """Recall@10 and queries/s of one pass over the queries at one ef_search."""
    conn.execute(f"SET hnsw.ef_search = {ef}")
    for q in qtext[:20]:  # warm-up
        conn.execute("SELECT id FROM bench_items ORDER BY v <-> %s::vector LIMIT 10", (q,)).fetchall()
    hits = 0
    t = time.perf_counter()
    for i, q in enumerate(qtext):
        ids = [r[0] for r in conn.execute("SELECT id FROM bench_items ORDER BY v <-> %s::vector LIMIT 10", (q,))]
        hits += len(set(ids) & set(int(x) for x in gt[i]))
    return hits / (10 * len(qtext)), len(qtext) / (time.perf_counter() - t)


def sweep_targets(conns, queries, gt, args):
    """Query phase: targets alternate within each round (so machine noise hits all of them),
    and each figure is the median of --rounds passes."""
    qtext = ["[" + ",".join(repr(float(x)) for x in q) + "]" for q in queries]
    for conn in conns.values():
        conn.execute("SET enable_seqscan = off")
    sweeps = {name: [] for name in conns}
    for ef in args.ef:
        samples = {name: [] for name in conns}
        recall = {}
        for _ in range(args.rounds):
            for name, conn in conns.items():
                recall[name], qps = measure(conn, qtext, gt, ef)
                samples[name].append(qps)
        for name in conns:
            qps = statistics.median(samples[name])
            sweeps[name].append({"ef_search": ef, "recall@10": recall[name], "qps": qps, "qps_samples": samples[name]})
            print(f"  {name:10s} ef_search={ef:4d} recall@10={recall[name]:.4f} qps={qps:.0f} "
                  f"(samples {', '.join(f'{x:.0f}' for x in samples[name])})", flush=True)
    return sweeps


def build_target(name, dsn, ext, base, args):
    out = {"target": name}
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
        register_vector(conn)
        conn.execute("DROP TABLE IF EXISTS bench_items")
        conn.execute(f"CREATE TABLE bench_items (id int, v vector({base.shape[1]}))")
        t = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY bench_items (id, v) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "vector"])
            for i, row in enumerate(base):
                copy.write_row((i, row))
        out["load_s"] = time.perf_counter() - t
        conn.execute("VACUUM ANALYZE bench_items")
        conn.execute(f"SET maintenance_work_mem = '{args.maintenance_work_mem}'")
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        hwm_before = peak_rss_mb(pid)
        t = time.perf_counter()
        conn.execute(f"CREATE INDEX bench_idx ON bench_items USING hnsw (v vector_l2_ops) WITH (m = {args.m}, ef_construction = {args.ef_construction})")
        out["build_s"] = time.perf_counter() - t
        hwm_after = peak_rss_mb(pid)
        out["build_peak_rss_mb"] = None if hwm_before is None else hwm_after - hwm_before
        out["index_mb"] = conn.execute("SELECT pg_relation_size('bench_idx')").fetchone()[0] / 2**20
    mem = out["build_peak_rss_mb"]
    print(f"  {name:10s} load {out['load_s']:.1f} s, build {out['build_s']:.1f} s, index {out['index_mb']:.1f} MB, "
          f"build peak RSS +{mem if mem is None else round(mem)} MB", flush=True)
    return out


def insert_rate(conn, base, args):
    """Single-row inserts per second into the indexed table."""
    register_vector(conn)
    rng = np.random.default_rng(7)
    extra = base[rng.integers(0, len(base), args.inserts)] + 0.01
    t = time.perf_counter()
    for i, row in enumerate(extra):
        conn.execute("INSERT INTO bench_items VALUES (%s, %s)", (len(base) + i, row))
    return args.inserts / (time.perf_counter() - t)


def peak_rss_mb(pid):
    """Peak resident memory (VmHWM) of a backend, when the server runs on this machine."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def qps_at(sweep, recall):
    ok = [s for s in sweep if s["recall@10"] >= recall]
    return max((s["qps"] for s in ok), default=None)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset")
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=64)
    p.add_argument("--ef", type=int, nargs="+", default=[10, 20, 40, 80, 120, 200, 400])
    p.add_argument("--inserts", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3, help="passes per ef_search; the median QPS is reported")
    p.add_argument("--maintenance-work-mem", default="1GB")
    p.add_argument("--target", action="append", required=True, help="name=DSN; name pgvector uses extension 'vector'")
    p.add_argument("--out", default="target/bench/hnsw_compare.json")
    args = p.parse_args()
    base, queries, gt, label = load_dataset(args)
    print(f"dataset {label}: {base.shape[0]} x {base.shape[1]}, {len(queries)} queries", flush=True)
    results, conns = [], {}
    for spec in args.target:
        name, dsn = spec.split("=", 1)
        ext = "vector" if name == "pgvector" else "quiver"
        results.append(build_target(name, dsn, ext, base, args))
        conns[name] = psycopg.connect(dsn, autocommit=True)
    sweeps = sweep_targets(conns, queries, gt, args)
    for r in results:
        r["sweep"] = sweeps[r["target"]]
        r["inserts_per_s"] = insert_rate(conns[r["target"]], base, args)
        conns[r["target"]].execute("DROP TABLE bench_items")
        conns[r["target"]].close()
        print(f"  {r['target']:10s} inserts {r['inserts_per_s']:.0f}/s", flush=True)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"dataset": label, "m": args.m, "ef_construction": args.ef_construction, "results": results}, f, indent=2)
    print("\n| target | build s | index MB | build peak RSS MB | inserts/s | QPS @ recall 0.95 | QPS @ recall 0.99 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        q95, q99 = qps_at(r["sweep"], 0.95), qps_at(r["sweep"], 0.99)
        fmt = lambda x: f"{x:.0f}" if x else "n/a"
        print(f"| {r['target']} | {r['build_s']:.1f} | {r['index_mb']:.1f} | {fmt(r['build_peak_rss_mb'])} | "
              f"{r['inserts_per_s']:.0f} | {fmt(q95)} | {fmt(q99)} |")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
