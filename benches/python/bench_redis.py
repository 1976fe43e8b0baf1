"""Decisions per second through Redis: ``ratecell.redis`` against ``limits``' Redis storage,
on the same server in the same run.

The script starts a redis-server of its own on a free loopback port (no persistence) and
stops it at the end; ``RATECELL_REDIS_SERVER`` names the binary. Both libraries use redis-py
clients without retries. Each strategy of ``limits`` is set against ratecell's algorithm for
the same policy (quota ``100/minute``):

- fixed window: ``FixedWindowRateLimiter`` vs ``ratecell.FixedWindow``
- moving window (an exact log): ``MovingWindowRateLimiter`` vs ``ratecell.SlidingLog``
- sliding window counter: ``SlidingWindowCounterRateLimiter`` vs ``ratecell.SlidingWindow``

and ``ratecell.Gcra`` is listed too. Workloads: one client checking 10,000 keys in turn, and
several client processes doing the same at once (decisions per second in total). A ratecell
decision is one ``EVALSHA``; the ratio is ratecell's decisions/s over ``limits``'.

Run: ``make py-bench`` (or ``python benches/python/bench_redis.py [--quick]``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import limits
import redis
from limits import storage, strategies

import ratecell
import ratecell.redis

QUOTA = "100/minute"
KEYS = 10_000
PAIRS: dict[str, tuple[Callable[[storage.Storage], strategies.RateLimiter], Callable[[], ratecell.RateLimiter]]] = {
    "fixed window": (strategies.FixedWindowRateLimiter, lambda: ratecell.FixedWindow.parse(QUOTA, name="fixed")),
    "moving window / sliding log": (strategies.MovingWindowRateLimiter, lambda: ratecell.SlidingLog.parse(QUOTA, name="log")),
    "sliding window counter": (strategies.SlidingWindowCounterRateLimiter, lambda: ratecell.SlidingWindow.parse(QUOTA, name="counter")),
}


def start_server() -> tuple[subprocess.Popen[bytes], int, str]:
    path = shutil.which(os.environ.get("RATECELL_REDIS_SERVER") or "redis-server")
    if path is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="ratecell-bench-")
    args = [path, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", workdir]
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(300):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.01)
    return server, port, workdir


def runner(library: str, strategy: str, port: int, run: int) -> Callable[[int], None]:
    """A function making ``n`` decisions over the keys in turn, on a client of its own."""
    url = f"redis://127.0.0.1:{port}/"
    keys = [f"api-key-{i}" for i in range(KEYS)]
    if library == "limits":
        peer = PAIRS[strategy][0](storage.RedisStorage(url, key_prefix=f"limits-{run}"))
        item = limits.parse(QUOTA)
        hit = peer.hit

        def theirs(n: int) -> None:
            for i in range(n):
                hit(item, keys[i % KEYS])

        return theirs
    store = ratecell.redis.RedisStore.from_url(url, timeout=1.0, prefix=f"ratecell-{run}")
    policy = ratecell.Gcra.parse(QUOTA, name="gcra") if strategy == "gcra" else PAIRS[strategy][1]()
    check = store.limiter(policy).check

    def ours(n: int) -> None:
        for i in range(n):
            check(keys[i % KEYS])

    return ours


def server_usec(port: int) -> float:
    """Microseconds the server has spent in commands since the last reset."""
    stats: dict[str, Any] = redis.Redis(port=port).info("commandstats")
    return sum(float(v["usec"]) for k, v in stats.items() if k != "cmdstat_config")


def rate(library: str, strategy: str, port: int, calls: int, repeats: int, run: int) -> tuple[float, float]:
    """The best of ``repeats`` timings by one client, in decisions per second, and the
    server's time per decision in microseconds."""
    go = runner(library, strategy, port, run)
    go(50)  # connect, load scripts
    best = float("inf")
    redis.Redis(port=port).config_resetstat()
    for _ in range(repeats):
        start = time.perf_counter()
        go(calls)
        best = min(best, time.perf_counter() - start)
    return calls / best, server_usec(port) / (calls * repeats)


def client_process(args: tuple[str, str, int, int, int, Any]) -> None:
    library, strategy, port, calls, run, barrier = args
    go = runner(library, strategy, port, run)
    go(50)
    barrier.wait()
    go(calls)


def rate_of_clients(library: str, strategy: str, port: int, calls: int, clients: int, run: int) -> float:
    """Decisions per second of ``clients`` processes deciding at once."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients + 1)
    workers = [context.Process(target=client_process, args=((library, strategy, port, calls, run, barrier),)) for _ in range(clients)]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter()
    for w in workers:
        w.join()
    return clients * calls / (time.perf_counter() - start)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer calls (a smoke run)")
    parser.add_argument("--clients", type=int, default=4, help="client processes of the second workload")
    args = parser.parse_args(argv)
    calls, repeats = (1_000, 1) if args.quick else (5_000, 3)
    server, port, workdir = start_server()
    try:
        print(f"decisions/s through Redis {redis.Redis(port=port).info()['redis_version']} on 127.0.0.1, quota {QUOTA}, "
              f"{KEYS:,} keys in turn, limits {limits.__version__}, ratecell {ratecell.__version__}, redis-py {redis.__version__}, "
              f"Python {sys.version.split()[0]}")
        print("(server us: the server's time in commands per decision, one client)")
        print(f"{'clients':<8} {'strategy':<28} {'limits':>9} {'ratecell':>9} {'ratio':>7} {'server us':>16}")
        print(f"{'':<8} {'':<28} {'':>9} {'':>9} {'':>7} {'limits':>8} {'ratecell':>7}")
        run = 0
        for clients in (1, args.clients):
            for strategy in [*PAIRS, "gcra"]:
                measured, busy = [], []
                for library in ("limits", "ratecell"):
                    if library == "limits" and strategy == "gcra":
                        measured.append(0.0)
                        busy.append(0.0)
                        continue
                    run += 1
                    if clients == 1:
                        per_second, usec = rate(library, strategy, port, calls, repeats, run)
                        measured.append(per_second)
                        busy.append(usec)
                    else:
                        measured.append(rate_of_clients(library, strategy, port, calls, clients, run))
                theirs, ours = measured
                ratio = f"{ours / theirs:>6.2f}x" if theirs else f"{'':>7}"
                shown = f"{theirs:>9,.0f}" if theirs else f"{'':>9}"
                column = "" if len(busy) < 2 else (f"{busy[0]:>8.1f}" if busy[0] else f"{'':>8}") + f" {busy[1]:>7.1f}"
                print(f"{clients:<8} {strategy:<28} {shown} {ours:>9,.0f} {ratio} {column}".rstrip())
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
