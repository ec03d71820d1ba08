"""SAM 3 concept prompts beyond one label's text: exemplar prompts as data, saved prompts in the project,
a prompt over a frame range (shapes per frame) and video concept tracking (detection + association),
with the real transformers model (reduced random-weight config, 112 px, threshold 0 keeps every query)
and the background-work contract (cancel within one frame keeps exactly the frames done, one undo step)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.core.work import CancelToken, Progress
from app.domain.enums import LabelType, ShapeType, Source
from app.domain.labels import Label
from app.editing.stack import UndoStack
from app.media.sources import open_task_source
from app.models.sam3.engine import Exemplar, Sam3Engine
from app.models.sam3.prompting import ConceptPrompt, ConceptSegmenter, Found, concept_label, output_type
from app.models.sam3.saved import delete_prompt, get_prompt, save_prompt, saved_prompts
from app.models.sam3.tokens import PromptError
from app.models.sam3.video import (
    Associator,
    box_iou,
    find_on_frames,
    shapes_command,
    track_concept,
    tracks_command,
)
from tests.support.sam3_tiny import tiny_model
from tests.unit.models_fixtures import make_project

LABELS = [Label("car", type=LabelType.RECTANGLE), Label("road", type=LabelType.POLYGON),
          Label("tree", type=LabelType.MASK), Label("sign", type=LabelType.POINTS)]


@pytest.fixture(scope="module")
def segmenter() -> ConceptSegmenter:
    return ConceptSegmenter(Sam3Engine(tiny_model(queries=4)), max_points=12)


def test_prompt_checks_and_round_trip() -> None:
    prompt = ConceptPrompt("car", "red car", (Exemplar((1, 2, 30, 40)), Exemplar((50, 5, 60, 9), False)), frame=3,
                           threshold=0.4, name="reds")
    prompt.check()
    assert ConceptPrompt.from_dict(prompt.to_dict()) == prompt
    assert prompt.for_frame(3) == ("red car", prompt.exemplars) and prompt.for_frame(4) == ("red car", ())
    only_boxes = ConceptPrompt("car", "", prompt.exemplars, frame=3)
    assert only_boxes.runs_on(3) and not only_boxes.runs_on(4)
    with pytest.raises(PromptError, match="example boxes on frame 3 only and no text: it cannot run on frame 4"):
        only_boxes.for_frame(4)
    for bad, message in [(ConceptPrompt("car"), "empty prompt"),
                         (ConceptPrompt("car", "car", threshold=1.5), "threshold 1.5 is not between 0 and 1"),
                         (ConceptPrompt("car", "", (Exemplar((1, 1, 1, 9)),), frame=0), "has no area"),
                         (ConceptPrompt("car", "", (Exemplar((1, 1, 5, 9)),)), "need the frame"),
                         (ConceptPrompt("car", "\ufeff"), "nothing the tokenizer can encode")]:
        with pytest.raises(PromptError, match=message):
            bad.check()
    with pytest.raises(PromptError, match="missing field 'label'"):
        ConceptPrompt.from_dict({"name": "x", "text": "car"})
    with pytest.raises(PromptError, match="4 numbers"):
        ConceptPrompt.from_dict({"label": "car", "frame": 0, "exemplars": [{"box": [1, 2, 3]}]})
    assert output_type("any") is ShapeType.MASK and output_type("any", True) is ShapeType.POLYGON


def test_saved_prompts_live_in_the_project(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=1, labels=LABELS)
    assert saved_prompts(project) == ([], [])
    first = ConceptPrompt("car", "parked car", name="parked")
    save_prompt(project, first)
    save_prompt(project, ConceptPrompt("road", "", (Exemplar((0, 0, 9, 9)),), frame=0, name="roads"))
    with pytest.raises(PromptError, match="already saved"):
        save_prompt(project, first, overwrite=False)
    save_prompt(project, ConceptPrompt("car", "blue car", name="parked"))  # replaces
    with pytest.raises(PromptError, match="label 'sign' is a points label"):
        save_prompt(project, ConceptPrompt("sign", "sign", name="s"))
    with pytest.raises(PromptError, match="no label named 'bus'"):
        save_prompt(project, ConceptPrompt("bus", "bus", name="b"))
    with pytest.raises(PromptError, match="give the prompt a name"):
        save_prompt(project, ConceptPrompt("car", "car"))
    path = project.location
    project.close()
    from app.storage.store import Project

    project = Project.open(path)
    prompts, problems = saved_prompts(project)
    assert [p.name for p in prompts] == ["roads", "parked"] and problems == []
    assert get_prompt(project, "parked").text == "blue car"
    settings = project.settings()
    settings["sam3_prompts"].append({"name": "broken", "text": "x"})
    project.set_settings(settings)
    prompts, problems = saved_prompts(project)
    assert len(prompts) == 2 and problems == ["saved prompt 'broken': missing field 'label'"]
    delete_prompt(project, "roads")
    with pytest.raises(PromptError, match="no saved SAM 3 prompt named 'roads' \\(saved: parked\\)"):
        get_prompt(project, "roads")
    with pytest.raises(PromptError, match="no saved SAM 3 prompt named 'zzz'"):
        delete_prompt(project, "zzz")
    project.close()


def _found(box: tuple[float, float, float, float]) -> Found:
    return Found(ShapeType.RECTANGLE, list(box), 0.9, box)


def test_association_follows_overlapping_boxes_and_closes_lost_tracks() -> None:
    assert box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10], [20, 20, 30, 30]])).round(3).tolist() == [
        [0.333, 0.0]]
    associator = Associator(match_iou=0.3, max_missed=1)
    associator.step(0, [_found((0, 0, 10, 10)), _found((50, 50, 60, 60))])
    associator.step(1, [_found((52, 50, 62, 60)), _found((2, 0, 12, 10))])  # order swapped: still matched
    assert [t.frames for t in associator.tracks] == [[0, 1], [0, 1]]
    assert associator.tracks[0].found[1].box == (2, 0, 12, 10)
    associator.step(2, [_found((100, 100, 110, 110))])  # both missed once: still open; a new one starts
    assert len(associator.open) == 3
    associator.step(3, [_found((4, 0, 14, 10))])  # track 0 comes back after a gap
    assert associator.tracks[0].frames == [0, 1, 3] and len(associator.tracks) == 3
    assert 1 not in associator.open  # missed twice > max_missed: closed
    associator.step(4, [_found((54, 50, 64, 60))])  # too late for the closed track: a new one
    assert len(associator.tracks) == 4


def test_prompt_over_frames_one_undo_step_and_cancel(tmp_path: Path, segmenter: ConceptSegmenter) -> None:
    project = make_project(tmp_path, frames=4, labels=LABELS)
    job = project.jobs()[0]
    source = open_task_source(project, job.task_id)
    label = concept_label(project.labels(), "road")
    prompt = ConceptPrompt("road", "road", (Exemplar((5, 5, 30, 30)),), frame=1, threshold=0.0)
    seen: list[Progress] = []
    result = find_on_frames(source, [0, 1, 2, 3], segmenter, prompt, "polygon", progress=seen.append)
    assert not result.cancelled and result.frames_done == 4 and [p.done for p in seen] == [1, 2, 3, 4]
    assert all(f.type is ShapeType.POLYGON and 6 <= len(f.points) <= 24 for v in result.found.values() for f in v)
    stack = UndoStack()
    command = shapes_command(project, job.id, label, result)
    assert command is not None
    stack.push(command)
    shapes = project.annotations(job.id).shapes
    assert len(shapes) == result.count and {s.frame for s in shapes} == {0, 1, 2, 3}
    assert all(s.source is Source.AUTO and s.label_id == label.id for s in shapes) and len(stack) == 1
    stack.undo()
    assert not project.annotations(job.id).shapes

    token = CancelToken()

    def cancel_during_third(progress: Progress) -> None:
        if progress.done == 2:
            token.cancel()  # arrives before frame 2's pass ends: frame 2 is not kept

    result = find_on_frames(source, [0, 1, 2, 3], segmenter, prompt, "polygon", token=token,
                            progress=cancel_during_third)
    assert result.cancelled and result.frames_done == 2 and sorted(result.found) == [0, 1]
    assert result.summary().startswith("cancelled; kept 2 of 4 frames")
    with pytest.raises(PromptError, match="cannot run on frame 0"):
        find_on_frames(source, [0, 1], segmenter, ConceptPrompt("road", "", prompt.exemplars, frame=1), "polygon")
    source.close()
    project.close()


def test_concept_tracks_backward_with_outside_keyframes(tmp_path: Path, segmenter: ConceptSegmenter) -> None:
    project = make_project(tmp_path, frames=4, labels=LABELS)
    job = project.jobs()[0]
    source = open_task_source(project, job.task_id)
    label = concept_label(project.labels(), "car")
    prompt = ConceptPrompt("car", "car", threshold=0.0)
    token = CancelToken()

    def stop_after_three(progress: Progress) -> None:
        if progress.done == 3:
            token.cancel()

    result = track_concept(source, [3, 2, 1, 0], segmenter, prompt, "rectangle", token=token,
                           progress=stop_after_three)
    assert result.cancelled and result.frames_done == 3 and result.done == [3, 2, 1]
    assert result.tracks and all(set(t.frames) <= {1, 2, 3} for t in result.tracks)
    stack = UndoStack()
    command = tracks_command(project, job.id, label, result)
    assert command is not None
    stack.push(command)
    tracks = project.tracks(job.id)
    assert len(tracks) == len(result.tracks) and len(stack) == 1
    for track in tracks:
        assert track.source is Source.AUTO and track.label_id == label.id
        frames = [s.frame for s in track.shapes]
        assert frames == sorted(frames) and set(frames) <= {1, 2, 3}
        visible = [s.frame for s in track.shapes if not s.outside]
        for shape in track.shapes:
            assert shape.type is ShapeType.RECTANGLE and len(shape.points) == 4
            if shape.outside:  # only right after a visible keyframe
                assert shape.frame - 1 in visible and shape.frame not in visible
    stack.undo()
    assert not project.tracks(job.id)
    source.close()
    project.close()


def test_cli_saved_prompts_run_and_track(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture) -> None:
    import json

    from app.cli import main
    from app.models.manager import ModelManager
    from app.models.sam3.checkpoint import import_checkpoint
    from app.storage.store import Project
    from tests.support.sam3_tiny import save_tiny

    monkeypatch.setenv("FIELDMARK_HOME", str(tmp_path / "home"))
    make_project(tmp_path, frames=3, labels=LABELS).close()
    project_file = str(tmp_path / "p.fmk")
    assert main(["concept", "save", project_file, "--name", "roads", "--label", "road", "--box", "5,5,40,40",
                 "--box", "60,0,70,9,neg"]) == 2
    assert "--box needs --box-frame" in capsys.readouterr().err
    assert main(["concept", "save", project_file, "--name", "roads", "--label", "road", "--box", "5,5,40,40",
                 "--box", "60,0,70,9,neg", "--box-frame", "1", "--threshold", "0"]) == 0
    assert main(["concept", "save", project_file, "--name", "cars", "--label", "car", "--text", "car",
                 "--threshold", "0"]) == 0
    assert main(["concept", "save", project_file, "--name", "x", "--label", "sign", "--text", "sign"]) == 2
    assert "points label" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["concept", "prompts", project_file]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["name"] for p in listed] == ["roads", "cars"] and listed[0]["exemplars"][1]["positive"] is False
    job = "1"
    assert main(["concept", "run", project_file, "--job", job, "--prompt", "roads"]) == 2
    assert "example boxes on frame 1 and no text" in capsys.readouterr().err
    assert main(["concept", "run", project_file, "--job", job, "--prompt", "roads", "--from", "1", "--to", "1"]) == 2
    assert "no SAM 3 checkpoint" in capsys.readouterr().err
    import_checkpoint(save_tiny(tmp_path / "model.safetensors", queries=4), accept_licence=True,
                      manager=ModelManager())
    assert main(["concept", "run", project_file, "--job", job, "--prompt", "roads", "--from", "1", "--to", "1"]) == 0
    with Project.open(tmp_path / "p.fmk", read_only=True) as project:
        shapes = project.annotations(1).shapes
        assert shapes and {s.frame for s in shapes} == {1} and {s.type for s in shapes} == {ShapeType.POLYGON}
    assert main(["track", project_file, "--job", job, "--frame", "2", "--to-frame", "0", "--tracker", "sam3",
                 "--prompt", "cars"]) == 0
    assert "tracked 3 of 3 frames" in capsys.readouterr().out
    with Project.open(tmp_path / "p.fmk", read_only=True) as project:
        tracks = project.tracks(1)
        assert tracks and all(t.source is Source.AUTO for t in tracks)
    assert main(["track", project_file, "--job", job, "--frame", "0", "--to-frame", "9", "--tracker", "sam3",
                 "--label", "car", "--text", "car"]) == 2
    assert "--to 9 is not a frame of job 1" in capsys.readouterr().err
    assert main(["concept", "delete", project_file, "--name", "cars"]) == 0
    assert main(["concept", "delete", project_file, "--name", "cars"]) == 2
