"""CVAT functions that load their model by Hugging Face id run offline from Fieldmark's models folder:
`fieldmark models add PATH --hf-id ID` places the checkpoint where huggingface_hub looks, and loading a
function sets the hub offline. Missing packages are named in one line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.cli import main
from app.models import hf_cache
from app.models.functions import FunctionLoadError, load_function_file, load_function_module, protocol_of
from tests.unit.models_fixtures import FUNCTIONS

SAM_ID = "facebook/sam2.1-hiera-tiny"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Fieldmark home of its own; the hub settings changed by loading a function are restored."""
    monkeypatch.setenv("FIELDMARK_HOME", str(tmp_path / "home"))
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HOME", "HF_HUB_CACHE", "HF_HUB_DISABLE_TELEMETRY"):
        monkeypatch.setenv(name, "")
    import huggingface_hub.constants as constants

    for name in ("HF_HUB_OFFLINE", "HF_HOME", "HF_HUB_CACHE"):
        monkeypatch.setattr(constants, name, getattr(constants, name))
    return tmp_path / "home" / "cache" / "models"


def test_placed_files_are_found_by_huggingface_hub_offline(home: Path, tmp_path: Path) -> None:
    weights = tmp_path / "my_copy.bin"
    weights.write_bytes(b"\x80\x02}q\x00.")  # any file: placement does not interpret it
    assert main(["models", "add", str(weights), "--hf-id", "org/detector", "--hf-filename", "weights.bin"]) == 0
    function = load_function_file(FUNCTIONS / "hub_by_id.py", {"model_id": "org/detector", "filename": "weights.bin"})
    assert Path(function.path).read_bytes() == weights.read_bytes()
    assert Path(function.path).is_relative_to(hf_cache.hub_cache(home))
    import huggingface_hub

    assert huggingface_hub.constants.HF_HUB_OFFLINE
    snapshot = huggingface_hub.snapshot_download("org/detector", local_files_only=True)
    assert (Path(snapshot) / "weights.bin").is_file()
    ref = (hf_cache.repo_folder(home, "org/detector") / "refs" / "main").read_text()
    assert Path(snapshot).name == ref and len(ref) == 40


def test_a_model_missing_offline_is_one_clear_line(home: Path) -> None:
    with pytest.raises(FunctionLoadError, match=r"not in Fieldmark's offline cache.*--hf-id") as info:
        load_function_file(FUNCTIONS / "hub_by_id.py", {"model_id": "org/absent", "filename": "w.bin"})
    assert "\n" not in str(info.value)


def test_sam2_function_loads_by_model_id_offline(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import torch

    from app.models.sam2_image import save_random_checkpoint

    torch.set_num_threads(1)
    checkpoint = save_random_checkpoint("configs/sam2.1/sam2.1_hiera_t.yaml", tmp_path / "downloaded-tiny.pt")
    assert main(["models", "add", str(checkpoint), "--hf-id", SAM_ID]) == 0
    assert "sam2.1_hiera_tiny.pt" in capsys.readouterr().out  # sam2's own file name for that id
    function = load_function_file(FUNCTIONS / "sam2_hub_tracker.py", {"model_id": SAM_ID})
    assert protocol_of(function) == "tracking"
    assert main(["models", "list"]) == 0 and SAM_ID in capsys.readouterr().out
    assert main(["models", "remove", SAM_ID]) == 0
    assert hf_cache.placed(home) == []


def test_bad_hub_ids_and_sources(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["models", "add", str(tmp_path / "none.pt"), "--hf-id", SAM_ID]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "w.pt").write_bytes(b"x")
    assert main(["models", "add", str(tmp_path / "w.pt"), "--hf-id", "not an id"]) == 2
    assert "ORG/NAME" in capsys.readouterr().err


def test_missing_package_is_named(home: Path) -> None:
    with pytest.raises(FunctionLoadError) as info:
        load_function_file(FUNCTIONS / "needs_package.py")
    message = str(info.value)
    assert "needs the Python package 'fieldmark_missing_package_for_tests'" in message
    assert "pip install" in message and "\n" not in message and "Traceback" not in message


def test_cvat_sdk_shipped_functions_import(home: Path) -> None:
    """cvat-sdk's torchvision functions need scikit-image (its `pytorch` extra)."""
    sys.modules.pop("cvat_sdk.auto_annotation.functions.torchvision_instance_segmentation", None)
    with pytest.raises(FunctionLoadError, match="create\\(\\) rejected the parameters"):
        load_function_module("cvat_sdk.auto_annotation.functions.torchvision_instance_segmentation")


def test_a_snapshot_folder_is_checked_before_it_is_placed(home: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    import builtins
    import pickle

    class _WritesFile:
        def __reduce__(self):
            return builtins.exec, (f"open({str(tmp_path / 'pwned')!r}, 'w').close()",)

    folder = tmp_path / "snapshot"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"w": _WritesFile()}, protocol=2))
    assert main(["models", "add", str(folder), "--hf-id", "org/text"]) == 2
    assert "refused to load" in capsys.readouterr().err and hf_cache.placed(home) == []
    assert main(["models", "add", str(folder), "--hf-id", "org/text", "--trust"]) == 0
    assert hf_cache.placed(home)[0].files == ("config.json", "pytorch_model.bin")
    assert not (tmp_path / "pwned").exists()
