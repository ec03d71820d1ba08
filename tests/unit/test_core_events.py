"""app.core.events: typed listeners, disconnect, dispatchers, a failing listener does not silence the others."""

import threading

import pytest

from app.core.events import Event


def test_connect_emit_disconnect():
    event: Event[int] = Event("numbers")
    seen: list[int] = []
    disconnect = event.connect(seen.append)
    event.emit(1)
    disconnect()
    event.emit(2)
    assert seen == [1]
    assert len(event) == 0


def test_dispatcher_defers_the_call():
    event: Event[str] = Event()
    queue: list = []
    seen: list[str] = []
    event.connect(seen.append, dispatcher=queue.append)
    event.emit("a")
    assert seen == []
    for call in queue:
        call()
    assert seen == ["a"]


def test_failing_listener_does_not_stop_others():
    event: Event[int] = Event()
    seen: list[int] = []

    def bad(_value: int) -> None:
        raise ValueError("boom")

    event.connect(bad)
    event.connect(seen.append)
    with pytest.raises(ValueError, match="boom"):
        event.emit(3)
    assert seen == [3]


def test_emit_from_threads():
    event: Event[int] = Event()
    seen: list[int] = []
    lock = threading.Lock()

    def add(value: int) -> None:
        with lock:
            seen.append(value)

    event.connect(add)
    threads = [threading.Thread(target=event.emit, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(20))
