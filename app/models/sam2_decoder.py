"""The fast half of SAM 2: prompt encoder + mask decoder on a cached embedding, and mask upscaling.

Why not ``SAM2ImagePredictor.predict``: it upsamples every mask to the full frame with torch and runs
the decoder in eager mode (~340 ms per click on the 2-core test machine). Here:

- the decoder is split (:mod:`app.models.sam2_split`): what depends only on the image is computed once
  per image, next to the embedding, and only the rest runs per click (~30 % less work per click);
- that per-click half is exported once per model to ONNX (``torch.onnx``, cached in the cache folder)
  and run in ONNX Runtime with one thread (about 2x faster than eager torch on CPU); when
  onnx/onnxruntime are missing or the export fails, eager torch under ``inference_mode`` is used;
- one mask is produced (SAM 2's single-mask output, which already falls back to the most stable of
  the multi-mask candidates for ambiguous clicks);
- the 256x256 logits are upscaled only inside the box where they are positive (an affine warp with the
  same sampling as ``F.interpolate(bilinear, align_corners=False)``), so a 100 MP frame costs no more
  than the object's area.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import warnings
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from app.models.embedding_cache import Embedding

log = logging.getLogger(__name__)
ONNX_OPSET = 17


def prompt_arrays(
    positive, negative, box, orig_hw: tuple[int, int], image_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """SAM 2 prompt tensors: coords (1, N, 2) float32 in model pixels, labels (1, N) int32.

    A box becomes two corner points labelled 2 and 3, placed first (as SAM2ImagePredictor does);
    positive points are labelled 1 and negative 0."""
    h, w = orig_hw
    coords: list[tuple[float, float]] = []
    labels: list[int] = []
    if box is not None:
        x1, y1, x2, y2 = box
        coords += [(min(x1, x2), min(y1, y2)), (max(x1, x2), max(y1, y2))]
        labels += [2, 3]
    coords += [tuple(p) for p in positive]
    labels += [1] * len(positive)
    coords += [tuple(p) for p in negative]
    labels += [0] * len(negative)
    arr = np.asarray(coords, dtype=np.float32).reshape(1, -1, 2)
    arr = arr * np.array([image_size / w, image_size / h], dtype=np.float32)
    return arr, np.asarray(labels, dtype=np.int32).reshape(1, -1)


def upscale_logits(logits: np.ndarray, orig_hw: tuple[int, int], threshold: float = 0.0
                   ) -> tuple[np.ndarray, int, int]:
    """Threshold the (h, w) low-res logits at full resolution, only where they can be positive.

    Returns (bool crop, left, top); an empty (0, 0) crop at (0, 0) when no logit exceeds the threshold.
    Sampling matches ``F.interpolate(size=orig_hw, mode="bilinear", align_corners=False)``."""
    lh, lw = logits.shape
    H, W = orig_hw
    ys, xs = np.nonzero(logits > threshold)
    if ys.size == 0:
        return np.zeros((0, 0), dtype=bool), 0, 0
    sx, sy = lw / W, lh / H
    # a full-res pixel x samples the low-res grid at u = (x + 0.5) * sx - 0.5; keep every x whose u is
    # within one low-res pixel of a positive logit
    x0 = max(0, int(np.floor((xs.min() - 0.5) / sx - 0.5)))
    x1 = min(W, int(np.ceil((xs.max() + 1.5) / sx + 0.5)))
    y0 = max(0, int(np.floor((ys.min() - 0.5) / sy - 0.5)))
    y1 = min(H, int(np.ceil((ys.max() + 1.5) / sy + 0.5)))
    matrix = np.array([[sx, 0.0, (x0 + 0.5) * sx - 0.5], [0.0, sy, (y0 + 0.5) * sy - 0.5]], dtype=np.float64)
    crop = cv2.warpAffine(
        np.ascontiguousarray(logits, dtype=np.float32), matrix, (x1 - x0, y1 - y0),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE,
    )
    return crop > threshold, x0, y0


def _plain_module(model: Any) -> Any:
    """Unsplit decoder (for SAM 2 variants the split does not cover):
    (embed, feat_s0, feat_s1, coords, labels) -> (low-res logits, score)."""
    import torch

    class SingleMaskDecoder(torch.nn.Module):
        def __init__(self, sam: Any) -> None:
            super().__init__()
            self.prompt_encoder = sam.sam_prompt_encoder
            self.mask_decoder = sam.sam_mask_decoder

        def forward(self, embed, feat_s0, feat_s1, coords, labels):  # noqa: ANN001 - traced
            sparse, dense = self.prompt_encoder(points=(coords, labels), boxes=None, masks=None)
            logits, scores, _, _ = self.mask_decoder(
                image_embeddings=embed, image_pe=self.prompt_encoder.get_dense_pe(),
                sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense,
                multimask_output=False, repeat_image=False, high_res_features=[feat_s0, feat_s1],
            )
            return logits, scores

    return SingleMaskDecoder(model).eval()


class TorchDecoder:
    """Eager torch: the split decoder of :mod:`app.models.sam2_split` (or the plain one)."""

    backend = "torch"

    def __init__(self, model: Any) -> None:
        from app.models.sam2_split import build

        self.device = next(model.parameters()).device
        try:
            self.image_side, self.prompt_side = build(model)
            self.plain = None
        except ValueError:
            self.image_side = self.prompt_side = None
            self.plain = _plain_module(model)

    @property
    def names(self) -> tuple[str, ...]:
        from app.models.sam2_split import EXTRA_NAMES

        return EXTRA_NAMES if self.plain is None else ("embed", "s0", "s1")

    def precompute(self, image_embed: Any, high_res: list[Any]) -> dict[str, np.ndarray]:
        """The per-image arrays this decoder needs, from SAM2ImagePredictor's torch features."""
        import torch

        with torch.inference_mode():
            feats = [image_embed.float(), high_res[0].float(), high_res[1].float()]
            outs = self.image_side(*feats) if self.image_side is not None else feats
        return {name: t.cpu().numpy() for name, t in zip(self.names, outs, strict=True)}

    def _inputs(self, emb: Embedding, coords: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
        return [*(emb.arrays[n] for n in self.names), coords, labels]

    def __call__(self, emb: Embedding, coords: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
        import torch

        args = [torch.from_numpy(a).to(self.device) for a in self._inputs(emb, coords, labels)]
        with torch.inference_mode():
            logits, scores = (self.prompt_side or self.plain)(*args)
        return logits[0, 0].float().cpu().numpy(), float(scores[0, 0])


class OrtDecoder(TorchDecoder):
    """The per-click half exported to ONNX and run by ONNX Runtime (CPU); the per-image half stays in
    torch (it runs once per image, next to the embedding)."""

    backend = "onnxruntime"

    def __init__(self, model: Any, onnx_path: Path, threads: int = 1) -> None:
        super().__init__(model)
        import onnxruntime as ort

        if not onnx_path.is_file():
            export_onnx(self.prompt_side or self.plain, self._example(model), onnx_path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, int(threads))
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.path = onnx_path

    def _example(self, model: Any) -> tuple:
        import torch

        size = int(model.image_size)
        arrays = self.precompute(torch.zeros(1, 256, size // 16, size // 16),
                                 [torch.zeros(1, 32, size // 4, size // 4), torch.zeros(1, 64, size // 8, size // 8)])
        return (*(torch.from_numpy(arrays[n]) for n in self.names), torch.tensor([[[size / 2, size / 2]]]),
                torch.tensor([[1]], dtype=torch.int32))

    def __call__(self, emb: Embedding, coords: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
        feeds = dict(zip(self.input_names, self._inputs(emb, coords, labels), strict=True))
        logits, scores = self.session.run(None, feeds)
        return logits[0, 0], float(scores[0, 0])


_export_lock = threading.Lock()


def export_onnx(module: Any, example: tuple, path: Path) -> Path:
    """Export the per-click decoder ``module`` (inputs as ``example``) to ``path`` (atomically)."""
    import torch

    count = len(example)
    names = ([f"in{i}" for i in range(count - 2)]) + ["coords", "labels"]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with _export_lock, warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer warnings
        torch.onnx.export(
            module, example, str(tmp), dynamo=False, opset_version=ONNX_OPSET,
            input_names=names, output_names=["logits", "scores"],
            dynamic_axes={"coords": {1: "points"}, "labels": {1: "points"}},
        )
    tmp.replace(path)
    return path


def decoder_cache_path(cache_dir: Path, identity: str) -> Path:
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:20]
    return cache_dir / "sam2-decoders" / f"decoder-{digest}.onnx"


def make_decoder(model: Any, identity: str, *, prefer_onnx: bool = True, threads: int = 1,
                 cache_dir: Path | None = None) -> TorchDecoder | OrtDecoder:
    """The fastest decoder that works here. ``identity`` names the weights (checkpoint path, size,
    mtime, config, image size) so a cached export is reused only for the same model."""
    device = str(next(model.parameters()).device)
    if not prefer_onnx or not device.startswith("cpu"):
        return TorchDecoder(model)
    try:
        import onnxruntime  # noqa: F401 - probe
        import torch

        if cache_dir is None:
            from app import paths

            cache_dir = paths.cache_dir()
        path = decoder_cache_path(cache_dir, f"{identity}|torch={torch.__version__}|opset={ONNX_OPSET}|split-nhwc")
        return OrtDecoder(model, path, threads)
    except ImportError as exc:
        log.info("SAM 2 decoder runs in eager torch: %s", exc)
    except (RuntimeError, OSError, ValueError) as exc:  # export/loader failures of an unusual model
        log.warning("SAM 2 decoder ONNX export failed, using eager torch: %s", exc)
    return TorchDecoder(model)
