"""Check a pickled checkpoint for code before any library unpickles it.

A ``.pt`` file is a pickle (inside a zip archive since PyTorch 1.6). Unpickling may call any function
the file names, which is how a malicious checkpoint runs code. :func:`scan` unpickles the file with
*stand-ins*: nothing from the file is imported as a callable and nothing is executed. Every global the
pickle names must be

* a reconstruction helper on :data:`SAFE_CALLS` (tensors, parameters, ordered dicts, sets, ...);
* a class from the ``torch`` or ``ultralytics`` packages that the pickle only *creates* (``NEWOBJ``,
  i.e. ``cls.__new__`` followed by restoring its attributes, as ``torch.save`` of an ``nn.Module``
  does) and never *calls* (``REDUCE`` would run its ``__init__`` with data from the file);
* a plain value such as ``torch.float16``.

Anything else (``os.system``, ``builtins.exec``, ``subprocess.Popen``, ``ultralytics.YOLO`` called
on another file, ...) makes :class:`UnsafeCheckpointError` name the global. TorchScript archives carry
code and are refused too. Real Ultralytics checkpoints (which pickle their model classes, so
``torch.load(weights_only=True)`` rejects them) pass; SAM 2 and torchvision ``state_dict`` files pass.
"""

from __future__ import annotations

import importlib
import io
import pickle
import zipfile
from pathlib import Path
from typing import Any

SAFE_CALLS = frozenset({
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch._utils", "_rebuild_qtensor"),
    ("torch._utils", "_rebuild_sparse_tensor"),
    ("torch._tensor", "_rebuild_from_type_v2"),
    ("torch", "Size"),
    ("torch", "device"),
    ("collections", "OrderedDict"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "slice"),
    ("builtins", "complex"),
    ("builtins", "bytearray"),
    ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "dtype"),
})
SAFE_TYPES = frozenset({("numpy", "ndarray")})  # passed to numpy's _reconstruct, never called
CLASS_PACKAGES = ("torch", "ultralytics")
_PYTHON2_NAMES = {"__builtin__": "builtins", "copy_reg": "copyreg"}
_LEGACY_PICKLES = 5  # torch's legacy format: magic, protocol, sys info, data, storage keys


class UnsafeCheckpointError(Exception):
    """The checkpoint would run code when loaded; ``reason`` says which global."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Placeholder:
    """What a stand-in returns: accepts the operations unpickling applies to built objects."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def append(self, item: Any) -> None:
        pass

    def extend(self, items: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


class _DictPlaceholder(dict):
    """``OrderedDict`` stand-in: a state dict carries attributes (``_metadata``) restored by BUILD."""

    def __setstate__(self, state: Any) -> None:
        pass


class _CreateOnly(type):
    """Metaclass of class stand-ins: ``cls.__new__`` (NEWOBJ) is fine, calling the class is not."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise UnsafeCheckpointError(f"it calls {cls.__qualname__}(...), which would run that class's code")


def _stand_in_class(module: str, name: str) -> type:
    def __new__(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N807 - the NEWOBJ hook
        if args or kwargs:  # torch.save of a module never passes any; a class's __new__ might use them
            raise UnsafeCheckpointError(f"it creates {module}.{name} with arguments")
        return object.__new__(cls)

    namespace = {"__new__": __new__, "__setstate__": _Placeholder.__setstate__, "__module__": module,
                 "__qualname__": f"{module}.{name}", "append": _Placeholder.append,
                 "extend": _Placeholder.extend, "__setitem__": _Placeholder.__setitem__}
    return _CreateOnly(name, (), namespace)


def _resolve_class_or_value(module: str, name: str) -> Any:
    """The stand-in for a non-call global from torch/ultralytics, or None when it is a callable."""
    if module.split(".")[0] not in CLASS_PACKAGES:
        return None
    if module.split(".")[0] == "ultralytics":
        from app.models.ultralytics_env import prepare_env

        prepare_env()
    try:
        target: Any = importlib.import_module(module)
        for part in name.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        return None
    if isinstance(target, type):
        return _stand_in_class(module, name)
    if callable(target):
        return None
    return _Placeholder()


class _CheckingUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        module = _PYTHON2_NAMES.get(module, module)
        if (module, name) in SAFE_CALLS:
            if (module, name) == ("collections", "OrderedDict"):
                return _DictPlaceholder
            return _Placeholder
        if (module, name) in SAFE_TYPES:
            return _stand_in_class(module, name)
        stand_in = _resolve_class_or_value(module, name)
        if stand_in is None:
            raise UnsafeCheckpointError(f"it refers to {module}.{name}, which may run code")
        return stand_in

    def persistent_load(self, pid: Any) -> Any:
        return _Placeholder()


def _check_pickle(data: io.BufferedIOBase, where: str) -> None:
    try:
        _CheckingUnpickler(data).load()
    except UnsafeCheckpointError:
        raise
    except RecursionError as exc:
        raise UnsafeCheckpointError(f"{where} is nested too deeply to check") from exc
    except Exception as exc:  # noqa: BLE001 - any failure of a stand-in unpickle means 'cannot vouch for it'
        raise UnsafeCheckpointError(f"{where} could not be checked ({type(exc).__name__}: {exc})") from exc


def _scan_zip(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if any("/code/" in f"/{n}" for n in names) or any(n.endswith("constants.pkl") for n in names):
            raise UnsafeCheckpointError("it is a TorchScript archive, which carries code")
        pickles = [n for n in names if n.endswith(".pkl")]
        if not pickles:
            raise UnsafeCheckpointError("the archive holds no pickled checkpoint")
        for name in pickles:
            with archive.open(name) as handle:
                _check_pickle(io.BufferedReader(handle), name)


def _scan_legacy(path: Path) -> None:
    """torch's legacy format: up to five pickles in a row, then raw storage bytes (never unpickled).
    A file that is not a pickle at all (a tar checkpoint, anything else) cannot be vouched for."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        if handle.peek(1)[:1] != b"\x80":
            raise UnsafeCheckpointError("it is neither a torch zip archive nor a binary pickle")
        for _ in range(_LEGACY_PICKLES):
            if handle.tell() >= size:
                return
            _check_pickle(handle, path.name)


def _is_safetensors(path: Path) -> bool:
    """A safetensors file: an 8-byte little-endian header length, then a JSON header."""
    with path.open("rb") as handle:
        head = handle.read(9)
    return len(head) == 9 and head[8:9] == b"{"


def scan(path: str | Path) -> None:
    """Raise :class:`UnsafeCheckpointError` unless loading ``path`` can only rebuild data.

    ``.safetensors`` files hold no code and pass; zip checkpoints have every ``.pkl`` checked; other
    files are read as torch's legacy sequence of pickles."""
    path = Path(path)
    if path.suffix.lower() == ".safetensors" and _is_safetensors(path):
        return
    if zipfile.is_zipfile(path):
        _scan_zip(path)
    else:
        _scan_legacy(path)
