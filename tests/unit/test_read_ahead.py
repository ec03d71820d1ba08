"""ReadAhead (app.core.work): a producer thread feeding the caller's loop, bounded, with errors and early
stops crossing between the two threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from app.core.work import ReadAhead


def test_items_arrive_in_order_on_the_callers_thread_then_the_result() -> None:
    produced_on: list[int] = []

    def produce(hand: Callable[[int], None]) -> str:
        produced_on.append(threading.get_ident())
        for k in range(50):
            hand(k)
        return "all read"

    ahead = ReadAhead(produce)
    seen = [(k, threading.get_ident()) for k in ahead]
    assert [k for k, _ in seen] == list(range(50))
    assert {t for _, t in seen} == {threading.get_ident()} != set(produced_on)
    assert ahead.result == "all read"


def test_a_slow_consumer_holds_at_most_depth_batches_waiting() -> None:
    handed: list[int] = []

    def produce(hand: Callable[[int], None]) -> None:
        for k in range(6):
            hand(k)
            handed.append(k)

    ahead = ReadAhead(produce, depth=2)
    lag = []
    for k in ahead:
        time.sleep(0.05)
        lag.append(len(handed) - k)
    assert max(lag) <= 3  # the batch being consumed, plus at most two waiting


def test_an_error_of_the_producer_is_raised_in_the_callers_loop() -> None:
    def produce(hand: Callable[[int], None]) -> None:
        hand(1)
        raise ValueError("bad line 3")

    got = []
    with pytest.raises(ValueError, match="bad line 3"):
        for k in ReadAhead(produce):
            got.append(k)
    assert got == [1]


def test_a_consumer_that_stops_stops_the_producer() -> None:
    stopped = threading.Event()

    def produce(hand: Callable[[int], None]) -> None:
        try:
            for k in range(10_000):
                hand(k)
        finally:
            stopped.set()

    with pytest.raises(RuntimeError, match="write failed"):
        for k in ReadAhead(produce):
            if k == 3:
                raise RuntimeError("write failed")
    assert stopped.is_set()  # the thread was stopped and joined before the error left the loop
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]
