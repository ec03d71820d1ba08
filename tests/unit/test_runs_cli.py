"""`fieldmark auto-annotate` run control in real processes: kill -9 then --resume, Ctrl-C, a hung
function with --frame-timeout, sys.exit()/KeyboardInterrupt inside detect()."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.storage.store import Project
from tests.unit.models_fixtures import FUNCTIONS, make_project

ROOT = Path(__file__).resolve().parents[2]
SLOW = str(FUNCTIONS / "slow_boxes.py")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "app", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(_cli(*args), env=_env(), capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def _recorded(path: Path) -> int:
    try:
        with Project.open(path, read_only=True) as project:
            runs = project.runs(project.tasks()[0].id)
            return runs[0].frames_done if runs else 0
    except Exception:  # noqa: BLE001 - the file may be mid-write; try again
        return 0


def _shapes_per_frame(path: Path) -> dict[int, int]:
    with Project.open(path, read_only=True) as project:
        job = project.jobs(project.tasks()[0].id)[0]
        return {f: len(project.frame_shapes(job.id, f)) for f in job.frame_list()}


def _start_slow(path: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(_cli("auto-annotate", str(path), "--function-file", SLOW, "-p", "delay=float:0.15", *extra),
                            env=_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_recorded(path: Path, proc: subprocess.Popen, at_least: int) -> int:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        done = _recorded(path)
        if done >= at_least:
            return done
        time.sleep(0.05)
    raise AssertionError(f"the run never recorded {at_least} frames (exit {proc.poll()})")


def test_kill_9_then_resume_annotates_every_frame_once(tmp_path: Path) -> None:
    make_project(tmp_path, frames=24).close()
    path = tmp_path / "p.fmk"
    proc = _start_slow(path)
    _wait_recorded(path, proc, 4)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    counts = _shapes_per_frame(path)
    recorded = _recorded(path)
    # Frames written and frames recorded are the same set: one transaction each batch.
    assert sum(counts.values()) == recorded and set(counts.values()) <= {0, 1} and 4 <= recorded < 24
    plain = _run("auto-annotate", str(path), "--function-file", SLOW, "-p", "delay=float:0.15")
    assert plain.returncode == 2 and "unfinished auto-annotation run #1" in plain.stderr and "--resume" in plain.stderr
    assert _shapes_per_frame(path) == counts  # the refusal wrote nothing
    other = _run("auto-annotate", str(path), "--function-file", SLOW, "--resume")
    assert other.returncode == 2 and "another function or other options" in other.stderr
    resumed = _run("auto-annotate", str(path), "--function-file", SLOW, "-p", "delay=float:0.15", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{recorded} frames already done, {24 - recorded} to go" in resumed.stderr
    assert f"annotated {24 - recorded} frames" in resumed.stdout
    assert set(_shapes_per_frame(path).values()) == {1}
    again = _run("auto-annotate", str(path), "--function-file", SLOW, "-p", "delay=float:0.15", "--resume")
    assert again.returncode == 0  # nothing unfinished: a fresh run (cvat-cli's plain re-run adds again)


def test_ctrl_c_keeps_whole_frames_and_says_how_many(tmp_path: Path) -> None:
    make_project(tmp_path, frames=40).close()
    path = tmp_path / "p.fmk"
    proc = _start_slow(path)
    _wait_recorded(path, proc, 3)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    kept = sum(_shapes_per_frame(path).values())
    assert f"cancelled; kept {kept} of 40 frames: {kept} shapes" in err and "--resume" in err
    assert _recorded(path) == kept


def test_frame_timeout_names_the_frame_and_keeps_finished_frames(tmp_path: Path) -> None:
    make_project(tmp_path, frames=6).close()
    path = tmp_path / "p.fmk"
    started = time.monotonic()
    result = _run("auto-annotate", str(path), "--function-file", SLOW, "-p", "hang_frame=str:img_004.png",
                  "--frame-timeout", "1.5")
    assert time.monotonic() - started < 60
    assert result.returncode == 2
    assert "frame 4 (img_004.png): detect() of" in result.stderr and "did not return within 1.5 s" in result.stderr
    assert "kept 4 of 6 frames" in result.stderr
    assert _shapes_per_frame(path) == {0: 1, 1: 1, 2: 1, 3: 1, 4: 0, 5: 0}
    bad = _run("auto-annotate", str(path), "--function-file", SLOW, "--frame-timeout", "0")
    assert bad.returncode == 2 and "must be more than 0 seconds" in bad.stderr


def test_sys_exit_and_keyboard_interrupt_in_detect_are_reported(tmp_path: Path) -> None:
    make_project(tmp_path, frames=4).close()
    path = tmp_path / "p.fmk"
    result = _run("auto-annotate", str(path), "--function-file", SLOW, "-p", "exit_frame=str:img_002.png")
    assert result.returncode == 2
    assert "frame 2 (img_002.png)" in result.stderr and "slow_boxes.py called sys.exit(4) in detect()" in result.stderr
    result = _run("auto-annotate", str(path), "--function-file", SLOW, "-p", "interrupt_frame=str:img_001.png",
                  "--frame-timeout", "30")
    assert result.returncode == 2
    assert "frame 1 (img_001.png)" in result.stderr and "raised KeyboardInterrupt in detect()" in result.stderr
    assert sum(_shapes_per_frame(path).values()) == 0  # a function error keeps nothing (and leaves no run)
    assert _run("auto-annotate", str(path), "--function-file", SLOW).returncode == 0


def test_a_function_that_does_not_load_leaves_no_run(tmp_path: Path) -> None:
    make_project(tmp_path, frames=2).close()
    path = tmp_path / "p.fmk"
    bad = tmp_path / "exits.py"
    bad.write_text("import sys\nsys.exit(3)\n")
    result = _run("auto-annotate", str(path), "--function-file", str(bad))
    assert result.returncode == 2 and "exits.py: loading the function failed: SystemExit: 3" in result.stderr
    with Project.open(path, read_only=True) as project:
        assert project.runs(project.tasks()[0].id) == []
