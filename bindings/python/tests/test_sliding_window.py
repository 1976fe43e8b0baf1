"""SlidingWindow: the previous window weighs in."""

from __future__ import annotations

import ratecell


def test_the_previous_window_weighs_in(clock: ratecell.ManualClock) -> None:
    w = ratecell.SlidingWindow(10, 1, clock=clock)
    assert w.check("k", 10)
    clock.set(1.5)
    # Half of the previous window still counts: 5 of 10 are spent.
    assert w.peek("k").remaining == 5
    assert w.check("k", 5)
    assert not w.check("k")


def test_a_sliding_window_describes_itself() -> None:
    w = ratecell.SlidingWindow.parse("100/minute")
    assert (w.limit, w.period, w.capacity) == (100, 60.0, 100)
