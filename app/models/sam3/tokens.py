"""Text prompts for SAM 3: CLIP's byte-pair tokenizer, offline.

SAM 3's text encoder is a CLIP text model with CLIP's 49 408-token BPE vocabulary (start token 49406,
end token 49407, 32 positions). The vocabulary file and its tokenizer ship with ``clip-anytorch`` (MIT);
the tokenizer module is loaded by file so that ``clip/__init__`` (which imports ``pkg_resources`` and
the CLIP model code) never runs. :func:`encode` is the adapter: ids with start/end tokens, padded to
the context length, and an attention mask; an empty prompt or one too long for the context raises
:class:`PromptError` with a message naming the prompt.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

START, END = 49406, 49407
CONTEXT_LENGTH = 32


class PromptError(ValueError):
    """A text prompt the model cannot take (empty, or longer than its context)."""


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    spec = importlib.util.find_spec("clip")
    if spec is None or not spec.submodule_search_locations:
        raise PromptError("SAM 3 text prompts need the 'clip-anytorch' package (CLIP's vocabulary); "
                          "install it with: pip install clip-anytorch==2.6.0")
    path = Path(next(iter(spec.submodule_search_locations))) / "simple_tokenizer.py"
    module_spec = importlib.util.spec_from_file_location("_fieldmark_clip_bpe", path)
    if module_spec is None or module_spec.loader is None:
        raise PromptError(f"{path}: cannot load CLIP's tokenizer")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.SimpleTokenizer()


def token_ids(prompt: str, context_length: int = CONTEXT_LENGTH) -> list[int]:
    """``[START, ...BPE ids..., END]`` for one prompt; :class:`PromptError` when it cannot be encoded."""
    text = " ".join(str(prompt).split())
    if not text:
        raise PromptError(f"empty text prompt {prompt!r}: give the label a name or a prompt")
    ids = _tokenizer().encode(text)
    if not ids:
        raise PromptError(f"text prompt {prompt!r} has nothing the tokenizer can encode (only symbols it drops)")
    if len(ids) + 2 > context_length:
        raise PromptError(f"text prompt {prompt!r} is {len(ids)} tokens; SAM 3 takes at most "
                          f"{context_length - 2}: shorten it")
    return [START, *ids, END]


def encode(prompts: Sequence[str], context_length: int = CONTEXT_LENGTH) -> tuple[Any, Any]:
    """``(input_ids, attention_mask)`` int64 tensors of shape ``(len(prompts), context_length)``."""
    import torch

    rows = [token_ids(p, context_length) for p in prompts]
    ids = torch.zeros((len(rows), context_length), dtype=torch.long)
    mask = torch.zeros((len(rows), context_length), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask
