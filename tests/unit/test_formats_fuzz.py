"""Property test: damaged versions of real dataset files never make an importer crash, hang or write.

Each example copies one real sample dataset (the public fixtures in ../shared/fixtures/external and
samples made by our own writers), damages one of its text files (a JSON/YAML value replaced by a
hostile one, an XML attribute or text changed, a label-file token replaced, bytes flipped, cut or
made non-UTF-8) and imports it: reading, into a new project, and as a new task of an existing one.

Asserted for every example: only the project's error classes (FormatError, ProjectError, MediaError)
come out; the example finishes within a generous time bound and without a large jump in peak memory
(catching run-away loops and allocations, not measuring speed); a failed import leaves no new
project file and changes nothing in the existing project.

``FIELDMARK_FUZZ_EXAMPLES=5000`` runs a longer campaign (default: 150 examples).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import resource
import shutil
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from app.formats.errors import FormatError
from app.formats.importer import import_into_project, import_new_project, read_dataset
from app.media.errors import MediaError
from app.storage.errors import ProjectError
from app.storage.store import Project

EXTERNAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "external"
if not EXTERNAL.is_dir():
    EXTERNAL = Path("/work/shared/fixtures/external")
EXAMPLES = int(os.environ.get("FIELDMARK_FUZZ_EXAMPLES", "150"))
#: Far above what a damaged few-kilobyte sample needs; a run-away loop or allocation passes them.
TIME_LIMIT_S = 30.0
MEMORY_LIMIT_MIB = 700
ALLOWED = (FormatError, ProjectError, MediaError)
# Shrinking a failure costs minutes of imports; the failing draws are printed unshrunk (set
# FIELDMARK_FUZZ_SHRINK=1 to shrink).
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if os.environ.get("FIELDMARK_FUZZ_SHRINK")
                                                          else [])
TEXT_SUFFIXES = {".json", ".xml", ".yaml", ".yml", ".txt", ".data", ".names"}

pytestmark = pytest.mark.skipif(not EXTERNAL.is_dir(), reason="the shared fixtures (../shared/fixtures) are absent")


def _samples() -> list[tuple[str, Path]]:
    if not EXTERNAL.is_dir():
        return []
    dm = EXTERNAL / "cvat-ai__datumaro" / "tests" / "assets"
    odm = EXTERNAL / "openvinotoolkit__datumaro" / "tests" / "assets"
    cvat_docs = EXTERNAL / "cvat-ai__cvat/site/content/en/docs/dataset_management/formats/format-cvat.md.examples"
    out = [("cvat", cvat_docs / "images_example.xml"), ("cvat", cvat_docs / "video_example.xml"),
           ("cvat", dm / "cvat_dataset" / "for_images"), ("cvat", dm / "cvat_dataset" / "for_video"),
           ("cvat", odm / "cvat_dataset" / "for_images" / "export_project"),
           ("cvat", odm / "cvat_dataset" / "for_video"),
           ("coco", dm / "coco_dataset" / "coco_instances"), ("coco", dm / "coco_dataset" / "coco_person_keypoints")]
    out += [("yolo", d) for d in sorted((dm / "yolo_dataset").iterdir()) if d.is_dir()]
    return [(fmt, p) for fmt, p in out if p.exists() and _text_files(p)]


def _text_files(path: Path) -> list[Path]:
    return sorted(p for p in ([path] if path.is_file() else path.rglob("*")) if p.suffix in TEXT_SUFFIXES)


SAMPLES = _samples()

HOSTILE_VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, -7.25, 10**20, -(10**20), 2**63, 1e308, -1e308, float("inf"), float("nan"),
    "", "wide", ".", "x" * 300, "a/" * 3000 + "b.jpg", [], [1], [[1, 2, 3]], [1000000, 3], ["."], {}, {"a": 1},
    {"counts": 5, "size": [2, 2]}, {"counts": "zz", "size": [2, 2]}, {"counts": [1, 2], "size": ["a", 2]},
]
HOSTILE_TEXT = [
    "", "-1", "0", "1.5", "nan", "inf", "-inf", "1e308", "-1e308", "99999999999999999999", "2147483648",
    "-2147483649", "x", "wide", "true", ".", "..", "a" * 300, "a/" * 3000 + "b.jpg", "\u00e9\u4e2d", "1,2;3",
    "0,0;1e308,5", "5, -3, 2",
]
BAD_BYTES = [b"\xff", b"\xc3\x28", b"\x80\x80", b"\x00", b"\xed\xa0\x80"]


# ---------------------------------------------------------------------- mutations


def _json_paths(value: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _json_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _json_paths(v, (*path, i))
    return out


def _replace(doc: Any, path: tuple, new: Any, delete: bool) -> Any:
    if not path:
        return new
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return doc


def _mutate_tree(doc: Any, draw: Any) -> Any:
    paths = _json_paths(doc)
    path = draw(st.sampled_from(paths))
    delete = bool(path) and draw(st.booleans()) and draw(st.booleans())
    return _replace(doc, path, draw(st.sampled_from(HOSTILE_VALUES)), delete)


def _mutate_json(text: str, draw: Any) -> str:
    return json.dumps(_mutate_tree(json.loads(text), draw))


def _mutate_yaml(text: str, draw: Any) -> str:
    return yaml.safe_dump(_mutate_tree(yaml.safe_load(text), draw), allow_unicode=True)


def _mutate_xml(text: str, draw: Any) -> bytes:
    root = ET.fromstring(text)
    elements = list(root.iter())
    element = draw(st.sampled_from(elements))
    choice = draw(st.sampled_from(["attribute", "attribute", "text", "duplicate", "remove-attribute"]))
    if choice in ("attribute", "remove-attribute") and element.attrib:
        key = draw(st.sampled_from(sorted(element.attrib)))
        if choice == "attribute":
            element.set(key, draw(st.sampled_from(HOSTILE_TEXT)))
        else:
            del element.attrib[key]
    elif choice == "duplicate" and element is not root:
        parent = next(p for p in elements if element in list(p))
        parent.append(ET.fromstring(ET.tostring(element)))
    else:
        element.text = draw(st.sampled_from(HOSTILE_TEXT))
    return ET.tostring(root, encoding="utf-8")


def _mutate_lines(text: str, draw: Any) -> str:
    lines = text.splitlines() or [""]
    n = draw(st.integers(0, len(lines) - 1))
    tokens = lines[n].split() or [""]
    if draw(st.booleans()):
        tokens[draw(st.integers(0, len(tokens) - 1))] = draw(st.sampled_from(HOSTILE_TEXT))
    else:
        tokens = [draw(st.sampled_from(HOSTILE_TEXT))]
    lines[n] = " ".join(tokens) if " " in lines[n] or len(tokens) > 1 else tokens[0]
    return "\n".join(lines) + "\n"


def _mutate_bytes(raw: bytes, draw: Any) -> bytes:
    kind = draw(st.sampled_from(["flip", "insert", "truncate", "repeat"]))
    at = draw(st.integers(0, max(len(raw) - 1, 0)))
    if kind == "flip" and raw:
        return raw[:at] + bytes([raw[at] ^ (1 << draw(st.integers(0, 7)))]) + raw[at + 1:]
    if kind == "insert":
        return raw[:at] + draw(st.sampled_from(BAD_BYTES)) + raw[at:]
    if kind == "truncate":
        return raw[:at]
    end = min(len(raw), at + draw(st.integers(1, 64)))
    return raw[:end] + raw[at:end] * draw(st.integers(1, 50)) + raw[end:]


def _damage(file: Path, draw: Any) -> str:
    raw = file.read_bytes()
    structured = draw(st.integers(0, 3)) > 0
    try:
        if structured and file.suffix == ".json":
            file.write_text(_mutate_json(raw.decode(), draw))
        elif structured and file.suffix in (".yaml", ".yml"):
            file.write_text(_mutate_yaml(raw.decode(), draw))
        elif structured and file.suffix == ".xml":
            file.write_bytes(_mutate_xml(raw.decode(), draw))
        elif structured:
            file.write_text(_mutate_lines(raw.decode(), draw))
        else:
            file.write_bytes(_mutate_bytes(raw, draw))
            return "bytes"
    except (ValueError, yaml.YAMLError, ET.ParseError, TypeError):  # a sample the mutator cannot parse
        file.write_bytes(_mutate_bytes(raw, draw))
        return "bytes"
    return "structured"


# ---------------------------------------------------------------------- the property


def _snapshot(project: Project) -> tuple:
    from app.cli.project_cmds import project_info

    return json.dumps(project_info(project), sort_keys=True, default=str), json.dumps(project.settings(),
                                                                                     sort_keys=True)


@functools.cache
def _empty_project() -> Path:
    """One empty project file per test run, copied for each example (creating one runs the migrations)."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-template-"))
    atexit.register(shutil.rmtree, folder, True)
    Project.create(folder / "empty.fmproj", "existing").close()
    return folder / "empty.fmproj"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.skipif(not SAMPLES, reason="no sample datasets found in ../shared/fixtures/external")
