"""FixedWindow: counters per window, aligned to the clock's epoch."""

from __future__ import annotations

import ratecell


def test_fixed_windows_reset_on_aligned_edges(clock: ratecell.ManualClock) -> None:
    w = ratecell.FixedWindow.parse("60/minute", clock=clock)
    clock.set(90)
    d = w.check("k")
    assert (d.remaining, d.reset_after) == (59, 30.0)
    assert w.check("k", 59)
    denied = w.check("k")
    assert not denied and denied.retry_after == 30.0
    clock.set(120)
    assert w.check("k").remaining == 59


def test_fixed_windows_admit_twice_the_limit_across_an_edge(clock: ratecell.ManualClock) -> None:
    w = ratecell.FixedWindow(3, 1, clock=clock)
    clock.set_ns(999_999_999)
    assert all(w.check("k") for _ in range(3))
    clock.set(1)
    assert all(w.check("k") for _ in range(3))
