"""Saved SAM 3 concept prompts, kept per project (Qt-free).

Prompts live in the project record's settings (``settings()["sam3_prompts"]``: a list of
:meth:`ConceptPrompt.to_dict` objects, by unique name), so they travel with the project file (and
with a PostgreSQL project, are shared by the team); no schema change. Reading never fails on one bad
entry: :func:`saved_prompts` returns the good ones and the reasons for the others.
"""

from __future__ import annotations

from typing import Any

from app.models.sam3.prompting import ConceptPrompt, concept_label
from app.models.sam3.tokens import PromptError

KEY = "sam3_prompts"


def saved_prompts(project: Any) -> tuple[list[ConceptPrompt], list[str]]:
    """(prompts, problems): the project's saved prompts in save order, and why unreadable ones were skipped."""
    raw = project.settings().get(KEY) or []
    if not isinstance(raw, list):
        return [], [f"the project's saved SAM 3 prompts are not a list ({type(raw).__name__}); ignored"]
    prompts, problems = [], []
    for item in raw:
        try:
            prompts.append(ConceptPrompt.from_dict(item))
        except PromptError as exc:
            problems.append(str(exc))
    return prompts, problems


def get_prompt(project: Any, name: str) -> ConceptPrompt:
    prompts, _ = saved_prompts(project)
    for prompt in prompts:
        if prompt.name == name:
            return prompt
    names = ", ".join(p.name for p in prompts) or "none saved yet"
    raise PromptError(f"no saved SAM 3 prompt named {name!r} (saved: {names})")


def save_prompt(project: Any, prompt: ConceptPrompt, *, overwrite: bool = True) -> None:
    """Save ``prompt`` under its name (replacing one of that name when ``overwrite``). The prompt is
    checked first (name, label of the project, text, boxes): nothing is written when it is wrong."""
    if not prompt.name.strip():
        raise PromptError("give the prompt a name to save it")
    prompt.check()
    concept_label(project.labels(), prompt.label)
    settings = dict(project.settings())
    raw = [item for item in (settings.get(KEY) or []) if isinstance(item, dict)]
    exists = any(item.get("name") == prompt.name for item in raw)
    if exists and not overwrite:
        raise PromptError(f"a prompt named {prompt.name!r} is already saved")
    raw = [item for item in raw if item.get("name") != prompt.name] + [prompt.to_dict()]
    settings[KEY] = raw
    project.set_settings(settings)


def delete_prompt(project: Any, name: str) -> None:
    settings = dict(project.settings())
    raw = [item for item in (settings.get(KEY) or []) if isinstance(item, dict)]
    kept = [item for item in raw if item.get("name") != name]
    if len(kept) == len(raw):
        raise PromptError(f"no saved SAM 3 prompt named {name!r}")
    settings[KEY] = kept
    project.set_settings(settings)
