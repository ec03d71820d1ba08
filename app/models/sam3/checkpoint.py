"""SAM 3 checkpoint files: recognise, check, import (SHA-256 + one-time licence acceptance), load.

A SAM 3 checkpoint is a ``.safetensors`` file holding the state dict of ``transformers``'
``Sam3Model`` (the ``model.safetensors`` of the gated ``facebook/sam3`` release, whose keys may carry
the video model's ``detector_model.`` prefix). It holds no code, so it never needs the pickle trust
path. The architecture is the library's default ``Sam3Config`` unless the file's safetensors
metadata carries one under :data:`CONFIG_KEY` (files written by :func:`save_checkpoint`, e.g. the
reduced random-weight models of the tests and the benchmark). Nothing here touches the network.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from app.models.manager import ModelManager
from app.models.model_files import BrokenModelError, ModelError, ModelNotFoundError, sha256_of
from app.models.sam3.licence import LICENCE_NAME, LicenceStore

FILENAME = "sam3.safetensors"
CONFIG_KEY = "fieldmark.sam3_config"
TRACKER_CONFIG_KEY = "fieldmark.sam3_tracker_config"
PREFIX = "detector_model."
REQUIRED = ("vision_encoder.", "text_encoder.", "geometry_encoder.", "detr_encoder.", "detr_decoder.",
            "mask_decoder.")
HUB_PAGE = "https://huggingface.co/facebook/sam3"


def missing_message(root: Path) -> str:
    return (f"no SAM 3 checkpoint in {root}: SAM 3 weights are gated, so Fieldmark never downloads them. "
            f"Accept the {LICENCE_NAME} at {HUB_PAGE}, download model.safetensors there, then run "
            "`fieldmark models add PATH --accept-licence` (or use --model sam3:PATH)")


def read_header(path: Path) -> dict[str, Any]:
    """The safetensors JSON header; :class:`BrokenModelError` when the file is not one or is truncated."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
            length = int.from_bytes(head, "little") if len(head) == 8 else -1
            if length <= 1 or 8 + length > size:
                raise BrokenModelError(f"{path}: not a safetensors file, or cut off inside its header "
                                       "(an interrupted download?); a SAM 3 checkpoint is model.safetensors")
            header = json.loads(handle.read(length))
    except OSError as exc:
        raise BrokenModelError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BrokenModelError(f"{path}: not a safetensors file (its header is not JSON)") from exc
    if not isinstance(header, dict):
        raise BrokenModelError(f"{path}: not a safetensors file (its header is not an object)")
    end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
    if 8 + length + end > size:
        raise BrokenModelError(f"{path}: truncated: the header promises {8 + length + end} bytes, the file has "
                               f"{size} (an interrupted copy or download?); replace it with a complete copy")
    return header


def check_sam3(path: str | Path) -> dict[str, Any]:
    """The header of a complete SAM 3 checkpoint; :class:`BrokenModelError` for anything else."""
    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"{path}: no such file")
    header = read_header(path)
    keys = [k.removeprefix(PREFIX) for k in header if k != "__metadata__"]
    missing = [p.rstrip(".") for p in REQUIRED if not any(k.startswith(p) for k in keys)]
    if missing:
        sample = ", ".join(sorted(keys)[:3]) or "no tensors"
        raise BrokenModelError(f"{path}: not a SAM 3 checkpoint: it has no {', '.join(missing)} weights "
                               f"(it holds {len(keys)} tensors, e.g. {sample})")
    return header


def config_of(header: dict[str, Any]) -> Any:
    """The ``Sam3Config`` a checkpoint was saved with (metadata), else the library's default."""
    from transformers import Sam3Config

    text = (header.get("__metadata__") or {}).get(CONFIG_KEY)
    return Sam3Config.from_dict(json.loads(text)) if text else Sam3Config()


def save_checkpoint(model: Any, path: str | Path, tracker: Any = None) -> Path:
    """Write ``model``'s weights and its configuration as a SAM 3 checkpoint (atomically). With a
    ``Sam3TrackerModel`` the file takes the released video layout (``detector_model.``,
    ``tracker_model.``, ``tracker_neck.``; the tracker shares the detector's vision backbone)."""
    from safetensors.torch import save_file

    path = Path(path)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    metadata = {"format": "pt", CONFIG_KEY: model.config.to_json_string()}
    if tracker is not None:
        state = {PREFIX + k: v for k, v in state.items()}
        for key, value in tracker.state_dict().items():
            if key.startswith("vision_encoder.neck."):
                state["tracker_neck." + key.removeprefix("vision_encoder.neck.")] = value.detach().contiguous()
            elif not key.startswith("vision_encoder."):
                state["tracker_model." + key] = value.detach().contiguous()
        metadata[TRACKER_CONFIG_KEY] = tracker.config.to_json_string()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sam3-", suffix=".safetensors")
    os.close(fd)
    try:
        save_file(state, tmp, metadata=metadata)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def resolve(spec: str, manager: ModelManager | None = None) -> Path:
    """``sam3`` (the imported checkpoint) or ``sam3:PATH`` to a checkpoint file."""
    manager = manager or ModelManager()
    name, _, rest = str(spec).partition(":")
    if name.strip().lower() != "sam3":
        raise ModelError(f"{spec!r} does not name SAM 3 (use sam3 or sam3:PATH)")
    path = Path(rest).expanduser() if rest.strip() else manager.root / FILENAME
    if not path.is_file():
        raise ModelNotFoundError(f"{path}: no such file" if rest.strip() else missing_message(manager.root))
    return path


