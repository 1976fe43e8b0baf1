#!/usr/bin/env python3
"""Writes the benchmark report: ns per operation and ratios against each peer.

Reads what the last run left behind:

- criterion's JSON under `target/criterion/<group>/<function>/new/` (`benchmark.json` for the
  names and the elements per iteration, `estimates.json` for the times);
- `target/bench-results/memory.json`, written by `benches/memory.rs`;
- `target/bench-results/{c,python,node}.txt`, the output of the binding benchmarks, quoted as
  they printed it.

In a criterion group, functions whose name starts with `ratecell` are ratecell's, functions
starting with `baseline` time the harness alone (the clock), and every other function is a
peer on the same workload. Each ratecell function is compared with each peer of its group:
ratio = ratecell / peer, so below 1 means ratecell is faster.

Times are criterion's median per iteration divided by the elements per iteration (the
`Throughput` the benchmark declares): the two-thread groups count one check per thread per
iteration, so their ns per check is wall time divided by all checks made.

Usage: benches/report.py [--since FILE] [--out FILE]
  --since FILE  only criterion results written after FILE was (make bench touches one when it
                starts, so results of benchmarks that did not run this time are left out)
  --out FILE    where to write the Markdown report (default target/bench-results/report.md)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
RESULTS = ROOT / "target" / "bench-results"
BINDINGS = (("c", "C API next to the Rust core (make c-bench)"),
            ("python", "Python (benches/python)"),
            ("node", "Node (benches/node)"))


@dataclass
class Result:
    group: str
    function: str
    ns_per_op: float


def load_criterion(since: float | None) -> list[Result]:
    results = []
    for bench in sorted(CRITERION.glob("**/new/benchmark.json")):
        estimates = bench.with_name("estimates.json")
        if not estimates.exists():
            continue
        if since is not None and estimates.stat().st_mtime < since:
            continue
        meta = json.loads(bench.read_text())
        median = json.loads(estimates.read_text())["median"]["point_estimate"]
        elements = (meta.get("throughput") or {}).get("Elements") or 1
        function = meta["function_id"]
        if meta.get("value_str"):
            function = f"{function}/{meta['value_str']}"
        results.append(Result(meta["group_id"], function, median / elements))
    return results


def fmt_ns(ns: float) -> str:
    return f"{ns:.1f}" if ns < 100 else f"{ns:.0f}"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    align = ["---" if i == 0 else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def peer_section(groups: dict[str, list[Result]]) -> list[str]:
    rows = []
    for group, results in groups.items():
        ours = [r for r in results if r.function.startswith("ratecell")]
        peers = [r for r in results
                 if not r.function.startswith(("ratecell", "baseline"))]
        baseline = next((r for r in results if r.function.startswith("baseline")), None)
        for peer in peers:
            for r in ours:
                rows.append([f"`{group}`", f"`{r.function}`", fmt_ns(r.ns_per_op),
                             f"`{peer.function}`", fmt_ns(peer.ns_per_op),
                             f"**{r.ns_per_op / peer.ns_per_op:.2f}**",
                             fmt_ns(baseline.ns_per_op) if baseline else ""])
    if not rows:
        return []
    header = ["group", "ratecell", "ns/op", "peer", "ns/op", "ratio", "clock alone, ns"]
    return ["## Against peers (ratio = ratecell / peer, below 1 is faster)", "",
            *table(header, rows), ""]


def memory_section() -> list[str]:
    path = RESULTS / "memory.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    rows = [[r["workload"], f"{r['ours_bytes_per_key']:.1f}", r["peer"],
             f"{r['peer_bytes_per_key']:.1f}",
             f"**{r['ours_bytes_per_key'] / r['peer_bytes_per_key']:.2f}**"]
            for r in data["results"]]
    header = ["workload", "ratecell, bytes/key", "peer", "peer, bytes/key", "ratio"]
    return ["## Memory per key (counting allocator, ratio = ratecell / peer)", "",
            *table(header, rows), ""]


def own_section(title: str, results: list[Result], reference: str | None) -> list[str]:
    if not results:
        return []
    ref = next((r for r in results if r.function == reference), None)
    header = ["function", "ns/op"] + ([f"vs `{reference}`"] if ref else [])
    rows = [[f"`{r.function}`", fmt_ns(r.ns_per_op)]
            + ([f"{r.ns_per_op / ref.ns_per_op:.2f}"] if ref else [])
            for r in results]
    return [f"## {title}", "", *table(header, rows), ""]


def other_section(groups: dict[str, list[Result]]) -> list[str]:
    rows = [[f"`{g}`", f"`{r.function}`", fmt_ns(r.ns_per_op)]
            for g, results in groups.items() for r in results]
    if not rows:
        return []
    return ["## Other ratecell benchmarks", "",
            *table(["group", "function", "ns/op"], rows), ""]


def bindings_section() -> list[str]:
    lines = []
    for name, title in BINDINGS:
        path = RESULTS / f"{name}.txt"
        if path.exists() and path.read_text().strip():
            lines += [f"## {title}", "", "```", path.read_text().rstrip(), "```", ""]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--since", type=Path)
    parser.add_argument("--out", type=Path, default=RESULTS / "report.md")
    args = parser.parse_args()
    since = args.since.stat().st_mtime if args.since and args.since.exists() else None

    groups: dict[str, list[Result]] = {}
    for r in load_criterion(since):
        groups.setdefault(r.group, []).append(r)
    compared = {g: rs for g, rs in groups.items()
                if any(not r.function.startswith(("ratecell", "baseline")) for r in rs)
                and any(r.function.startswith("ratecell") for r in rs)}
    primitives = [r for g, rs in groups.items() if g.startswith("primitives/") for r in rs]
    clock = groups.get("clock_and_decision", [])
    others = {g: rs for g, rs in groups.items()
              if g not in compared and not g.startswith("primitives/")
              and g != "clock_and_decision"}

    lines = ["# ratecell benchmark report", "",
             f"Machine: {os.cpu_count()} logical CPUs, {cpu_model()}.", "",
             *peer_section(compared),
             *memory_section(),
             *own_section("ratecell's primitives, one key, same traffic", primitives, "gcra"),
             *own_section("Clock reads next to a decision", clock, "gcra_check"),
             *bindings_section(),
             *other_section(others)]
    if len(lines) <= 4:
        print("report.py: no results found; run `make bench` first", file=sys.stderr)
        return 1
    text = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    print(text)
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