@settings(max_examples=EXAMPLES, deadline=None, database=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(data=st.data())
def test_damaged_samples_never_crash_hang_or_write(data: st.DataObject) -> None:
    fmt, sample = data.draw(st.sampled_from(SAMPLES), label="sample")
    create_labels = data.draw(st.booleans(), label="create labels")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        copy = tmp_path / "data" / sample.name
        if sample.is_dir():
            shutil.copytree(sample, copy)
        else:
            copy.parent.mkdir()
            shutil.copy(sample, copy)
        target = data.draw(st.sampled_from(_text_files(copy)), label="damaged file")
        note(f"{fmt} {sample} -> {target.relative_to(tmp_path)} ({_damage(target, data.draw)})")

        started, peak = time.monotonic(), _peak_mib()
        try:
            dataset = read_dataset(copy, fmt, create_missing_labels=create_labels)
        except ALLOWED:
            dataset = None
        if dataset is not None:
            new = tmp_path / "new.fmproj"
            try:
                import_new_project(new, dataset, copy)
            except ALLOWED:
                assert not new.exists(), "a failed import left a project file behind"
            dataset = read_dataset(copy, fmt, create_missing_labels=create_labels)  # an import consumes its dataset
            existing = tmp_path / "existing.fmproj"
            shutil.copy(_empty_project(), existing)
            with Project.open(existing) as project:
                before = _snapshot(project)
                try:
                    import_into_project(project, dataset, copy, new_task=True, create_missing=True)
                except ALLOWED:
                    assert _snapshot(project) == before, "a failed import changed the project"
        elapsed = time.monotonic() - started
        assert elapsed < TIME_LIMIT_S, f"the import took {elapsed:.1f} s"
        assert _peak_mib() - peak < MEMORY_LIMIT_MIB, "the import raised peak memory by more than the bound"
