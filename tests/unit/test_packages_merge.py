"""Field packages on both engines: export, work in the package, merge back (fast-forward, three-way, each
conflict policy), and what a merge refuses."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from app.domain.annotations import Shape
from app.domain.enums import JobType, ShapeType
from app.packages import container, fieldwork
from app.packages.export import export_package
from app.packages.manifest import PackageError
from app.packages.merge import MergeConflictsError, apply_merge, merge_package, prepare_merge
from app.storage.errors import JobLeasedError
from app.storage.store import Project
from tests.support.packages import annotate, car, content, make_project


@pytest.fixture
def project(project_location: str, tmp_path: Path):
    p = make_project(project_location, tmp_path)
    yield p
    p.close()


def _export(project: Project, tmp_path: Path, job_index: int = 1, name: str = "j.fmpkg"):
    job = project.jobs()[job_index]
    annotate(project, job.id, seed=3)
    manifest = export_package(project, [job.id], tmp_path / name)
    return job.id, manifest, tmp_path / name


def test_export_writes_a_package_that_opens_like_a_project(project: Project, tmp_path: Path) -> None:
    job_id, manifest, path = _export(project, tmp_path)
    job = project.job(job_id)
    assert manifest.jobs[0].base_version == job.revision and manifest.jobs[0].frame_count == 2
    assert [m.size for m in manifest.media] == [path.stat().st_size for path in
                                                [Path(project.frames(job.task_id)[f].path) for f in (2, 3)]]
    assert manifest.media[0].sha256 == hashlib.sha256(Path(project.frames(job.task_id)[2].path).read_bytes()).hexdigest()
    container.unpack_media(path, manifest)
    with Project.open(path) as package:
        (task,) = package.tasks()
        assert [f.name for f in package.frames(task.id)] == ["img002.png", "img003.png"]  # only the job's frames
        assert package.resolve_media(package.frames(task.id)[1].path).read_bytes() == \
            Path(project.frames(job.task_id)[3].path).read_bytes()
        (pjob,) = package.jobs()
        assert content(package.annotations(pjob.id)) != [] and len(package.annotations(pjob.id)) == 5
        assert package.quality_settings() == {}
    # The job is out in the field: the project refuses writes to it and shows who holds it.
    lease = project.job_lease(job_id)
    assert lease is not None and lease.host.startswith(fieldwork.FIELD_HOST)
    with pytest.raises(JobLeasedError):
        project.add_shapes(job_id, [Shape(ShapeType.POINTS, 2, car(project)[0], [1.0, 1.0])])
    with pytest.raises(PackageError, match="in a field package"):
        export_package(project, [job_id], tmp_path / "again.fmpkg")


def test_ground_truth_jobs_stay_home(project: Project, tmp_path: Path) -> None:
    gt = project.create_job(project.tasks()[0].id, JobType.GROUND_TRUTH, [1, 4])
    with pytest.raises(PackageError, match="ground truth"):
        export_package(project, [gt.id], tmp_path / "gt.fmpkg")
    assert not (tmp_path / "gt.fmpkg").exists()


def _edit_package(path: Path) -> dict[str, str]:
    """Field work: change one box, delete one tag, add a polygon. Returns uid -> what happened."""
    with Project.open(path) as package:
        (pjob,) = package.jobs()
        ann = package.annotations(pjob.id)
        box = ann.shapes[0]
        package.replace_annotations(pjob.id, remove_shapes=[box.id], add=_one(box.copy(points=[0.0, 0.0, 5.0, 5.0])))
        package.delete_annotations(pjob.id, tag_ids=[ann.tags[0].id])
        (poly,) = package.add_shapes(pjob.id, [Shape(ShapeType.POLYGON, 1, box.label_id, [1, 1, 9, 1, 5, 8])])
        added = package.annotations(pjob.id).shapes[-1].uid
        assert poly
        return {"changed": box.uid, "deleted": ann.tags[0].uid, "added": added}


def _one(shape: Shape):
    from app.domain.annotations import Annotations

    return Annotations(shapes=[shape])


def test_fast_forward_makes_the_job_equal_to_the_package(project: Project, tmp_path: Path) -> None:
    job_id, manifest, path = _export(project, tmp_path)
    _edit_package(path)
    with Project.open(path, read_only=True) as package:
        expected = content(_source_frames(package.annotations(package.jobs()[0].id), [2, 3]))
    digest_before = hashlib.sha256(path.read_bytes()).hexdigest()
    report = merge_package(project, path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest_before  # the package is only read
    assert report["jobs"][0]["mode"] == "fast-forward"
    assert report["totals"]["added"] == 1 and report["totals"]["changed"] == 1 and report["totals"]["deleted"] == 1
    assert content(project.annotations(job_id)) == expected
    assert project.job_lease(job_id) is None
    assert fieldwork.records(project, job_id)[manifest.package_id]["merged"]
    project.add_shapes(job_id, [Shape(ShapeType.POINTS, 2, car(project)[0], [1.0, 1.0])])  # home again
    with pytest.raises(PackageError, match="already merged"):
        merge_package(project, path)


def _source_frames(annotations, frames):
    from app.packages.frames import to_source

    return to_source(annotations, frames, "test")


def _release_and_edit_at_home(project: Project, job_id: int, package_id: str, uid: str | None = None) -> str:
    """The office gave up waiting: released the package and edited the job (one box moved)."""
    fieldwork.release(project, package_id)
    ann = project.annotations(job_id)
    target = next(s for s in ann.shapes if s.uid == uid) if uid else ann.shapes[-1]
    project.replace_annotations(job_id, remove_shapes=[target.id], add=_one(target.copy(points=[7.0, 7.0, 8.0, 8.0])))
    return target.uid  # type: ignore[return-value]


def test_three_way_applies_changes_of_both_sides(project: Project, tmp_path: Path) -> None:
    job_id, manifest, path = _export(project, tmp_path)
    done = _edit_package(path)
    home = _release_and_edit_at_home(project, job_id, manifest.package_id)
    assert home != done["changed"]
    report = merge_package(project, path)
    assert report["jobs"][0]["mode"] == "three-way" and report["totals"]["conflicts"] == 0
    assert report["totals"]["project changes kept"] == 1
    by_uid = {o.uid: o for o in project.annotations(job_id).shapes + project.annotations(job_id).tags}
    assert by_uid[done["changed"]].points == [0.0, 0.0, 5.0, 5.0]
    assert by_uid[home].points == [7.0, 7.0, 8.0, 8.0]
    assert done["deleted"] not in by_uid and done["added"] in by_uid
    assert by_uid[done["added"]].frame == 3  # package frame 1 is source frame 3


@pytest.mark.parametrize("policy", ["ask", "package", "project", "replica"])
def test_a_conflict_under_each_policy(project: Project, tmp_path: Path, policy: str) -> None:
    job_id, manifest, path = _export(project, tmp_path)
    done = _edit_package(path)
    _release_and_edit_at_home(project, job_id, manifest.package_id, uid=done["changed"])  # the same box
    before = content(project.annotations(job_id))
    preview = prepare_merge(project, path)
    (conflict,) = preview.conflicts()
    assert conflict["uid"] == done["changed"] and conflict["frame"] == 2 and conflict["what"] == "changed on both sides"
    if policy == "ask":
        with pytest.raises(MergeConflictsError, match="1 object"):
            apply_merge(project, preview, policy)
        assert content(project.annotations(job_id)) == before and not fieldwork.records(project, job_id)[
            manifest.package_id].get("merged")
        return
    report = apply_merge(project, preview, policy)
    box = {s.uid: s for s in project.annotations(job_id).shapes}.get(done["changed"])
    if policy == "package":
        assert box is not None and box.points == [0.0, 0.0, 5.0, 5.0]
    elif policy == "project":
        assert box is not None and box.points == [7.0, 7.0, 8.0, 8.0]
        assert done["added"] in {s.uid for s in project.annotations(job_id).shapes}  # one-sided changes still apply
    else:
        assert content(project.annotations(job_id)) == before  # the job as the project has it
        replica = project.job(report["jobs"][0]["replica_job"])
        assert replica.type == JobType.CONSENSUS_REPLICA and replica.parent_id == job_id
        with Project.open(path, read_only=True) as package:
            expected = content(_source_frames(package.annotations(package.jobs()[0].id), [2, 3]))
        assert content(project.annotations(replica.id)) == expected
    assert report["jobs"][0]["conflicts"][0]["resolved"]


def test_a_package_of_another_project_is_refused(project: Project, tmp_path: Path) -> None:
    other = make_project(str(tmp_path / "other.fmproj"), tmp_path / "o")
    try:
        export_package(other, [other.jobs()[0].id], tmp_path / "other.fmpkg")
    finally:
        other.close()
    _export(project, tmp_path)  # the project has an id now
    with pytest.raises(PackageError, match="belongs to another project"):
        merge_package(project, tmp_path / "other.fmpkg")


def test_a_changed_label_schema_is_refused(project: Project, tmp_path: Path) -> None:
    job_id, _manifest, path = _export(project, tmp_path)
    from app.domain.labels import Label

    project.add_label(Label(name="bicycle"))
    with pytest.raises(PackageError, match="labels or attributes"):
        merge_package(project, path)
    assert project.job_lease(job_id) is not None  # still out: nothing changed


def test_labels_changed_in_the_package_are_refused(project: Project, tmp_path: Path) -> None:
    from app.domain.labels import Label

    job_id, _manifest, path = _export(project, tmp_path)
    with Project.open(path) as package:
        bike = package.add_label(Label(name="bicycle"))
        package.add_shapes(package.jobs()[0].id, [Shape(ShapeType.POINTS, 0, bike.id, [1.0, 1.0])])
    with pytest.raises(PackageError, match="changed on the laptop"):
        merge_package(project, path)
    assert project.job_lease(job_id) is not None


def test_a_failure_inside_the_merge_leaves_nothing_half_merged(project: Project, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    job_id, manifest, path = _export(project, tmp_path)
    _edit_package(path)
    before = content(project.annotations(job_id))
    revision = project.job(job_id).revision

    def boom(*_args, **_kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(fieldwork, "set_record", boom)  # after the annotations were written, inside the transaction
    with pytest.raises(RuntimeError):
        merge_package(project, path)
    assert content(project.annotations(job_id)) == before and project.job(job_id).revision == revision
    assert project.job_lease(job_id) is not None
    monkeypatch.undo()
    assert merge_package(project, path)["jobs"][0]["mode"] == "fast-forward"


def test_honeypots_stay_hidden_in_the_package(project: Project, tmp_path: Path) -> None:
    from app.quality.honeypots import honeypot_frames, setup_honeypots

    task_id = project.tasks()[0].id
    setup_honeypots(project, task_id, pool_frames=[4, 5], frames_per_job=1, seed=3)
    job = project.jobs(task_id)[0]
    (hidden,) = honeypot_frames(job)
    manifest = export_package(project, [job.id], tmp_path / "h.fmpkg")
    assert "frames" not in manifest.to_json().replace("frames_sha256", "")  # no frame list in the manifest
    with Project.open(tmp_path / "h.fmpkg") as package:
        assert [j.type for j in package.jobs()] == [JobType.ANNOTATION]  # no ground-truth job
        (pjob,) = package.jobs()
        assert "honeypots" not in pjob.options and package.task(pjob.task_id).options == {}
        names = [f.name for f in package.frames(pjob.task_id)]
        assert names == [f"frame_{i:06d}.png" for i in range(3)]  # no img004/img005 standing out
        position = job.frame_list().index(hidden)
        package.add_shapes(pjob.id, [Shape(ShapeType.POINTS, position, car(package)[0], [3.0, 4.0])])
    assert merge_package(project, tmp_path / "h.fmpkg", policy="ask")["totals"]["added"] == 1
    (shape,) = project.annotations(job.id).shapes
    assert shape.frame == hidden  # stored on the real pool frame, as the app does


def test_a_job_whose_frames_changed_cannot_take_the_package(project: Project, tmp_path: Path) -> None:
    from app.quality.honeypots import redraw_honeypots, setup_honeypots

    task_id = project.tasks()[0].id
    setup_honeypots(project, task_id, pool_frames=[4, 5], frames_per_job=1, seed=3)
    job = project.jobs(task_id)[0]
    manifest = export_package(project, [job.id], tmp_path / "h.fmpkg")
    with pytest.raises(JobLeasedError):  # while the package is out, the job's honeypots cannot be redrawn
        redraw_honeypots(project, job.id, seed=0)
    fieldwork.release(project, manifest.package_id)  # the office gave up on the package and redrew them
    for seed in range(20):
        if redraw_honeypots(project, job.id, seed=seed).frame_list() != job.frame_list():
            break
    with pytest.raises(PackageError, match="frames of job .* changed"):
        merge_package(project, tmp_path / "h.fmpkg")


def test_a_job_being_edited_is_not_packaged(project: Project, tmp_path: Path) -> None:
    job_id = project.jobs()[0].id
    project.acquire_job(job_id)  # its window is open on this workstation
    with pytest.raises(PackageError, match="being edited"):
        export_package(project, [job_id], tmp_path / "j.fmpkg")
    assert not (tmp_path / "j.fmpkg").exists() and project.job_lease(job_id).host != fieldwork.FIELD_HOST
    project.release_job(job_id)
    export_package(project, [job_id], tmp_path / "j.fmpkg")


@pytest.mark.parametrize("policy", ["package", "replica"])
def test_a_merge_can_be_undone_until_the_job_changes(project: Project, tmp_path: Path, policy: str) -> None:
    from app.packages.undo import snapshot_path, undo_merge

    job_id, manifest, path = _export(project, tmp_path)
    before = content(project.annotations(job_id))
    _edit_package(path)
    report = merge_package(project, path, policy=policy)
    assert snapshot_path(manifest.package_id).is_file()
    assert undo_merge(project, manifest.package_id) == [job_id]
    assert content(project.annotations(job_id)) == before
    assert [j.type for j in project.jobs()].count(JobType.CONSENSUS_REPLICA) == 0  # a replica made is gone
    assert project.job_lease(job_id).token == manifest.package_id  # out in the field again
    assert not snapshot_path(manifest.package_id).exists()
    if policy == "replica":
        assert "replica_job" in report["jobs"][0]
    # ...so the package merges again (three-way now: the version moved, but the content is the base)
    again = merge_package(project, path, policy="ask")
    assert again["totals"]["conflicts"] == 0 and again["totals"]["added"] == 1
    project.add_shapes(job_id, [Shape(ShapeType.POINTS, 2, car(project)[0], [1.0, 1.0])])  # work after it
    with pytest.raises(PackageError, match="changed after the merge"):
        undo_merge(project, manifest.package_id)


def test_conflicts_settled_one_by_one(project: Project, tmp_path: Path) -> None:
    """The merge dialog's path through the core: each conflict gets its own side; ``ask`` refuses while one
    is left open, and an unknown side is refused."""
    job_id, manifest, path = _export(project, tmp_path)
    with Project.open(path) as package:
        (pjob,) = package.jobs()
        boxes = package.annotations(pjob.id).shapes[:2]
        package.replace_annotations(pjob.id, remove_shapes=[b.id for b in boxes],  # type: ignore[misc]
                                    add=_many([b.copy(points=[0.0, 0.0, 5.0, 5.0]) for b in boxes]))
    fieldwork.release(project, manifest.package_id)
    home = {s.uid: s for s in project.annotations(job_id).shapes}
    project.replace_annotations(job_id, remove_shapes=[home[b.uid].id for b in boxes],  # type: ignore[misc]
                                add=_many([home[b.uid].copy(points=[7.0, 7.0, 8.0, 8.0]) for b in boxes]))
    first, second = boxes[0].uid, boxes[1].uid
    preview = prepare_merge(project, path)
    try:
        assert {c["uid"] for c in preview.conflicts()} == {first, second}
        with pytest.raises(MergeConflictsError, match="1 object"):
            apply_merge(project, preview, "ask", {first: "package"})
        with pytest.raises(PackageError, match="Unknown conflict choice 'mine'"):
            apply_merge(project, preview, "ask", {first: "mine"})
        report = apply_merge(project, preview, "ask", {first: "package", second: "project"})
    finally:
        preview.close()
    after = {s.uid: s.points for s in project.annotations(job_id).shapes}
    assert after[first] == [0.0, 0.0, 5.0, 5.0] and after[second] == [7.0, 7.0, 8.0, 8.0]
    resolved = {c["uid"]: c["resolved"] for c in report["jobs"][0]["conflicts"]}
    assert resolved == {first: "package version kept", second: "project version kept"}


def test_a_policy_with_choices_overrides_only_the_chosen(project: Project, tmp_path: Path) -> None:
    job_id, manifest, path = _export(project, tmp_path)
    done = _edit_package(path)
    _release_and_edit_at_home(project, job_id, manifest.package_id, uid=done["changed"])
    merge_package(project, path, "package", {done["changed"]: "project"})
    box = {s.uid: s for s in project.annotations(job_id).shapes}[done["changed"]]
    assert box.points == [7.0, 7.0, 8.0, 8.0]


@pytest.mark.parametrize("fast_forward", [True, False])
def test_the_streamed_merge_does_not_depend_on_the_chunk_size(project: Project, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               fast_forward: bool) -> None:
    """One frame per chunk against the whole job in one chunk: the same report and the same job, equal to the
    in-memory three-way rule (three_way.compare) applied to the whole job."""
    from app.packages import stream
    from app.packages.identity import digest
    from app.packages.three_way import compare

    job_id, manifest, path = _export(project, tmp_path, job_index=0)
    done = _edit_package(path)
    if not fast_forward:
        _release_and_edit_at_home(project, job_id, manifest.package_id)
    with Project.open(path, read_only=True) as package:
        pkg = _source_frames(package.annotations(package.jobs()[0].id), project.job(job_id).frame_list())
    base = {uid: d for rows in container.iter_base(path) for uid, _job, _kind, d in rows}
    by_uid = {o.uid: digest(o) for objs in (pkg.shapes, pkg.tracks, pkg.tags) for o in objs}
    home = project.annotations(job_id)
    at_home = {o.uid: digest(o) for objs in (home.shapes, home.tracks, home.tags) for o in objs}
    plan = compare(base, by_uid, at_home)
    expected = plan.result(at_home, by_uid) if not fast_forward else by_uid
    results = []
    for size in (10_000, 1):
        monkeypatch.setattr(stream, "FRAMES_PER_CHUNK", size)
        preview = prepare_merge(project, path)
        try:
            results.append(preview.jobs[0].plan.counts())
        finally:
            for job in preview.jobs:
                project.untrack_job(job.job_id)
            preview.close()
    assert results[0] == results[1] == plan.counts()
    report = merge_package(project, path)  # written one frame per chunk
    ann = project.annotations(job_id)
    assert sorted({o.uid: digest(o) for objs in (ann.shapes, ann.tracks, ann.tags) for o in objs}.items()) == \
        sorted(expected.items())
    assert report["jobs"][0]["counts"] == plan.counts() and done["added"] in expected


def _many(shapes: list[Shape]):
    from app.domain.annotations import Annotations

    return Annotations(shapes=shapes)
