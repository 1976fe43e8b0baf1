"""Published API tiers enforced with ratecell, printing every decision and its headers.

- Rekall's Free tier: 100 requests per minute per API key, bursts of 120 per minute
  measured over 10 seconds; 429 with Retry-After and the legacy X-RateLimit-* fields.
- Kallglot's Free/Test plan: 60 requests per minute, 2 concurrent sessions, 100 WebSocket
  messages per second, all at once (an AllOf of the plan and the endpoint group), and a
  prepaid credit budget that answers 402 when it runs out.

Run with ``make demo`` (or ``python examples/tiers.py`` once the module is installed).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import ratecell

if TYPE_CHECKING:
    from ratecell._ratecell import HeaderStyle

# Decisions are made on a manual clock, so the output is the same on every run; the
# header timestamps are relative to this Unix time.
EPOCH = 1_706_284_800.0


def show(label: str, d: ratecell.Decision, style: HeaderStyle = "legacy") -> None:
    verdict = "allowed" if d else f"refused ({d.status})"
    wait = "never" if math.isinf(d.retry_after) else f"{d.retry_after:g}s"
    print(f"  {label:<28} {verdict:<14} remaining={d.remaining:<4} retry_after={wait}")
    for name, value in d.headers(style, now=EPOCH).items():
        print(f"      {name}: {value}")
    body = d.body(now=EPOCH)
    if body is not None:
        print(f"      body: {body}")


def rekall_free_tier() -> None:
    print("Rekall Free tier: 100/minute, bursts of 120 over 10 seconds, per API key")
    clock = ratecell.ManualClock()
    free = ratecell.Burst.parse("100/minute burst 120", burst_window=10, name="free", clock=clock)
    admitted = sum(bool(free.check("rk_live_alice")) for _ in range(25))
    print(f"  25 requests at t=0: {admitted} admitted (the burst allows 120/minute over 10 s)")
    show("request 26 at t=0", free.check("rk_live_alice"))
    clock.advance(0.6)
    show("request at t=0.6s", free.check("rk_live_alice"))
    show("another key at t=0.6s", free.check("rk_live_bob"), style="ietf")


def kallglot_free_plan() -> None:
    print("Kallglot Free/Test plan: 60/minute, 2 concurrent sessions, 100 messages/second")
    clock = ratecell.ManualClock()
    api = ratecell.AllOf(
        ratecell.Gcra(60, 60, name="plan", clock=clock),
        ratecell.Gcra(30, 60, name="analysis", clock=clock),
    )
    for i in range(31):
        d = api.check("kg_test_key")
        if i in (0, 29, 30):
            show(f"analysis request {i + 1}", d, style="draft-8")

    sessions = ratecell.Concurrency(2, ttl=300, name="sessions", clock=clock)
    first = sessions.acquire("kg_test_key")
    second = sessions.acquire("kg_test_key")
    show("session 3 while 2 are open", sessions.acquire("kg_test_key"))
    assert first.lease is not None and second.lease is not None
    first.lease.release()
    show("session 3 after one ended", sessions.acquire("kg_test_key"))
    with sessions.hold("kg_other_key"):
        print(f"  inside `with sessions.hold(...)`: {sessions.peek('kg_other_key').remaining} slot left")
    print(f"  after the block: {sessions.peek('kg_other_key').remaining} slots left")

    messages = ratecell.SlidingLog(100, 1, name="ws", clock=clock)
    sent = sum(bool(messages.check("socket-1")) for _ in range(150))
    print(f"  150 WebSocket messages in one instant: {sent} sent, the rest wait "
          f"{messages.check('socket-1').retry_after:g}s")

    credits = ratecell.Credits(1000, name="credits", clock=clock)
    show("analysis costing 588 credits", credits.check("kg_test_key", 588))
    show("analysis costing 588 credits", credits.check("kg_test_key", 588))
    credits.top_up("kg_test_key", amount=500)
    show("after a top-up of 500", credits.check("kg_test_key", 588))


def client_side() -> None:
    print("Client side: reading a 429 and deciding when to retry")
    headers = {"Retry-After": "12", "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0",
               "X-RateLimit-Reset": "1706284812"}
    info = ratecell.parse_headers(headers, now=EPOCH)
    print(f"  parsed: limit={info.limit} remaining={info.remaining} retry_after={info.retry_after}")
    retry = ratecell.RetryPolicy(base=0.5, cap=30, max_attempts=4).start(seed=7)
    for status in (429, 429, 402):
        d = retry.decide(status, headers)
        print(f"  status {status}: {d.action} after {d.after}")


if __name__ == "__main__":
    rekall_free_tier()
    print()
    kallglot_free_plan()
    print()
    client_side()
