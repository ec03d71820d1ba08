"""The three-way comparison of one job's objects, by stable uid: the export base, the package (the field
work) and the project (what happened at home meanwhile). Pure: it sees only uids and content digests.

For each uid: a change on one side only applies; the same change on both sides is no conflict; different
changes on both sides (or a change on one side and a deletion on the other) are conflicts, left to a
policy. Objects new on either side are kept (uids never collide: they are UUIDs made by the writer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

BOTH_CHANGED = "changed on both sides"
DELETED_IN_PACKAGE = "deleted in the package, changed in the project"
DELETED_IN_PROJECT = "changed in the package, deleted in the project"


@dataclass
class Plan:
    """What to do with the project's job. ``take`` uids get the package's version (added or replacing the
    project's), ``delete`` uids are removed from the project; everything else stays as the project has it."""

    take: set[str] = field(default_factory=set)
    delete: set[str] = field(default_factory=set)
    conflicts: dict[str, str] = field(default_factory=dict)  # uid -> which kind of conflict
    added: int = 0  # new in the package
    changed: int = 0  # changed in the package only
    deleted: int = 0  # deleted in the package only
    unchanged: int = 0
    project_changes: int = 0  # changes made in the project only (kept)
    resolved_as: str = ""  # the side every conflict was settled for ("" while unsettled)

    def count(self, uid: str, counter: str, what: str) -> None:
        """Tally one uid's outcome (see :func:`classify`)."""
        if what:
            self.conflicts[uid] = what
        else:
            setattr(self, counter, getattr(self, counter) + 1)

    def counts(self) -> dict[str, int]:
        return {"added": self.added, "changed": self.changed, "deleted": self.deleted,
                "conflicts": len(self.conflicts), "unchanged": self.unchanged,
                "project changes kept": self.project_changes}

    def result(self, project: Mapping[str, str], package: Mapping[str, str]) -> dict[str, str]:
        """The job's objects after applying the plan (uid -> digest): what a test compares."""
        out = {uid: d for uid, d in project.items() if uid not in self.delete}
        out.update({uid: package[uid] for uid in self.take})
        return out


TAKE, DELETE, KEEP, CONFLICT = "take", "delete", "keep", "conflict"


def classify(b: str | None, p: str | None, j: str | None) -> tuple[str, str, str]:
    """One uid's outcome from its three digests (``None``: absent on that side): ``(action, counter,
    conflict)``; action is take (the package's version), delete, keep (the project's) or conflict;
    counter the :class:`Plan` count it adds to ("" for a conflict); conflict which kind ("" otherwise)."""
    if b is None:
        if p is not None and j is None:
            return TAKE, "added", ""
        if p is not None and p != j:
            return CONFLICT, "", BOTH_CHANGED  # both sides made it (only a copied uid can do that)
        return KEEP, ("project_changes" if p is None else "unchanged"), ""
    package_changed, project_changed = p != b, j != b
    if not package_changed:
        return KEEP, ("project_changes" if project_changed else "unchanged"), ""
    if not project_changed:
        return (DELETE, "deleted", "") if p is None else (TAKE, "changed", "")
    if p == j:
        return KEEP, "unchanged", ""  # the same change (or deletion) on both sides
    if p is None:
        return CONFLICT, "", DELETED_IN_PACKAGE
    if j is None:
        return CONFLICT, "", DELETED_IN_PROJECT
    return CONFLICT, "", BOTH_CHANGED


def compare(base: Mapping[str, str], package: Mapping[str, str], project: Mapping[str, str]) -> Plan:
    """Each argument maps uid -> content digest."""
    plan = Plan()
    for uid in base.keys() | package.keys() | project.keys():
        action, counter, what = classify(base.get(uid), package.get(uid), project.get(uid))
        plan.count(uid, counter, what)
        if action == TAKE:
            plan.take.add(uid)
        elif action == DELETE:
            plan.delete.add(uid)
    return plan


def resolve(plan: Plan, package: Mapping[str, str], side: str) -> None:
    """Settle every conflict for one side: ``package`` takes the package's version (or its deletion),
    ``project`` keeps the project's."""
    plan.resolved_as = side
    if side == "project":
        return
    for uid in plan.conflicts:
        if uid in package:
            plan.take.add(uid)
        else:
            plan.delete.add(uid)
