"""The three-way comparison (pure, by uid and digest): worked cases and properties over random histories."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.packages.three_way import BOTH_CHANGED, DELETED_IN_PACKAGE, DELETED_IN_PROJECT, compare, resolve

UIDS = [f"u{i}" for i in range(8)]
# Each side's fate for one object of the base: kept, changed to a version (a/b), or deleted.
FATES = st.sampled_from(["keep", "a", "b", "delete"])


def _side(base: dict[str, str], fates: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    out = {}
    for uid, version in base.items():
        fate = fates.get(uid, "keep")
        if fate == "keep":
            out[uid] = version
        elif fate != "delete":
            out[uid] = fate
    out.update(new)
    return out


histories = st.fixed_dictionaries({
    "base": st.dictionaries(st.sampled_from(UIDS), st.just("0")),
    "package": st.dictionaries(st.sampled_from(UIDS), FATES),
    "project": st.dictionaries(st.sampled_from(UIDS), FATES),
    "package_new": st.dictionaries(st.sampled_from(["p1", "p2"]), st.sampled_from(["x", "y"])),
    "project_new": st.dictionaries(st.sampled_from(["j1", "j2"]), st.sampled_from(["x", "y"])),
})


def _sides(h: dict) -> tuple[dict, dict, dict]:
    return h["base"], _side(h["base"], h["package"], h["package_new"]), _side(h["base"], h["project"], h["project_new"])


def test_worked_cases() -> None:
    base = {"same": "0", "pk": "0", "pj": "0", "both": "0", "del_p": "0", "del_j": "0", "dp_cj": "0", "cp_dj": "0"}
    package = {"same": "0", "pk": "1", "pj": "0", "both": "1", "del_j": "0", "cp_dj": "1", "new": "n"}
    project = {"same": "0", "pk": "0", "pj": "2", "both": "2", "del_p": "0", "dp_cj": "2"}
    plan = compare(base, package, project)
    assert plan.take == {"pk", "new"}
    assert plan.delete == {"del_p"}
    assert plan.conflicts == {"both": BOTH_CHANGED, "dp_cj": DELETED_IN_PACKAGE, "cp_dj": DELETED_IN_PROJECT}
    assert (plan.added, plan.changed, plan.deleted) == (1, 1, 1)
    assert plan.result(project, package) == {"same": "0", "pk": "1", "pj": "2", "both": "2", "dp_cj": "2",
                                             "new": "n"}


@given(histories)
def test_an_unchanged_project_fast_forwards_to_the_package(h: dict) -> None:
    base, package, _ = _sides(h)
    plan = compare(base, package, dict(base))
    assert not plan.conflicts
    assert plan.result(base, package) == package


@given(histories)
def test_an_unchanged_package_leaves_the_project_as_it_is(h: dict) -> None:
    base, _, project = _sides(h)
    plan = compare(base, dict(base), project)
    assert not plan.conflicts and not plan.take and not plan.delete
    assert plan.result(project, base) == project


@given(histories)
def test_one_sided_changes_all_apply_and_conflicts_are_exactly_the_two_sided_ones(h: dict) -> None:
    base, package, project = _sides(h)
    plan = compare(base, package, project)
    result = plan.result(project, package)
    for uid in base.keys() | package.keys() | project.keys():
        b, p, j = base.get(uid), package.get(uid), project.get(uid)
        if uid in plan.conflicts:
            assert p != b and j != b and p != j
        elif p == b:
            assert result.get(uid) == j  # the project's change (or nothing) stays
        elif j == b:
            assert result.get(uid) == p  # the package's change applies
        else:
            assert p == j == result.get(uid)


@given(histories, st.sampled_from(["package", "project"]))
def test_a_policy_settles_every_conflict_for_its_side(h: dict, side: str) -> None:
    base, package, project = _sides(h)
    plan = compare(base, package, project)
    conflicts = dict(plan.conflicts)
    resolve(plan, package, side)
    result = plan.result(project, package)
    winner = package if side == "package" else project
    for uid in conflicts:
        assert result.get(uid) == winner.get(uid)
    assert plan.counts()["conflicts"] == len(conflicts)  # the report still lists them
