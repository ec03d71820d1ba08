"""SAM 3 checkpoints: recognised, imported once with SHA-256 and licence acceptance, loaded back through
the models folder; wrong model, truncated file, missing file and an unaccepted licence give one clear
message and write nothing. Real transformers code with a reduced random-weight Sam3Config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.models.manager import ModelManager
from app.models.model_files import BrokenModelError, ModelError, ModelNotFoundError, sha256_of
from app.models.sam3.checkpoint import FILENAME, check_sam3, import_checkpoint, load_model, resolve
from app.models.sam3.licence import LICENCE_FILE, LICENCE_NAME
from tests.support.sam3_tiny import save_tiny, tiny_model


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny(tmp_path_factory.mktemp("sam3") / "model.safetensors")


def test_import_records_sha_and_licence_then_loads_identical_weights(tiny_file: Path, tmp_path: Path) -> None:
    import torch

    manager = ModelManager(tmp_path / "models")
    target = import_checkpoint(tiny_file, accept_licence=True, manager=manager)
    assert target == manager.root / FILENAME and sha256_of(target) == sha256_of(tiny_file)
    record = json.loads((manager.root / LICENCE_FILE).read_text())["accepted"][LICENCE_NAME]
    assert record["sha256"] == sha256_of(tiny_file) and record["file"] == FILENAME and record["accepted_at"]
    assert resolve("sam3", manager) == target and resolve(f"sam3:{tiny_file}", manager) == tiny_file
    assert FILENAME in {m.path.name for m in manager.installed()}
    loaded, original = load_model(target, manager), tiny_model()
    for (name, a), (_, b) in zip(sorted(loaded.state_dict().items()), sorted(original.state_dict().items())):
        assert torch.equal(a, b), name
    # accepted once: a later import needs no flag
    assert import_checkpoint(tiny_file, manager=manager, overwrite=True) == target


def test_licence_must_be_accepted_once_before_import_or_load(tiny_file: Path, tmp_path: Path) -> None:
    manager = ModelManager(tmp_path / "models")
    with pytest.raises(ModelError, match="SAM License; accept it once"):
        import_checkpoint(tiny_file, manager=manager)
    assert not manager.root.exists() or not any(manager.root.iterdir())
    with pytest.raises(ModelError, match="SAM License of SAM 3 has not been accepted"):
        load_model(tiny_file, manager)


def test_missing_checkpoint_says_how_to_import(tmp_path: Path) -> None:
    manager = ModelManager(tmp_path / "models")
    with pytest.raises(ModelNotFoundError, match="never downloads them.*fieldmark models add PATH --accept-licence"):
        resolve("sam3", manager)
    with pytest.raises(ModelNotFoundError, match="no such file"):
        resolve(f"sam3:{tmp_path / 'nope.safetensors'}", manager)
    with pytest.raises(ModelError, match="does not name SAM 3"):
        resolve("sam2:x", manager)


def test_wrong_model_checkpoint_is_refused(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    other = tmp_path / "resnet.safetensors"
    save_file({"conv1.weight": torch.zeros(4, 3, 3, 3), "fc.bias": torch.zeros(4)}, str(other))
    with pytest.raises(BrokenModelError, match="not a SAM 3 checkpoint: it has no vision_encoder.*2 tensors"):
        import_checkpoint(other, accept_licence=True, manager=ModelManager(tmp_path / "models"))
    assert not (tmp_path / "models" / LICENCE_FILE).exists()
    pickle_file = tmp_path / "sam3.pt"
    torch.save({"model": {}}, pickle_file)
    with pytest.raises(BrokenModelError, match="not a safetensors file"):
        check_sam3(pickle_file)


def test_sam3_file_with_other_shapes_is_refused_on_load(tmp_path: Path) -> None:
    """A SAM 3 file whose weights do not fit the architecture it declares (another query count)."""
    from safetensors.torch import load_file, save_file

    from app.models.sam3.checkpoint import CONFIG_KEY
    from tests.support.sam3_tiny import tiny_config

    path = save_tiny(tmp_path / "a.safetensors")
    save_file(load_file(str(path)), str(path), metadata={CONFIG_KEY: tiny_config(queries=9).to_json_string()})
    manager = ModelManager(tmp_path / "models")
    import_checkpoint(path, accept_licence=True, manager=manager)
    with pytest.raises(BrokenModelError, match="do not fit SAM 3's image model"):
        load_model(path, manager)


def test_truncated_and_empty_files_are_refused(tiny_file: Path, tmp_path: Path) -> None:
    data = tiny_file.read_bytes()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(BrokenModelError, match="truncated: the header promises"):
        import_checkpoint(cut, accept_licence=True, manager=ModelManager(tmp_path / "models"))
    cut.write_bytes(data[:100])
    with pytest.raises(BrokenModelError, match="cut off inside its header"):
        check_sam3(cut)
    with pytest.raises(BrokenModelError, match="truncated or damaged"):
        ModelManager(tmp_path / "models").resolve(str(cut))
    assert not (tmp_path / "models" / FILENAME).exists()
