"""Load CVAT auto-annotation functions (``cvat_sdk.auto_annotation``) from a .py file or a module.

Semantics follow cvat-cli's loader: ``--function-file`` executes the file as module
``__cvat_function__``; ``--function-module`` imports a module; a module attribute ``create`` makes it
a factory called with the ``-p name=type:value`` parameters, otherwise the module itself is the
function and parameters are an error. The protocol is chosen by the type of ``spec``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PARAM_TYPES = ("int", "float", "str", "bool")
_TRUE = {"true", "yes", "on", "1", "t", "y"}
_FALSE = {"false", "no", "off", "0", "f", "n"}


class FunctionLoadError(Exception):
    """A function could not be loaded; the message names the file/module and the reason."""


def parse_bool(text: str) -> bool:
    """attrs-style ``to_bool``: true/false, yes/no, on/off, 1/0 (case-insensitive)."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a boolean (use true/false, yes/no, on/off or 1/0)")


def parse_param(text: str) -> tuple[str, Any]:
    """Parse one ``name=type:value`` parameter (type: int, float, str, bool)."""
    name, sep, typed = text.partition("=")
    kind, sep2, raw = typed.partition(":")
    if not sep or not sep2 or not name.strip():
        raise ValueError(f"parameter {text!r} is not in the form name=type:value")
    kind = kind.strip()
    try:
        if kind == "int":
            return name.strip(), int(raw)
        if kind == "float":
            return name.strip(), float(raw)
        if kind == "str":
            return name.strip(), raw
        if kind == "bool":
            return name.strip(), parse_bool(raw)
    except ValueError as exc:
        raise ValueError(f"parameter {text!r}: {exc}") from exc
    raise ValueError(f"parameter {text!r}: type {kind!r} is not one of {', '.join(PARAM_TYPES)}")


def parse_params(items: Iterable[str]) -> dict[str, Any]:
    """``name=type:value`` strings to a dict; a repeated name: the last one wins (as in cvat-cli)."""
    params: dict[str, Any] = {}
    for item in items:
        name, value = parse_param(item)
        params[name] = value
    return params


PIP_NAMES = {"skimage": "scikit-image", "cv2": "opencv-python", "PIL": "pillow", "sklearn": "scikit-learn",
             "yaml": "PyYAML", "attr": "attrs"}


def _problem(origin: str, step: str, exc: BaseException) -> FunctionLoadError:
    """One clear line for a failure in user code: a missing package or a model missing offline are
    named as such; anything else as ``Type: message``."""
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        package = PIP_NAMES.get(top, top)
        return FunctionLoadError(
            f"{origin}: needs the Python package {package!r} (module {exc.name!r}), which is not installed; "
            f"add it to Fieldmark's environment with `.venv/bin/pip install {package}` (see docs/models.md)")
    if type(exc).__name__ in ("LocalEntryNotFoundError", "OfflineModeIsEnabled"):
        return FunctionLoadError(
            f"{origin}: the function asked the Hugging Face hub for a model that is not in Fieldmark's offline "
            "cache; put the checkpoint there with `fieldmark models add PATH --hf-id ORG/NAME` (docs/models.md)")
    return FunctionLoadError(f"{origin}: {step} failed: {type(exc).__name__}: {exc}")


def _offline_hub() -> None:
    from app import paths
    from app.models.hf_cache import apply_offline_env

    apply_offline_env(paths.models_dir())


def _exec_file(path: Path) -> Any:
    if not path.is_file():
        raise FunctionLoadError(f"{path}: no such function file")
    spec = importlib.util.spec_from_file_location("__cvat_function__", path)
    if spec is None or spec.loader is None:
        raise FunctionLoadError(f"{path}: not a loadable Python file")
    module = importlib.util.module_from_spec(spec)
    _offline_hub()
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # noqa: BLE001 - user code: reported with the file
        raise _problem(str(path), "loading the function", exc) from exc
    return module


def _import(name: str) -> Any:
    _offline_hub()
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise FunctionLoadError(f"module {name!r}: import failed: no such module (check the name, or "
                                    "run from the folder that holds it)") from exc
        raise _problem(f"module {name!r}", "import", exc) from exc
    except Exception as exc:  # noqa: BLE001 - any error in user code is reported with the module name
        raise _problem(f"module {name!r}", "import", exc) from exc


def instantiate(module: Any, params: dict[str, Any] | None, origin: str) -> Any:
    """Apply cvat-cli's factory rule to a loaded module and check that the result has a ``spec``."""
    params = params or {}
    create = getattr(module, "create", None)
    if create is not None:
        try:
            function = create(**params)
        except TypeError as exc:
            raise FunctionLoadError(f"{origin}: create() rejected the parameters: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - user factory failure is reported, not a crash
            raise _problem(origin, "create()", exc) from exc
    elif params:
        raise FunctionLoadError(f"{origin}: function takes no parameters (it has no create())")
    else:
        function = module
    if not hasattr(function, "spec"):
        raise FunctionLoadError(f"{origin}: function has no 'spec' attribute")
    return function


def load_function_file(path: str | Path, params: dict[str, Any] | None = None) -> Any:
    path = Path(path)
    return instantiate(_exec_file(path), params, str(path))


def load_function_module(name: str, params: dict[str, Any] | None = None) -> Any:
    return instantiate(_import(name), params, f"module {name!r}")


def protocol_of(function: Any) -> str:
    """``detection``, ``tracking`` or ``interaction``, from the type of ``function.spec``."""
    import cvat_sdk.auto_annotation as cvataa

    spec = function.spec
    if isinstance(spec, cvataa.DetectionFunctionSpec):
        return "detection"
    if isinstance(spec, cvataa.TrackingFunctionSpec):
        return "tracking"
    if isinstance(spec, cvataa.InteractionFunctionSpec):
        return "interaction"
    raise FunctionLoadError(f"function spec has unsupported type {type(spec).__name__}")


def require_detection(function: Any, origin: str = "function") -> Any:
    if protocol_of(function) != "detection":
        raise FunctionLoadError(f"{origin} is a {protocol_of(function)} function; auto-annotation needs a "
                                "detection function (DetectionFunctionSpec)")
    if not callable(getattr(function, "detect", None)):
        raise FunctionLoadError(f"{origin} has no detect(context, image) method")
    return function


def load_registered(registration: Any, extra_params: dict[str, Any] | None = None) -> Any:
    """Load a :class:`app.models.registry.Registration` (functions or built-in model adapters)."""
    params = parse_params(registration.params)
    params.update(extra_params or {})
    if registration.kind == "function-file":
        return load_function_file(registration.target, params)
    if registration.kind == "function-module":
        return load_function_module(registration.target, params)
    from app.models.adapters import function_for_model

    return function_for_model(registration.target, **params)


def unload_file_module() -> None:
    """Forget the last ``__cvat_function__`` module (each file load executes the file afresh)."""
    sys.modules.pop("__cvat_function__", None)
