"""Auto-annotation on Ray, with a real local Ray (no mocks): one Ray for this module, started and
stopped here (``ray.init(num_cpus=2, num_gpus=0)``), 2 workers, a 40-frame task.

The same run in-process and on Ray must write the same shapes in the same frame order; a lost worker
is replaced and its frames retried without duplicates; a frame that kills its worker twice is named;
cancel keeps whole frames and says how many; a function error reverts the run with the in-process
message; the CLI joins a cluster by address (``--ray ADDRESS``) or starts its own local Ray (``--ray``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.work import CancelToken
from app.media.sources import open_task_source
from app.models.frame_ledger import FrameLedger
from app.models.ray_backend import RaySettings, run_on_ray
from app.models.recipe import FunctionRecipe
from app.models.runner import AutoAnnotationError, RunOptions, plan_task, run_detection
from app.models.writer import AutoAnnotationRun
from tests.unit.models_fixtures import FUNCTIONS, make_project

ROOT = Path(__file__).resolve().parents[2]
FRAMES = 40
BOXES = FunctionRecipe("file", str(FUNCTIONS / "pixel_boxes.py"), {})


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray for the module's tests (a few seconds to start); yields its address."""
    try:
        import ray
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must test the Ray backend: ray is not importable (tools/setup.sh installs it)")
        pytest.skip("ray is not installed (pip install fieldmark[cluster]); the Ray backend cannot be tested")
    ray.init(address="local", num_cpus=2, num_gpus=0, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


def _run(tmp_path: Path, recipe: FunctionRecipe, *, ray: RaySettings | None = None, options: RunOptions | None = None,
         progress=None, token=None, frames: int = FRAMES, labels=None):
    project = make_project(tmp_path, frames=frames, labels=labels)
    task_id = project.tasks()[0].id
    items, source = plan_task(project, task_id), open_task_source(project, task_id)
    writer = AutoAnnotationRun(project)
    try:
        if ray is None:
            result = run_detection(recipe.load(), items, source, project.labels(), writer, options)
        else:
            result = run_on_ray(recipe, items, source, project.labels(), writer, options, ray,
                                progress=progress, token=token)
    finally:
        source.close()
    return project, result, _shapes(project, task_id)


def _shapes(project, task_id: int) -> list[tuple]:
    """Every shape as written, in store order, without its id."""
    return [(s.frame, s.label_id, s.type.value, s.points, s.score, s.source.value, s.attributes)
            for job in project.jobs(task_id) for s in project.annotations(job.id).shapes]


def test_function_file_same_as_in_process(ray_cluster, tmp_path: Path) -> None:
    _, expected_result, expected = _run(tmp_path / "local", BOXES)
    seen = []
    _, result, shapes = _run(tmp_path / "ray", BOXES, ray=RaySettings(workers=2, batch_size=3), progress=seen.append)
    assert shapes == expected and len(shapes) == FRAMES and len({s[3][0] for s in shapes}) > 5
    assert (result.frames_done, result.shapes, result.failed) == (FRAMES, expected_result.shapes, [])
    assert seen[-1].done == FRAMES and seen[-1].total == FRAMES and seen[-1].eta == 0.0


@pytest.fixture(scope="module")
def yolo11n(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from app.models.ultralytics_env import import_yolo

    torch.manual_seed(0)
    model = import_yolo()("yolo11n.yaml")
    for seq in model.model.model[-1].cv3:  # random heads emit nothing without this (env-notes §4)
        seq[-1].bias.data.fill_(-1.0)
    path = tmp_path_factory.mktemp("yolo") / "yolo11n.pt"
    model.save(str(path))
    return path


def test_random_yolo11n_same_as_in_process_frames_as_paths(ray_cluster, tmp_path: Path, yolo11n: Path) -> None:
    from app.models.spec_labels import labels_from_spec

    recipe = FunctionRecipe("model", str(yolo11n), {"device": "cpu", "imgsz": 64, "max_det": 4})
    labels = labels_from_spec(recipe.load().spec.labels)  # "From model": all 80 classes
    _, _, expected = _run(tmp_path / "local", recipe, labels=labels)
    _, result, shapes = _run(tmp_path / "ray", recipe, labels=labels,
                             ray=RaySettings(workers=2, batch_size=4, frames_as="paths"))
    assert result.frames_done == FRAMES and not result.failed
    assert len(shapes) > FRAMES and {s[2] for s in shapes} == {"rectangle"}
    assert shapes == expected  # same boxes, labels and scores, in the same frame order


def _killer(ray_module, settings: RaySettings, after: int):
    state = {"killed": False}

    def progress(p) -> None:
        if p.done >= after and not state["killed"]:
            state["killed"] = True
            ray_module.kill(ray_module.get_actor(settings.actor_name(0)), no_restart=True)

    return progress, state


def test_worker_killed_mid_run_no_duplicates(ray_cluster, tmp_path: Path) -> None:
    import ray

    _, _, expected = _run(tmp_path / "local", BOXES)
    settings = RaySettings(workers=2, batch_size=2)
    slow = FunctionRecipe("file", BOXES.target, {"delay": 0.05})
    progress, state = _killer(ray, settings, after=4)
    _, result, shapes = _run(tmp_path / "ray", slow, ray=settings, progress=progress)
    assert state["killed"]
    assert shapes == expected and result.frames_done == FRAMES and not result.failed  # every frame once


def test_frame_that_kills_its_worker_twice_is_named(ray_cluster, tmp_path: Path) -> None:
    crash = FunctionRecipe("file", BOXES.target, {"crash_on": "img_005.png"})
    project, result, shapes = _run(tmp_path, crash, ray=RaySettings(workers=2, batch_size=4), frames=12)
    assert result.failed == ["frame 5 (img_005.png)"] and result.frames_done == 11
    assert sorted(s[0] for s in shapes) == [f for f in range(12) if f != 5]
    assert "1 frames failed twice and were not written: frame 5 (img_005.png)" in result.summary()


def test_cancel_keeps_whole_frames_and_says_how_many(ray_cluster, tmp_path: Path) -> None:
    token = CancelToken()
    slow = FunctionRecipe("file", BOXES.target, {"delay": 0.1})

    def progress(p) -> None:
        if p.done >= 6:
            token.cancel()

    _, result, shapes = _run(tmp_path, slow, ray=RaySettings(workers=2, batch_size=2), progress=progress, token=token)
    frames = [s[0] for s in shapes]
    assert result.cancelled and 6 <= result.frames_done < FRAMES
    assert len(frames) == len(set(frames)) == result.frames_done  # one box per finished frame, none twice
    assert result.summary().startswith(f"cancelled; kept {result.frames_done} of {FRAMES} frames")


def test_function_error_reverts_with_the_in_process_message(ray_cluster, tmp_path: Path) -> None:
    bad = FunctionRecipe("file", str(FUNCTIONS / "bad_label_id.py"), {})
    with pytest.raises(AutoAnnotationError) as local:
        _run(tmp_path / "local", bad, frames=6)
    project = make_project(tmp_path / "ray", frames=6)
    task_id = project.tasks()[0].id
    source = open_task_source(project, task_id)
    with pytest.raises(AutoAnnotationError) as remote:
        run_on_ray(bad, plan_task(project, task_id), source, project.labels(), AutoAnnotationRun(project),
                   settings=RaySettings(workers=1, batch_size=2))  # one worker: the first bad frame is frame 0
    source.close()
    assert str(remote.value) == str(local.value) and "nothing was written" in str(remote.value)
    assert _shapes(project, task_id) == []


def test_ledger_retries_lost_frames_singly_then_gives_up() -> None:
    ledger = FrameLedger(5, shard_size=3)
    first = ledger.next_shard()
    ledger.finish(0, "a")
    assert first.indices == (0, 1, 2) and ledger.lost(first) == []  # frames 1 and 2 come back one by one
    one, two, rest = ledger.next_shard(), ledger.next_shard(), ledger.next_shard()
    assert (one.indices, two.indices, rest.indices, one.tries) == ((1,), (2,), (3, 4), 1)
    assert ledger.lost(one) == [1]  # lost twice: given up
    ledger.finish(2, "c")
    assert ledger.lost(rest) == [] and ledger.next_shard().indices == (3,)
    ledger.finish(3, "d")
    with pytest.raises(ValueError, match="already resolved"):
        ledger.finish(0, "again")
    assert ledger.take_resolved() == [(0, "a"), (1, None), (2, "c"), (3, "d")] and not ledger.complete
    assert ledger.take_resolved(all_left=True) == [(4, None)] and ledger.complete


def _cli(project: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "app", "auto-annotate", str(project), "--function-file", BOXES.target,
                           "--workers", "2", *extra], capture_output=True, text=True, env=env, timeout=240)


def test_cli_joins_a_cluster_by_address_and_starts_a_local_one(ray_cluster, tmp_path: Path) -> None:
    _, _, expected = _run(tmp_path / "local", BOXES, frames=8)
    for name, extra in (("cli-address", ("--ray", ray_cluster)), ("cli-local", ("--ray",))):
        project = make_project(tmp_path / name, frames=8)
        path, task_id = project.path, project.tasks()[0].id
        project.close()
        done = _cli(path, *extra)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "annotated 8 frames: 8 shapes" in done.stdout
        from app.storage.store import Project

        with Project.open(path) as reopened:
            assert _shapes(reopened, task_id) == expected


def test_cli_without_ray_says_how_to_get_it(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=2)
    path = project.path
    project.close()
    code = ("import sys; sys.modules['ray'] = None; from app.cli import main; "
            f"sys.exit(main(['auto-annotate', {str(path)!r}, '--function-file', {BOXES.target!r}, '--ray']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Ray is not installed" in done.stderr and "fieldmark[cluster]" in done.stderr


def test_driver_killed_then_resumed_on_ray_writes_every_frame_once(ray_cluster, tmp_path: Path) -> None:
    """kill -9 of a Ray run's driver, then ``--resume --ray``: the run records are the same for both
    backends, so the resumed run skips the frames written before the kill and adds none twice."""
    import signal
    import time

    from app.storage.store import Project
    from tests.unit.test_runs_cli import _recorded, _shapes_per_frame

    make_project(tmp_path, frames=24).close()
    path = tmp_path / "p.fmk"
    slow = str(FUNCTIONS / "slow_boxes.py")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "app", "auto-annotate", str(path), "--function-file", slow, "-p", "delay=float:0.3",
            "--ray", ray_cluster, "--workers", "2"]
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while _recorded(path) < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()[1][-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    counts = _shapes_per_frame(path)
    recorded = _recorded(path)
    assert sum(counts.values()) == recorded and set(counts.values()) <= {0, 1} and 4 <= recorded < 24
    resumed = subprocess.run([*args, "--resume"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{recorded} frames already done, {24 - recorded} to go" in resumed.stderr
    assert f"annotated {24 - recorded} frames" in resumed.stdout
    assert set(_shapes_per_frame(path).values()) == {1}
    with Project.open(path, read_only=True) as project:
        assert project.runs(project.tasks()[0].id)[0].frames_done == 24


def test_team_project_on_postgresql_same_as_in_process(ray_cluster, pg_url: str, tmp_path: Path) -> None:
    """The driver is the one writer, through the same store code: a team project on PostgreSQL gets the
    shapes an in-process run writes into a SQLite project."""
    from app.media.ingest import create_image_task
    from app.storage.store import Project
    from tests.unit.models_fixtures import make_images, task_labels

    _, _, expected = _run(tmp_path / "local", BOXES, frames=8)
    with Project.create(pg_url, "team", task_labels()) as project:
        create_image_task(project, "t", make_images(tmp_path / "imgs", 8))
        task_id = project.tasks()[0].id
        source = open_task_source(project, task_id)
        try:
            result = run_on_ray(BOXES, plan_task(project, task_id), source, project.labels(),
                                AutoAnnotationRun(project), None, RaySettings(address=ray_cluster, workers=2))
        finally:
            source.close()
        assert result.frames_done == 8 and not result.failed
        assert _shapes(project, task_id) == expected
