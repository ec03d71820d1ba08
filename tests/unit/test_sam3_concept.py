"""SAM 3 concept detection with the real transformers model (reduced random-weight config, 112 px):
prompts per label, output per label type, exemplar boxes, the runner/writer path (source auto, one
undo step, cancel keeps whole frames), and `fieldmark auto-annotate --model sam3`. Random weights
make the *content* meaningless, so threshold 0 keeps every query and the tests check structure,
geometry ranges and what was written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.core.work import CancelToken
from app.domain.enums import LabelType, Source
from app.domain.labels import Label
from app.models.runner import RunOptions, plan_task, run_detection
from app.models.sam3.concept import Concept, Sam3ConceptFunction, concepts_for, parse_prompts
from app.models.sam3.engine import Exemplar, Sam3Engine
from app.models.sam3.tokens import CONTEXT_LENGTH, END, START, PromptError, encode
from app.models.writer import AutoAnnotationRun
from tests.support.sam3_tiny import save_tiny, tiny_model
from tests.unit.models_fixtures import make_project

LABELS = [Label("car", type=LabelType.RECTANGLE), Label("road", type=LabelType.POLYGON),
          Label("tree", type=LabelType.MASK), Label("sign", type=LabelType.POINTS)]
QUERIES = 8


@pytest.fixture(scope="module")
def engine() -> Sam3Engine:
    return Sam3Engine(tiny_model(queries=QUERIES))


def test_prompt_encoding_and_bad_prompts() -> None:
    ids, mask = encode(["parked car", "car"])
    assert ids.shape == mask.shape == (2, CONTEXT_LENGTH)
    assert ids[0, 0] == START and ids[0, 3] == END and mask[0].sum() == 4 and mask[1].sum() == 3
    assert ids[0, 2] == ids[1, 1]  # "car" is the same token in both
    with pytest.raises(PromptError, match="empty text prompt"):
        encode(["  "])
    with pytest.raises(PromptError, match="at most 30: shorten it"):
        encode(["big " * 31])
    with pytest.raises(PromptError, match="nothing the tokenizer can encode"):
        encode(["\ufeff\x7f"])  # a name of invisible characters only


def test_concepts_default_to_label_names_and_take_overrides() -> None:
    concepts = concepts_for(LABELS, parse_prompts("car=parked car; tree = oak tree"))
    assert concepts == [Concept("car", "rectangle", "parked car"), Concept("road", "polygon", "road"),
                        Concept("tree", "mask", "oak tree")]  # the points label is not a concept
    with pytest.raises(PromptError, match="label 'car': empty text prompt"):
        concepts_for(LABELS, {"car": ""})
    with pytest.raises(PromptError, match="label '.+': text prompt .+ nothing the tokenizer can encode"):
        concepts_for([Label("\ufeff", type=LabelType.MASK)])
    with pytest.raises(PromptError, match="labels the task does not have: bus"):
        concepts_for(LABELS, {"bus": "bus"})
    with pytest.raises(PromptError, match="write LABEL=TEXT"):
        parse_prompts("car")
    with pytest.raises(PromptError, match="no rectangle, polygon, mask or 'any' label"):
        concepts_for([Label("sign", type=LabelType.POINTS)])


class _Context:
    def __init__(self, threshold: float | None, conv: bool = False) -> None:
        self.frame_name, self.conf_threshold, self.conv_mask_to_poly = "f", threshold, conv


def test_outputs_follow_label_types_and_threshold(engine: Sam3Engine) -> None:
    function = Sam3ConceptFunction(engine, concepts_for(LABELS), max_points=6)
    rgb = np.random.default_rng(1).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    frame = function.prepare(rgb)
    batches = {b.type: b for b in function.detect_batches(_Context(0.0), frame)}
    assert len(batches["rectangle"]) == QUERIES and set(batches["rectangle"].labels) == {0}
    for x1, y1, x2, y2 in batches["rectangle"].points:
        assert 0 <= x1 < x2 <= 60 and 0 <= y1 < y2 <= 40
    assert set(batches["polygon"].labels) == {1}
    assert all(6 <= len(p) <= 12 and len(p) % 2 == 0 for p in batches["polygon"].points)
    assert set(batches["mask"].labels) == {2}
    for points in batches["mask"].points:  # CVAT mask encoding: runs, then x1, y1, x2, y2 inside the frame
        x1, y1, x2, y2 = points[-4:]
        assert 0 <= x1 <= x2 < 60 and 0 <= y1 <= y2 < 40 and sum(points[:-4]) == (x2 - x1 + 1) * (y2 - y1 + 1)
    scores = [s for b in batches.values() for s in b.scores]
    assert all(0 <= s <= 1 for s in scores)
    above = max(scores) - 1e-6
    kept = function.detect_batches(_Context(above), frame)
    assert 1 <= sum(len(b) for b in kept) < sum(len(b) for b in batches.values())
    converted = function.detect_batches(_Context(0.0, conv=True), frame)
    assert {b.type for b in converted} <= {"rectangle", "polygon"}


def test_exemplar_boxes_combine_with_text(engine: Sam3Engine) -> None:
    function = Sam3ConceptFunction(engine, concepts_for(LABELS))
    rgb = np.random.default_rng(2).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    features = engine.encode_image(*engine.pixels(rgb))
    text_only = engine.segment(features, "road", threshold=0.0)
    with_boxes = engine.segment(features, "road", [Exemplar((5, 5, 20, 30)), Exemplar((40, 2, 55, 10), False)], 0.0)
    assert len(text_only) == len(with_boxes) == QUERIES
    assert not np.allclose(text_only.scores, with_boxes.scores)  # the boxes reach the model
    found = function.find_similar(rgb, "road", [Exemplar((30, 20, 5, 5))], use_text=False, threshold=0.0)
    assert found and found[0].type == "polygon" and set(found[0].labels) == {1}
    with pytest.raises(PromptError, match="has no area"):
        function.find_similar(rgb, "road", [Exemplar((5, 5, 5, 30))])
    with pytest.raises(PromptError, match="at least one example box"):
        function.find_similar(rgb, "road", [])
    with pytest.raises(PromptError, match="'sign' is not one of SAM 3's concepts"):
        function.find_similar(rgb, "sign", [Exemplar((1, 1, 9, 9))])
    with pytest.raises(PromptError, match="empty prompt"):
        engine.segment(features, " ")


def test_run_over_task_is_one_auto_run_and_cancel_keeps_whole_frames(engine: Sam3Engine, tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=3, labels=LABELS)
    task = project.tasks()[0]
    function = Sam3ConceptFunction(engine, concepts_for(project.labels()))
    token = CancelToken()
    from app.media.sources import open_task_source

    source = open_task_source(project, task.id)
    writer = AutoAnnotationRun(project)
    try:
        result = run_detection(function, plan_task(project, task.id), source, project.labels(), writer,
                               RunOptions(conf_threshold=0.0, batch_frames=1),
                               progress=lambda p: token.cancel() if p.done == 2 else None, token=token)
    finally:
        source.close()
    assert result.cancelled and result.frames_done == 2 and result.shapes > 0
    shapes = [s for job in project.jobs(task.id) for s in project.annotations(job.id).shapes]
    assert len(shapes) == result.shapes and {s.frame for s in shapes} == {0, 1}
    assert all(s.source is Source.AUTO for s in shapes)
    by_label = {project.labels().by_name(n).id: t for n, t in (("car", "rectangle"), ("road", "polygon"),
                                                               ("tree", "mask"))}
    assert all(by_label[s.label_id] == s.type.value for s in shapes)
    project.close()


def test_cli_auto_annotate_with_sam3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture) -> None:
    from app.cli import main
    from app.storage.store import Project

    monkeypatch.setenv("FIELDMARK_HOME", str(tmp_path / "home"))
    make_project(tmp_path, frames=2, labels=LABELS).close()
    project_file = str(tmp_path / "p.fmk")
    assert main(["auto-annotate", project_file, "--model", "sam3"]) == 2
    assert "no SAM 3 checkpoint" in capsys.readouterr().err
    checkpoint = save_tiny(tmp_path / "model.safetensors", queries=QUERIES)
    assert main(["models", "add", str(checkpoint)]) == 2
    assert "accept it once" in capsys.readouterr().err
    assert main(["models", "add", str(checkpoint), "--accept-licence"]) == 0
    assert "SAM License accepted" in capsys.readouterr().out
    assert main(["auto-annotate", project_file, "--model", "sam3", "-p", "prompts=str:car="]) == 2
    assert "label 'car': empty text prompt" in capsys.readouterr().err
    with Project.open(tmp_path / "p.fmk", read_only=True) as project:
        assert project.counts()["shapes"] == 0
    assert main(["auto-annotate", project_file, "--model", "sam3", "--conf-threshold", "0",
                 "-p", "prompts=str:car=parked car", "-p", "max_points=int:8"]) == 0
    assert "annotated 2 frames" in capsys.readouterr().out
    with Project.open(tmp_path / "p.fmk", read_only=True) as project:
        by_type = project.counts()["by_type"]
    assert by_type["rectangle"] == 2 * QUERIES and by_type.get("polygon", 0) > 0 and by_type.get("mask", 0) > 0
    assert main(["auto-annotate", project_file, "--model", f"sam3:{checkpoint}", "--clear-existing",
                 "--conf-threshold", "1"]) == 0
    with Project.open(tmp_path / "p.fmk", read_only=True) as project:
        assert project.counts()["shapes"] == 0
