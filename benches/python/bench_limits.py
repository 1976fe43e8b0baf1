"""Nanoseconds per check: ratecell against the ``limits`` package, in the same run.

Both libraries keep their state in process memory (``limits``' ``MemoryStorage``) and read
their own clocks. Each strategy of ``limits`` is set against ratecell's algorithm for the
same policy:

- fixed window: ``FixedWindowRateLimiter`` vs ``ratecell.FixedWindow``
- moving window (an exact log): ``MovingWindowRateLimiter`` vs ``ratecell.SlidingLog``
- sliding window counter: ``SlidingWindowCounterRateLimiter`` vs ``ratecell.SlidingWindow``

and ``ratecell.Gcra`` is listed too. Two workloads: one key checked over and over (mostly
refused once the limit is spent), and 10,000 keys in turn (each admitted). The ratio is
``limits`` ns / ratecell ns; the headline compares ratecell with ``limits``' fastest
strategy on each workload.

Run: ``make py-bench`` (or ``python benches/python/bench_limits.py [--quick]``).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import limits
from limits import storage, strategies

import ratecell

QUOTA = "100/minute"  # the Free tier of the published API tiers
KEYS = 10_000


@dataclass
class Result:
    name: str
    workload: str
    ns: float


def per_call(run: Callable[[int], None], calls: int, repeats: int) -> float:
    """The best of ``repeats`` timings of ``calls`` calls, in ns per call."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter_ns()
        run(calls)
        best = min(best, (time.perf_counter_ns() - start) / calls)
    return best


def ratecell_runs(limiter: ratecell.RateLimiter, keys: Sequence[str]) -> Callable[[int], None]:
    check = limiter.check
    if len(keys) == 1:
        key = keys[0]

        def one(calls: int) -> None:
            for _ in range(calls):
                check(key)

        return one

    def many(calls: int) -> None:
        n = len(keys)
        for i in range(calls):
            check(keys[i % n])

    return many


def limits_runs(limiter: strategies.RateLimiter, keys: Sequence[str]) -> Callable[[int], None]:
    item = limits.parse(QUOTA)
    hit = limiter.hit
    if len(keys) == 1:
        key = keys[0]

        def one(calls: int) -> None:
            for _ in range(calls):
                hit(item, key)

        return one

    def many(calls: int) -> None:
        n = len(keys)
        for i in range(calls):
            hit(item, keys[i % n])

    return many


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer calls (a smoke run)")
    args = parser.parse_args(argv)
    calls, repeats = (20_000, 2) if args.quick else (200_000, 5)

    workloads = {"1 key": ["api-key-0"], f"{KEYS:,} keys": [f"api-key-{i}" for i in range(KEYS)]}
    pairs: list[tuple[str, Callable[[], strategies.RateLimiter], Callable[[], ratecell.RateLimiter]]] = [
        ("fixed window", lambda: strategies.FixedWindowRateLimiter(storage.MemoryStorage()), lambda: ratecell.FixedWindow.parse(QUOTA)),
        ("moving window / sliding log", lambda: strategies.MovingWindowRateLimiter(storage.MemoryStorage()), lambda: ratecell.SlidingLog.parse(QUOTA)),
        ("sliding window counter", lambda: strategies.SlidingWindowCounterRateLimiter(storage.MemoryStorage()), lambda: ratecell.SlidingWindow.parse(QUOTA)),
    ]

    print(f"ns per check, quota {QUOTA}, limits {limits.__version__}, ratecell {ratecell.__version__}, "
          f"Python {sys.version.split()[0]} (best of {repeats} x {calls:,} calls)")
    print(f"{'workload':<12} {'strategy':<28} {'limits':>10} {'ratecell':>10} {'ratio':>8}")
    headline: list[str] = []
    for workload, keys in workloads.items():
        fastest_limits = float("inf")
        slowest_ratecell = 0.0
        for name, peer, ours in pairs:
            theirs_ns = per_call(limits_runs(peer(), keys), calls, repeats)
            ours_ns = per_call(ratecell_runs(ours(), keys), calls, repeats)
            fastest_limits = min(fastest_limits, theirs_ns)
            slowest_ratecell = max(slowest_ratecell, ours_ns)
            print(f"{workload:<12} {name:<28} {theirs_ns:>10.0f} {ours_ns:>10.0f} {theirs_ns / ours_ns:>7.1f}x")
        gcra_ns = per_call(ratecell_runs(ratecell.Gcra.parse(QUOTA), keys), calls, repeats)
        print(f"{workload:<12} {'gcra (ratecell only)':<28} {'':>10} {gcra_ns:>10.0f}")
        headline.append(
            f"{workload}: limits' fastest strategy {fastest_limits:.0f} ns; ratecell's slowest of the three "
            f"{slowest_ratecell:.0f} ns ({fastest_limits / slowest_ratecell:.1f}x), GCRA {gcra_ns:.0f} ns "
            f"({fastest_limits / gcra_ns:.1f}x)"
        )
    print()
    for line in headline:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
