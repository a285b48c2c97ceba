#!/usr/bin/env python3
"""Prints the markdown tables of bench/run.sh from a directory of `tessera-bench --json` outputs
named TARGET--LABEL--REP.json (with peers.txt, the targets that were started, and labels.txt, the
workloads in the order to show).

1. Comparison: one row per workload, one column per target (median req/s and median p99 over the
   repetitions, errors if any), then the ratios tessera / peer and tessera / ceiling of the median
   throughputs. "—": the target does not serve that workload (or was not started); "failed": every
   repetition failed to run (the detail table gives the reason).
2. Detail: every (target, workload) with the range of throughput, items per second (messages, keys,
   bytes), latency percentiles, errors, empty receives, notes and the first error.
"""
import json
import pathlib
import statistics
import sys
from collections import defaultdict

ORDER = ["tessera", "moto", "localstack", "s3s-fs", "ceiling"]
# Throughput of these is paced by the workload itself; only their latency compares.
LATENCY_ONLY = {"sqs-long-poll-latency"}

out = pathlib.Path(sys.argv[1])
runs = defaultdict(list)
for f in sorted(out.glob("*.json")):
    target, label, _ = f.stem.split("--")
    try:
        runs[(target, label)].append(json.loads(f.read_text()))
    except json.JSONDecodeError as e:
        runs[(target, label)].append({"failed": f"unreadable JSON: {e}"})

started = (out / "peers.txt").read_text().split() if (out / "peers.txt").exists() else []
targets = [t for t in ORDER if t in started or any(k[0] == t for k in runs)]
ordered = (out / "labels.txt").read_text().split() if (out / "labels.txt").exists() else []
labels = [l for l in ordered if any(k[1] == l for k in runs)]
labels += sorted({label for _, label in runs} - set(labels))


def ok_rows(rows):
    return [r for r in rows if "failed" not in r]


def med(rows, key):
    rows = ok_rows(rows)
    return statistics.median(key(r) for r in rows) if rows else None


def rps(target, label):
    return med(runs.get((target, label), []), lambda r: r["throughput_rps"])


def ms(us):
    return f"{us / 1000:,.1f} ms" if us >= 1000 else f"{us:,.0f} µs"


def cell(target, label):
    rows = runs.get((target, label))
    if not rows:
        return "—"
    good = ok_rows(rows)
    if not good:
        return "failed"
    p50 = med(good, lambda r: r["latency"]["p50_us"])
    p99 = med(good, lambda r: r["latency"]["p99_us"])
    if label in LATENCY_ONLY:
        text = f"p50 {ms(p50)} · p99 {ms(p99)}"
    else:
        text = f"{rps(target, label):,.0f}/s · p99 {ms(p99)}"
    errors = sum(r["errors"] for r in good)
    if errors:
        text += f" · **{errors:,} errors**"
    if len(good) < len(rows):
        text += f" · {len(rows) - len(good)} failed"
    return text


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "—"


peers = [t for t in targets if t not in ("tessera", "ceiling")]
ceiling = rps("ceiling", "noop")
head = ["workload"] + targets + [f"tessera / {p}" for p in peers] + ["tessera / ceiling"]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for label in labels:
    row = [label] + [cell(t, label) for t in targets]
    tessera = None if label in LATENCY_ONLY else rps("tessera", label)
    row += [ratio(tessera, rps(p, label)) if (p, label) in runs else "—" for p in peers]
    row.append(ratio(tessera, ceiling) if ("tessera", label) in runs else "—")
    print("| " + " | ".join(row) + " |")

reps = max((len(v) for v in runs.values()), default=0)
print(
    f"\n{reps} repetitions per cell; medians of throughput (successful iterations/s) and of p99."
    " Ratios are of median throughputs (a latency-only workload has none)."
)

print("\n| target | workload | req/s (median) | req/s (min–max) | items/s (median) | p50 | p99 | p99.9"
      " | errors (all reps) | empty (all reps) | notes |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for label in labels:
    for target in targets:
        rows = runs.get((target, label))
        if not rows:
            continue
        good = ok_rows(rows)
        failures = [r["failed"] for r in rows if "failed" in r]
        if not good:
            reason = failures[0].replace("|", "\\|").replace("\n", " ")[:200]
            print(f"| {target} | {label} | — | — | — | — | — | — | — | — | failed: {reason} |")
            continue
        lo = min(r["throughput_rps"] for r in good)
        hi = max(r["throughput_rps"] for r in good)
        unit = good[0].get("item_unit")
        items = f"{med(good, lambda r: r['items_per_s']):,.0f} {unit}" if unit else ""
        p50, p99, p999 = (med(good, lambda r, k=k: r["latency"][k]) for k in ("p50_us", "p99_us", "p99_9_us"))
        errors = sum(r["errors"] for r in good)
        empty = sum(r.get("empty", 0) for r in good)
        notes = defaultdict(int)
        for r in good:
            for k, v in r.get("notes", {}).items():
                notes[k] += v
        text = [f"{k} {v}" for k, v in sorted(notes.items())]
        if failures:
            text.append(f"{len(failures)} runs failed: {failures[0][:120]}")
        first = next((r["first_error"] for r in good if r.get("first_error")), None)
        if first:
            text.append("first error: " + first[:160])
        notes_text = "; ".join(text).replace("|", "\\|").replace("\n", " ")
        print(f"| {target} | {label} | {rps(target, label):,.0f} | {lo:,.0f}–{hi:,.0f} | {items} | {ms(p50)} |"
              f" {ms(p99)} | {ms(p999)} | {errors:,} | {empty:,} | {notes_text} |")
