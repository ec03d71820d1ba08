"""The one Qt adapter of background work (app.widgets.workers) and cancelling jobs from the GUI:
a cancel is "cancelled" (never an error box) and keeps exactly what the message says."""

from __future__ import annotations

import copy
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from app.core.work import Cancelled, Progress
from app.domain import Label, Shape
from app.domain.annotations import Annotations
from app.domain.enums import JobType, ShapeType
from app.domain.project import FrameInfo
from app.formats.cvat_xml_write import write_cvat_xml
from app.formats.synthetic import bulk_dataset, sample_labels
from app.quality import storage
from app.storage import Project
from app.widgets import workers
from app.widgets.main_window import MainWindow
from app.widgets.transfer_dialog import TransferDialog
from tests.gui.test_quality_menu import with_gt_job

pytestmark = pytest.mark.gui


def _run(qtbot, job, **callbacks):
    ended: list = []
    worker = workers.start(job, on_outcome=ended.append, **callbacks)
    qtbot.waitUntil(lambda: bool(ended), timeout=10000)
    return worker, ended[0]


def test_adapter_delivers_progress_and_outcomes_on_the_gui_thread(qtbot) -> None:
    main = threading.get_ident()
    seen: list[tuple[float, bool]] = []

    def job(token, progress):
        for i in range(3):
            progress(Progress(i + 1, 3, f"step {i}"))
        return threading.get_ident()

    _worker, outcome = _run(qtbot, job, on_progress=lambda p: seen.append((p.done, threading.get_ident() == main)))
    assert outcome.finished and outcome.value != main  # ran on a pool thread
    assert seen == [(1, True), (2, True), (3, True)]


def test_adapter_cancelled_is_not_failed(qtbot) -> None:
    calls: list[str] = []
    started = threading.Event()

    def job(token, _progress):
        started.set()
        token.wait(10)
        token.check()

    worker = workers.start(job, on_failed=lambda *_: calls.append("failed"),
                           on_cancelled=lambda outcome: calls.append(outcome.message))
    assert started.wait(5)
    worker.cancel()
    qtbot.waitUntil(lambda: bool(calls), timeout=10000)
    assert calls == ["Cancelled: nothing was kept."]
    _worker, outcome = _run(qtbot, lambda _t, _p: (_ for _ in ()).throw(Cancelled()))
    assert outcome.cancelled


def test_gui_dispatcher_runs_posted_functions_on_the_gui_thread(qtbot) -> None:
    main = threading.get_ident()
    ran: list[bool] = []
    dispatcher = workers.gui_dispatcher()
    dispatcher(lambda: ran.append(threading.get_ident() == main))  # on the GUI thread: at once
    assert ran == [True]
    thread = threading.Thread(target=lambda: dispatcher(lambda: ran.append(threading.get_ident() == main)))
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(ran) == 2, timeout=5000)
    assert ran == [True, True]


# ----------------------------------------------------------------------------- quality reports


@pytest.mark.parametrize("scope", ["task", "project"])
def test_cancelled_quality_report_is_no_error(qtbot, tmp_path: Path, monkeypatch, scope: str) -> None:
    """Was: the quality service raised its own Cancelled, the worker only knew its own, so a traceback was
    logged and a warning box shown."""
    from app.quality import workflow

    window, project, gt, job = with_gt_job(qtbot, tmp_path, monkeypatch)
    workflow.accept(project, gt.id)  # the GT rule: reports count only an accepted, completed GT job
    import app.widgets.quality_menu as quality_menu

    real = quality_menu.compute_task if scope == "task" else quality_menu.compute_project
    name = "compute_task" if scope == "task" else "compute_project"

    def cancelled_midway(*args, token, **kwargs):
        token.cancel()  # Cancel clicked while it computes
        return real(*args, token=token, **kwargs)

    monkeypatch.setattr(quality_menu, name, cancelled_midway)
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    monkeypatch.setattr(QMessageBox, "exec", lambda self: warnings.append("report shown"))
    title = "Task quality report" if scope == "task" else "Project quality report"
    getattr(window.quality_menu, f"{scope}_report")()
    qtbot.waitUntil(lambda: "cancelled" in window.statusBar().currentMessage(), timeout=20000)
    assert window.statusBar().currentMessage() == f"{title}: cancelled, nothing was stored"
    assert warnings == [] and storage.latest(project, "task", job.task_id) is None
    window.close_project()


