"""The job window's lease: taken when a job is opened for writing, renewed by a heartbeat while the
window is open, released when it closes. A job someone else is editing opens for viewing only (the
store refuses its writes); an expired lease is taken over with a warning."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from app.storage.errors import JobLeasedError, LeaseLostError, ProjectError
from app.storage.store import Project
from app.storage.store_leases import DEFAULT_TTL_S


def take_job_lease(parent: QWidget, project: Project, job_id: int) -> bool | None:
    """True: this window holds the lease; False: view only (someone else edits it); None: cancelled."""
    if project.read_only:
        return False
    try:
        lease = project.acquire_job(job_id)
    except JobLeasedError as exc:
        answer = QMessageBox.question(parent, "Job in use", f"{exc}\n\nOpen it to look only? Nothing you change "
                                      "there can be saved while the job is leased.")
        return False if answer == QMessageBox.StandardButton.Yes else None
    if lease.warning:
        QMessageBox.warning(parent, "Job taken over", lease.warning)
    return True


def install_heartbeat(window: QWidget, project: Project, job_id: int) -> QTimer:
    """Renew the lease every third of its life; release it when the window is destroyed."""
    timer = QTimer(window)
    timer.setInterval(int(DEFAULT_TTL_S / 3 * 1000))

    def beat() -> None:
        try:
            project.renew_job(job_id)
        except LeaseLostError as exc:
            timer.stop()
            QMessageBox.warning(window, "Job taken over", str(exc))
        except ProjectError as exc:  # the server is gone for now: the next beat tries again
            window.statusBar().showMessage(str(exc), 10_000)  # type: ignore[attr-defined]

    timer.timeout.connect(beat)
    timer.start()
    return timer


def release_job_lease(project: Project, job_id: int) -> None:
    try:
        project.release_job(job_id)
    except ProjectError:
        pass  # closed or unreachable: the lease expires by itself
