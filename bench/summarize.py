#!/usr/bin/env python3
"""Prints the markdown table of bench/run.sh from a directory of `tessera-bench --json` outputs
named TARGET--WORKLOAD--REP.json: medians over repetitions, the range of throughput, and ratios to
the do-nothing ceiling and to moto."""
import json, pathlib, statistics, sys
from collections import defaultdict

runs = defaultdict(list)
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    target, workload, _ = f.stem.split("--")
    runs[(target, workload)].append(json.loads(f.read_text()))

def med(rows, key):
    return statistics.median(key(r) for r in rows)

ceiling = med(runs[("ceiling", "noop")], lambda r: r["throughput_rps"])
print("| target | workload | req/s (median) | req/s (min–max) | p50 µs | p99 µs | errors (all reps) | / ceiling | tessera / moto |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for (target, workload), rows in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][0] != "tessera")):
    rps = med(rows, lambda r: r["throughput_rps"])
    p50 = med(rows, lambda r: r["latency"]["p50_us"])
    p99 = med(rows, lambda r: r["latency"]["p99_us"])
    errors = sum(r["errors"] for r in rows)
    lo = min(r["throughput_rps"] for r in rows)
    hi = max(r["throughput_rps"] for r in rows)
    vs_moto = ""
    if target == "tessera" and ("moto", workload) in runs:
        vs_moto = "%.1fx" % (rps / med(runs[("moto", workload)], lambda r: r["throughput_rps"]))
    print(f"| {target} | {workload} | {rps:,.0f} | {lo:,.0f}–{hi:,.0f} | {p50:,.0f} | {p99:,.0f} | {errors} | {rps / ceiling:.2f} | {vs_moto} |")
print(f"\n{len(next(iter(runs.values())))} repetitions per row; medians of throughput (successful requests/s) and latency percentiles.")
