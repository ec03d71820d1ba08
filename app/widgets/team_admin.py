"""Project ▸ Team users and roles…: list a team project's users, add one with a role, change a user's role.

A thin window over the same core code as ``fieldmark team`` (:mod:`app.storage.team`); PostgreSQL stays the
security boundary (a login that may not manage roles gets the server's refusal as one line). Every call to
the server runs on a worker thread (:mod:`app.widgets.workers`): the dialog stays responsive and shows
"working…" meanwhile, and ``busy`` tells tests and the buttons when it is done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.storage.location import Location
from app.storage.team import ROLES, TeamUser, add_user, list_users
from app.widgets import workers


class TeamAdminDialog(QDialog):
    """Users and roles of one team project (``location``); opens at once and loads the list in the background."""

    #: Emitted after each server call ends (its list shown or its error reported).
    settled = Signal()

    def __init__(self, location: Location, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.location = location
        self.busy = False
        self.users: list[TeamUser] = []
        self.setWindowTitle(f"Team users and roles — {location.name}")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["User", "Role"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.new_role = QComboBox()
        self.new_role.addItems(ROLES)
        self.change = QPushButton("Change role")
        self.change.clicked.connect(self.change_role)
        self.name = QLineEdit()
        self.name.setPlaceholderText("PostgreSQL login name, e.g. ann")
        self.name.returnPressed.connect(self.add)
        self.role = QComboBox()
        self.role.addItems(ROLES)
        self.role.setCurrentText("annotator")
        self.add_button = QPushButton("Add user")
        self.add_button.clicked.connect(self.add)
        self.status = QLabel("loading…")
        self.status.setWordWrap(True)
        change_row = QHBoxLayout()
        change_row.addWidget(QLabel("Selected user's role:"))
        change_row.addWidget(self.new_role)
        change_row.addWidget(self.change)
        add_row = QHBoxLayout()
        add_row.addWidget(self.name, 1)
        add_row.addWidget(self.role)
        add_row.addWidget(self.add_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(change_row)
        layout.addLayout(add_row)
        layout.addWidget(QLabel("A new login's password is set with PostgreSQL's tools (psql: \\password NAME); "
                                "Fieldmark never handles it."))
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(460, 380)
        self.refresh()

    # ------------------------------------------------------------ actions

    def refresh(self) -> None:
        location = self.location
        self._run(lambda: (list_users(location), False), "")

    def add(self) -> None:
        name, role = self.name.text().strip(), self.role.currentText()
        if not name:
            self._report("Type the user's PostgreSQL login name first.")
            return
        self._change(name, role, f"{name} added as {role}")

    def change_role(self) -> None:
        user = self.selected_user()
        if user is None:
            self._report("Select a user in the list first.")
            return
        role = self.new_role.currentText()
        if role == user.role:
            self._report(f"{user.name} is already {role}.")
            return
        self._change(user.name, role, f"{user.name} is now {role}")

    def selected_user(self) -> TeamUser | None:
        rows = self.table.selectionModel().selectedRows()
        return self.users[rows[0].row()] if rows else None

    # ------------------------------------------------------------ work off the GUI thread

    def _change(self, name: str, role: str, done: str) -> None:
        location = self.location

        def work() -> tuple[list[TeamUser], bool]:
            created = add_user(location, name, role)  # makes ``name`` a member of that one role only
            return list_users(location), created

        self._run(work, done)

    def _run(self, call: Callable[[], tuple[list[TeamUser], bool]], done: str) -> None:
        """``call`` runs on a worker thread and returns the users and whether a new login was created."""
        self._set_busy(True)

        def job(token: Any, _progress: Any) -> tuple[list[TeamUser], bool]:
            token.check()
            return call()

        def finished(result: tuple[list[TeamUser], bool]) -> None:
            users, created = result
            self._show(users)
            message = done
            if created:
                message += "; set the new login's password with PostgreSQL's tools"
            self._report(message or f"{len(users)} user(s)")

        workers.start(job, on_finished=finished, on_failed=lambda message, _trace: self._report(message))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for widget in (self.add_button, self.change, self.name, self.role, self.new_role):
            widget.setEnabled(not busy)
        if busy:
            self.status.setText("working…")

    def _report(self, message: str) -> None:
        self._set_busy(False)
        self.status.setText(message)
        self.settled.emit()

    def _show(self, users: list[TeamUser]) -> None:
        selected = self.selected_user()
        self.users = list(users)
        self.table.setRowCount(len(users))
        for row, user in enumerate(users):
            self.table.setItem(row, 0, QTableWidgetItem(user.name))
            self.table.setItem(row, 1, QTableWidgetItem(user.role))
            if selected is not None and user.name == selected.name:
                self.table.selectRow(row)

    def _selection_changed(self) -> None:
        user = self.selected_user()
        if user is not None:
            self.new_role.setCurrentText(user.role)
