"""A team project in the window: connecting runs off the GUI thread (with Cancel), a job viewed while
someone else edits it follows their changes, the job list follows who is on which job, and an edit made
while the server is away is kept, retried and saved."""

from __future__ import annotations

import re
import socket
import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from app.domain import Label, Shape
from app.domain.project import FrameInfo
from app.editing.commands import add_shapes
from app.storage import Project
from app.widgets import stale_job
from app.widgets.main_window import MainWindow

pytestmark = pytest.mark.gui


def make_team(url: str) -> None:
    with Project.create(url, "team", [Label("car")]) as setup:
        setup.create_task("t", [FrameInfo(i, f"{i}.jpg", 10, 10) for i in range(4)], segment_size=2)


def box(x: float) -> Shape:
    return Shape("rectangle", 0, 1, [x, 0, x + 3, 3])


def test_connecting_keeps_the_gui_running_and_can_be_cancelled(main_window: MainWindow,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that accepts the TCP connection and never answers: libpq waits for its connect timeout.
    The GUI thread keeps running meanwhile (its timers fire) and Cancel gives the window back at once."""
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a: warnings.append(text))
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql://nobody@127.0.0.1:{silent.getsockname()[1]}/team"
        ticks: list[float] = []
        ticker = QTimer()
        ticker.timeout.connect(lambda: ticks.append(time.monotonic()))
        ticker.start(50)

        def cancel() -> None:
            dialogs = main_window.findChildren(QProgressDialog)
            assert dialogs, "no progress dialog while connecting"
            dialogs[-1].canceled.emit()  # what its Cancel button does

        QTimer.singleShot(800, cancel)
        started = time.monotonic()
        assert not main_window.open_project(url)
        elapsed = time.monotonic() - started
        ticker.stop()
    assert main_window.project is None and warnings == []
    assert elapsed < 4, f"Cancel did not return at once ({elapsed:.1f} s)"
    assert len(ticks) >= 5, "the GUI thread was blocked while connecting"


def test_an_unreachable_server_is_one_message(main_window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a: warnings.append(text))
    assert not main_window.open_project("postgresql://nobody@127.0.0.1:1/team")
    assert len(warnings) == 1 and warnings[0].startswith("Cannot reach the PostgreSQL server at 127.0.0.1:1")
    assert "Traceback" not in warnings[0]


def test_a_viewed_job_follows_the_editor_and_the_list_follows_the_leases(main_window: MainWindow, pg_url: str,
                                                                          qtbot, monkeypatch) -> None:
    make_team(pg_url)
    editor = Project.open(pg_url)  # another client (its own connection and lease identity)
    try:
        assert main_window.open_project(pg_url)
        editor.acquire_job(1)
        qtbot.waitUntil(lambda: "being edited by" in _assignee(main_window, 1), timeout=30_000)
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
        viewer = main_window.open_job(1)
        assert viewer is not None and not viewer.holds_lease
        assert len(viewer.session.objects()) == 0
        editor.add_shapes(1, [box(1)])
        qtbot.waitUntil(lambda: len(viewer.session.objects()) == 1, timeout=30_000)
        editor.add_shapes(1, [box(5)])
        qtbot.waitUntil(lambda: len(viewer.session.objects()) == 2, timeout=30_000)
        viewer.close()
        editor.release_job(1)
        qtbot.waitUntil(lambda: "being edited by" not in _assignee(main_window, 1), timeout=30_000)
    finally:
        editor.close()


def _assignee(window: MainWindow, job_id: int) -> str:
    task = window.tree.topLevelItem(0)
    for i in range(task.childCount()):
        item = task.child(i)
        if item.data(0, 256) == job_id:  # Qt.UserRole
            return item.text(5)
    return ""


def test_an_edit_while_the_server_is_away_is_kept_and_saved(main_window: MainWindow, pg_cluster, pg_url: str,
                                                           qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    make_team(pg_url)
    monkeypatch.setattr(stale_job, "RETRY_MS", 200)
    assert main_window.open_project(pg_url)
    window = main_window.open_job(1)
    assert window is not None and window.holds_lease
    dbname = pg_url.rsplit("/", 1)[1]
    pg_cluster.admin_execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS false')
    try:
        pg_cluster.admin_execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 f"WHERE datname = '{dbname}' AND pid <> pg_backend_pid()")
        window.session.push(add_shapes(window.project, 1, [box(2)]))
        assert window.session.pending is not None
        qtbot.waitUntil(lambda: "waits for the server" in window.statusBar().currentMessage(), timeout=15_000)
    finally:
        pg_cluster.admin_execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS true')
    qtbot.waitUntil(lambda: window.session.pending is None, timeout=30_000)
    assert len(window.session.objects()) == 1 and window.undo_stack.can_undo()
    with Project.open(pg_url, read_only=True) as other:
        assert len(other.frame_shapes(1, 0)) == 1
    window.close()


def test_a_frame_read_on_a_lost_connection_is_one_warning_and_the_next_read_reconnects(
        main_window: MainWindow, pg_cluster, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make_team(pg_url)
    with Project.open(pg_url) as other:
        other.add_shapes(1, [Shape("rectangle", 1, 1, [0, 0, 3, 3])])  # on frame 1
    warnings: list[tuple[str, str]] = []
    criticals: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text, *a: warnings.append((title, text)))
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text, *a: criticals.append(text))
    assert main_window.open_project(pg_url)
    window = main_window.open_job(1)
    assert window is not None and window.frame == 0
    dbname = pg_url.rsplit("/", 1)[1]
    pg_cluster.admin_execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                             f"WHERE datname = '{dbname}' AND pid <> pg_backend_pid()")
    window.goto_frame(1)
    assert len(warnings) == 1 and criticals == []
    title, text = warnings[0]
    assert title == stale_job.CONNECTION_LOST_TITLE
    assert re.match(r"^The connection to postgresql://.* was lost", text) and "Traceback" not in text
    assert window.frame == 0 and len(window.session.objects()) == 0  # nothing changed on screen
    window.goto_frame(1)  # the next read reconnects
    assert window.frame == 1 and len(window.session.objects()) == 1 and len(warnings) == 1
    window.close()


def test_a_lost_connection_under_any_other_read_is_the_same_warning_not_an_error_dialog(
        qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.storage import ConnectionLostError
    from app.widgets import application

    warnings: list[tuple[str, str]] = []
    criticals: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text, *a: warnings.append((title, text)))
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text, *a: criticals.append(text))
    lost = ConnectionLostError("The connection to postgresql://ann@db/team was lost (x); nothing was read; "
                               "the next use reconnects, so try again.")
    application.show_unhandled(ConnectionLostError, lost, None)
    assert warnings == [(stale_job.CONNECTION_LOST_TITLE, str(lost))] and criticals == []
    application.show_unhandled(ValueError, ValueError("a bug"), None)  # a real fault still says where the log is
    assert len(criticals) == 1 and "Details are in" in criticals[0]
