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

    def counts(self) -> dict[str, int]:
        return {"added": self.added, "changed": self.changed, "deleted": self.deleted,
                "conflicts": len(self.conflicts), "unchanged": self.unchanged,
                "project changes kept": self.project_changes}

    def result(self, project: Mapping[str, str], package: Mapping[str, str]) -> dict[str, str]:
        """The job's objects after applying the plan (uid -> digest): what a test compares."""
        out = {uid: d for uid, d in project.items() if uid not in self.delete}
        out.update({uid: package[uid] for uid in self.take})
        return out


def compare(base: Mapping[str, str], package: Mapping[str, str], project: Mapping[str, str]) -> Plan:
    """Each argument maps uid -> content digest."""
    plan = Plan()
    for uid in base.keys() | package.keys() | project.keys():
        b, p, j = base.get(uid), package.get(uid), project.get(uid)
        if b is None:
            if p is not None and j is None:
                plan.take.add(uid)
                plan.added += 1
            elif p is not None and p != j:
                plan.conflicts[uid] = BOTH_CHANGED  # both sides made it (only a copied uid can do that)
            elif j is not None:
                plan.project_changes += p is None
                plan.unchanged += p is not None
            continue
        package_changed, project_changed = p != b, j != b
        if not package_changed:
            plan.unchanged += not project_changed
            plan.project_changes += project_changed
        elif not project_changed:
            if p is None:
                plan.delete.add(uid)
                plan.deleted += 1
            else:
                plan.take.add(uid)
                plan.changed += 1
        elif p == j:
            plan.unchanged += 1  # the same change (or deletion) on both sides
        elif p is None:
            plan.conflicts[uid] = DELETED_IN_PACKAGE
        elif j is None:
            plan.conflicts[uid] = DELETED_IN_PROJECT
        else:
            plan.conflicts[uid] = BOTH_CHANGED
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
