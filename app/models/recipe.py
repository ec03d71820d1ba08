"""How to load a run's detection function anywhere: a picklable recipe instead of the loaded object.

A loaded function (a YOLO model, a module executed from a file) cannot travel to another process; a
:class:`FunctionRecipe` can, and every process that runs it (the CLI, a GUI worker, a Ray actor) loads
the function the same way as ``cvat-cli`` does: a function file, an importable module, or a model
checkpoint of a built-in adapter, with the same ``-p name=type:value`` parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

KINDS = ("file", "module", "model")


@dataclass(frozen=True)
class FunctionRecipe:
    kind: str  # "file", "module" or "model"
    target: str  # the .py path, the module name, or the checkpoint name/path
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"function kind {self.kind!r} is not one of {', '.join(KINDS)}")

    @classmethod
    def from_registration(cls, registration: Any) -> FunctionRecipe:
        """The recipe of a :class:`~app.models.registry.Registration` (a registered function or model)."""
        from app.models.functions import parse_params

        kind = {"function-file": "file", "function-module": "module"}.get(registration.kind, "model")
        return cls(kind, registration.target, parse_params(registration.params))

    def resolved(self) -> FunctionRecipe:
        """The same recipe with files as absolute paths (a model name resolved by the model manager),
        so a process started elsewhere (a Ray worker) loads the very same file."""
        if self.kind == "file":
            return replace(self, target=str(Path(self.target).resolve()))
        if self.kind == "model" and not self.target.endswith((".yaml", ".yml")):
            from app.models.manager import ModelManager

            return replace(self, target=str(ModelManager().resolve(self.target).resolve()))
        return self

    def load(self) -> Any:
        """The detection function; raises ``FunctionLoadError``, ``ModelError``, ``ValueError`` or
        ``TypeError`` with a message naming the file/module/model."""
        from app.models.functions import load_function_file, load_function_module, require_detection

        if self.kind == "file":
            return require_detection(load_function_file(self.target, self.params), self.target)
        if self.kind == "module":
            return require_detection(load_function_module(self.target, self.params), self.target)
        from app.models.adapters import function_for_model

        return function_for_model(self.target, **self.params)