def import_checkpoint(source: str | Path, *, accept_licence: bool = False,
                      manager: ModelManager | None = None, overwrite: bool = False) -> Path:
    """Check ``source``, record the licence acceptance and its SHA-256, and copy it to the models folder
    as :data:`FILENAME`. Nothing is copied or recorded when the file is wrong or the licence is not
    accepted (now or before)."""
    manager = manager or ModelManager()
    source = Path(source).expanduser()
    check_sam3(source)
    store = LicenceStore(manager.root)
    if not accept_licence and not store.accepted(LICENCE_NAME):
        raise ModelError(f"{source}: SAM 3 weights are licensed under the {LICENCE_NAME}; accept it once "
                         "(`fieldmark models add PATH --accept-licence`, or the Models dialog) to use them")
    digest = sha256_of(source)
    target = manager.add(source, overwrite=overwrite, target_name=FILENAME)
    store.accept(LICENCE_NAME, digest, target.name)
    return target


def _checked_header(path: Path, manager: ModelManager) -> dict[str, Any]:
    header = check_sam3(path)
    manager.ensure_safe(path)
    if not LicenceStore(manager.root).accepted(LICENCE_NAME):
        raise ModelError(f"{path}: the {LICENCE_NAME} of SAM 3 has not been accepted yet; import the file "
                         "with `fieldmark models add PATH --accept-licence` (or the Models dialog) first")
    return header


def _read_weights(path: Path, rename: Any) -> dict[str, Any]:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            return {new: handle.get_tensor(key) for key in handle.keys() if (new := rename(key)) is not None}
    except (SafetensorError, OSError) as exc:
        raise BrokenModelError(f"{path}: cannot read the weights ({exc})") from exc


def _fill(model: Any, state: dict[str, Any], path: Path, what: str) -> Any:
    """Load ``state`` into ``model`` exactly (every key, every shape) or say what does not fit."""
    import torch

    expected = set(model.state_dict())
    missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or unexpected:
        raise BrokenModelError(f"{path}: the weights do not fit {what} ({len(missing)} missing, "
                               f"e.g. {missing[:2]}; {len(unexpected)} unexpected, e.g. {unexpected[:2]})")
    try:
        model.load_state_dict(state, strict=True, assign=True)  # no second copy of ~3.4 GB
    except RuntimeError as exc:
        raise BrokenModelError(f"{path}: the weights do not fit {what} "
                               f"({str(exc).splitlines()[-1].strip()})") from exc
    return model.eval().to(torch.float32)


def _detector_key(key: str) -> str | None:
    return None if key.startswith(("tracker_model.", "tracker_neck.")) else key.removeprefix(PREFIX)


def load_model(path: str | Path, manager: ModelManager | None = None) -> Any:
    """The ``Sam3Model`` (eval mode, CPU) of a checked checkpoint whose licence was accepted."""
    from transformers import Sam3Model
    from transformers.initialization import no_init_weights

    manager = manager or ModelManager()
    path = Path(path)
    config = config_of(_checked_header(path, manager))
    state = _read_weights(path, _detector_key)
    # The weights come from the file: skip the slow random initialisation. (no_init_weights swaps
    # torch's init functions process-wide while the model is built.)
    with no_init_weights():
        model = Sam3Model(config)
    return _fill(model, state, path, "SAM 3's image model")


TRACKER_SKIP = ("memory_", "mask_downsample", "object_pointer_proj", "temporal_positional_encoding_projection_layer",
                "no_object_pointer", "occlusion_spatial_embedding_parameter")  # video memory: not for clicks


def _tracker_key(key: str) -> str | None:
    """The released video layout -> ``Sam3TrackerModel`` names (the library's own renaming rules)."""
    if key.startswith(PREFIX + "vision_encoder.backbone."):
        return key.removeprefix(PREFIX)
    if key.startswith("tracker_neck."):
        return "vision_encoder.neck." + key.removeprefix("tracker_neck.")
    if key.startswith("tracker_model."):
        name = key.removeprefix("tracker_model.")
        return None if name.startswith(TRACKER_SKIP) or name == "no_memory_positional_encoding" else name
    return None


def load_tracker(path: str | Path, manager: ModelManager | None = None) -> Any:
    """The ``Sam3TrackerModel`` (clicks and boxes) of a full SAM 3 checkpoint (the video layout)."""
    from transformers import Sam3TrackerConfig, Sam3TrackerModel
    from transformers.initialization import no_init_weights

    manager = manager or ModelManager()
    path = Path(path)
    header = _checked_header(path, manager)
    if not any(k.startswith("tracker_model.") for k in header):
        raise BrokenModelError(f"{path}: this SAM 3 file has no tracker weights (tracker_model.*), which clicks "
                               "and boxes need; import the full model.safetensors of facebook/sam3")
    text = (header.get("__metadata__") or {}).get(TRACKER_CONFIG_KEY)
    config = Sam3TrackerConfig.from_dict(json.loads(text)) if text else Sam3TrackerConfig()
    state = _read_weights(path, _tracker_key)
    with no_init_weights():
        model = Sam3TrackerModel(config)
    return _fill(model, state, path, "SAM 3's tracker (clicks and boxes)")