# ----------------------------------------------------------------------------- consensus merge


def test_consensus_merge_runs_in_the_background_and_tells_the_gui(qtbot, tmp_path: Path, monkeypatch) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    project = Project.create(tmp_path / "c.fmproj", labels=[Label("car")])
    project.create_task("t", [FrameInfo(i, f"{i}.jpg", 100, 100) for i in range(4)], segment_size=2,
                        consensus_replicas=2)
    car = project.labels().by_name("car").id
    for replica in (j for j in project.jobs(1) if j.type is JobType.CONSENSUS_REPLICA):
        project.add_annotations(replica.id, Annotations(shapes=[Shape(ShapeType.RECTANGLE, replica.frame_list()[0],
                                                                      car, [1, 1, 20, 20])]))
    window._set_project(project)
    window.tree.setCurrentItem(window.tree.topLevelItem(0))
    main = threading.get_ident()
    told: list[bool] = []
    project.add_listener(lambda kind, _job: told.append(threading.get_ident() == main) if kind == "annotations"
                         else None)
    window.quality_menu.merge_consensus()
    qtbot.waitUntil(lambda: window.quality_menu.last_outcome is not None, timeout=20000)
    run = window.quality_menu.last_outcome
    assert not run.cancelled and len(run.merged) == 2
    assert window.statusBar().currentMessage() == "Merged the replicas of 2 of 2 job(s)"
    parents = [j.id for j in project.jobs(1) if j.type is JobType.ANNOTATION]
    assert all(len(project.annotations(p).shapes) == 1 for p in parents)
    qtbot.waitUntil(lambda: len(told) >= 2, timeout=5000)
    assert all(told)  # the writer handle's changes reached the GUI's listener on the GUI thread
    window.close_project()


# ----------------------------------------------------------------------------- import


def test_import_cancel_writes_nothing(qtbot, tmp_path: Path) -> None:
    ds = bulk_dataset(1500, 4, width=64, height=48)
    write_cvat_xml(ds, tmp_path / "big.xml")
    project = Project.create(tmp_path / "p.fmproj", "p", [copy.deepcopy(label) for label in sample_labels()])
    dialog = TransferDialog(project, "import")
    qtbot.addWidget(dialog)
    dialog.format.setCurrentText("cvat")
    dialog.path.setText(str(tmp_path / "big.xml"))
    dialog.start()
    dialog.worker.cancel()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60000)
    assert dialog.status.text() == "Cancelled: nothing was written."
    assert project.tasks() == [] and project.counts()["shapes"] == 0
    project.close()


def test_slot_worker_newest_request_wins_with_the_one_cancel_token(qtbot) -> None:
    from app.tools.ai_worker import SlotWorker

    worker = SlotWorker()
    gate, answers = threading.Event(), []
    running = worker.submit("predict", lambda: gate.wait(10) and "first", lambda r, e: answers.append(r))
    qtbot.waitUntil(lambda: not worker.idle and not worker._pending, timeout=5000)  # the first one runs
    queued = worker.submit("predict", lambda: "second", lambda r, e: answers.append(r))
    newest = worker.submit("predict", lambda: "third", lambda r, e: answers.append(r))
    assert running.cancelled and queued.cancelled and not newest.cancelled  # superseded ones are told
    gate.set()
    qtbot.waitUntil(lambda: worker.idle and len(answers) == 2, timeout=5000)
    assert answers == ["first", "third"]  # a model call is not interrupted; the queued one never ran

    def checks_its_token() -> str:
        token.check()
        return "late"

    token = worker.submit("embed", lambda: gate.wait(0) or "x")
    token.cancel()
    worker.submit("map", checks_its_token, lambda r, e: answers.append(r))
    qtbot.waitUntil(lambda: worker.idle, timeout=5000)
    qtbot.wait(50)
    assert answers == ["first", "third"]  # raised Cancelled: dropped silently, no callback
    worker.shutdown()
