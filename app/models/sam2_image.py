"""SAM 2 as a click/box interactor: Meta's image predictor for embeddings, a fast decoder for clicks.

Qt-free; torch and sam2 are imported when the model is first loaded. A checkpoint is resolved through
:class:`app.models.manager.ModelManager` (catalog names like ``sam2.1-tiny``, registered names, file
names in the models folder, or paths); the config comes from the catalog entry of the checkpoint's
file name, or is given explicitly. Embeddings go into an :class:`EmbeddingCache` (LRU in MiB).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np

from app.models import catalog
from app.models.embedding_cache import Embedding, EmbeddingCache
from app.models.interactor import MaskResult, Prompts
from app.models.sam2_decoder import make_decoder, prompt_arrays, upscale_logits

DEFAULT_CACHE_MIB = 256
SIZES = {  # catalog name -> short description for the model selector
    "sam2.1-tiny": "SAM 2.1 tiny (39 M params): fastest, good for most objects",
    "sam2.1-small": "SAM 2.1 small (46 M params)",
    "sam2.1-base-plus": "SAM 2.1 base+ (81 M params): finer edges, ~4x slower embedding",
    "sam2.1-large": "SAM 2.1 large (224 M params): best quality, slow on CPU",
}


class Sam2Error(RuntimeError):
    """The model cannot be built or the prompts cannot be used; the message says why."""


def config_for(checkpoint: Path, config: str | None) -> str:
    """The package-relative sam2 config for a checkpoint file (explicit ``config`` wins)."""
    if config:
        return config
    entry = catalog.find(checkpoint.name)
    if entry is None or entry.config is None:
        raise Sam2Error(
            f"{checkpoint}: cannot tell which SAM 2 config this checkpoint needs; name the file like an "
            "official one (e.g. sam2.1_hiera_tiny.pt) or pass the config (configs/sam2.1/sam2.1_hiera_t.yaml)")
    return entry.config


def resolve_checkpoint(name_or_path: str | Path) -> Path:
    """A checkpoint path via the model manager (paths that exist are accepted as they are)."""
    from app.models.manager import ModelManager

    return ModelManager().resolve(name_or_path)


def save_random_checkpoint(config: str, path: Path, *, image_size: int | None = None, seed: int = 0) -> Path:
    """Build SAM 2 from a bundled config with random weights and save it like an official checkpoint
    (``{"model": state_dict}``). For tests and benchmarks: speed does not depend on weight values."""
    import torch
    from sam2.build_sam import build_sam2

    torch.manual_seed(seed)
    model = build_sam2(config, ckpt_path=None, device="cpu", hydra_overrides_extra=_overrides(image_size))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict()}, path)
    return path


def _overrides(image_size: int | None) -> list[str]:
    return [f"++model.image_size={int(image_size)}"] if image_size else []


class Sam2Interactor:
    """SAM 2 image interactor.

    Parameters
    ----------
    checkpoint:
        Catalog name, registered name, file name in the models folder, or path of a ``.pt``.
    config:
        sam2 config (package-relative); default from the checkpoint's file name.
    image_size:
        Model input size override (default: the config's, 1024). Tests use 256.
    device:
        ``auto``/``cpu``/``cuda`` preference (:func:`app.models.device.select_device`).
    threads:
        torch/ONNX Runtime threads; default from preferences (1 keeps a core for the GUI).
    cache_mib:
        Size of the embedding LRU.
    prefer_onnx:
        Run the decoder in ONNX Runtime when available.
    decoder_cache_dir:
        Where the exported decoder graph is kept (default: the app's cache folder).
    """

    def __init__(self, checkpoint: str | Path, *, config: str | None = None, image_size: int | None = None,
                 device: str | None = "auto", threads: int | None = None, cache_mib: float = DEFAULT_CACHE_MIB,
                 prefer_onnx: bool = True, name: str | None = None, decoder_cache_dir: Path | None = None) -> None:
        self.checkpoint_arg = checkpoint
        self.config_arg = config
        self.image_size_arg = image_size
        self.device_pref = device
        self.threads = threads
        self.prefer_onnx = prefer_onnx
        self.decoder_cache_dir = decoder_cache_dir
        self.cache = EmbeddingCache(cache_mib)
        self.name = name or str(checkpoint)
        self.description = SIZES.get(str(checkpoint), f"SAM 2 from {checkpoint}")
        self._lock = threading.RLock()
        self._inflight: dict[Hashable, threading.Event] = {}
        self._inflight_lock = threading.Lock()
        self._predictor: Any = None
        self._decoder: Any = None
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------------------- loading
    @property
    def loaded(self) -> bool:
        return self._predictor is not None

    @property
    def decoder_backend(self) -> str:
        self.load()
        return self._decoder.backend

    @property
    def image_size(self) -> int:
        self.load()
        return int(self._predictor.model.image_size)

    def check(self) -> str | None:
        """A quick (file system only) check: None when the checkpoint is found, else why not."""
        from app.models.manager import ModelError

        try:
            config_for(resolve_checkpoint(self.checkpoint_arg), self.config_arg)
        except (ModelError, Sam2Error) as exc:
            return str(exc)
        return None

    def load(self) -> None:
        """Build the model and the decoder (slow; call from a worker). Idempotent."""
        if self._predictor is not None:  # fast path: no lock, so clicks never wait for an embedding
            return
        with self._lock:
            if self._predictor is not None:
                return
            from app.models.device import configure_threads, select_device

            start = time.perf_counter()
            path = resolve_checkpoint(self.checkpoint_arg)
            config = config_for(path, self.config_arg)
            device = select_device(self.device_pref)
            threads = configure_threads(self.threads)
            model = self._build(config, path, device)
            self._predictor = self._make_predictor(model)
            stat = path.stat()
            identity = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{config}|{model.image_size}"
            self._decoder = make_decoder(model, identity, prefer_onnx=self.prefer_onnx, threads=threads,
                                         cache_dir=self.decoder_cache_dir)
            self.timings["load_s"] = time.perf_counter() - start

    def _build(self, config: str, path: Path, device: str) -> Any:
        from sam2.build_sam import build_sam2

        from app.models.manager import ModelError, ModelManager

        try:
            ModelManager().ensure_safe(path)
        except ModelError as exc:
            raise Sam2Error(str(exc)) from exc
        try:
            return build_sam2(config, ckpt_path=str(path), device=device,
                              hydra_overrides_extra=_overrides(self.image_size_arg))
        except (RuntimeError, KeyError, OSError, ValueError) as exc:  # bad file / wrong config
            raise Sam2Error(f"{path}: cannot load a SAM 2 model with {config}: {exc}") from exc

    @staticmethod
    def _make_predictor(model: Any) -> Any:
        from sam2.sam2_image_predictor import SAM2ImagePredictor

        predictor = SAM2ImagePredictor(model)
        size = int(model.image_size)
        # the predictor hard-codes the 1024-px feature sizes (env-notes §3)
        predictor._bb_feat_sizes = [(size // 4,) * 2, (size // 8,) * 2, (size // 16,) * 2]
        return predictor

    # ------------------------------------------------------------------------------ embedding
    def is_prepared(self, key: Hashable) -> bool:
        return key in self.cache

    def prepare(self, key: Hashable, image: np.ndarray) -> Embedding:
        """The embedding of ``image`` (computed with SAM2ImagePredictor.set_image unless cached).

        Thread-safe; when another thread is already embedding ``key`` (a prefetch), this waits for
        that result instead of computing it a second time."""
        while True:
            cached = self.cache.get(key)
            if cached is not None:
                return cached
            with self._inflight_lock:
                event = self._inflight.get(key)
                mine = event is None
                if mine:
                    event = self._inflight[key] = threading.Event()
            if not mine:
                event.wait()
                continue
            try:
                return self._embed(key, image)
            finally:
                with self._inflight_lock:
                    self._inflight.pop(key, None)
                event.set()

    def _embed(self, key: Hashable, image: np.ndarray) -> Embedding:
        self.load()
        import torch

        image = _check_image(image)
        with self._lock, torch.inference_mode():
            start = time.perf_counter()
            self._predictor.set_image(image)
            feats = self._predictor._features
            emb = Embedding(arrays=self._decoder.precompute(feats["image_embed"], feats["high_res_feats"]),
                            orig_hw=(int(image.shape[0]), int(image.shape[1])))
            self._predictor.reset_predictor()
            self.timings["embed_s"] = time.perf_counter() - start
        self.cache.put(key, emb)
        return emb

    # -------------------------------------------------------------------------------- predict
    def requirement(self, prompts: Prompts) -> str | None:
        if not prompts.positive and prompts.box is None:
            return "add a positive point (left click) or drag a box"
        return None

    def predict(self, key: Hashable, image: np.ndarray | None, prompts: Prompts) -> MaskResult:
        """The mask for ``prompts`` on the image ``key`` (``image`` is needed only when not cached)."""
        missing = self.requirement(prompts)
        if missing:
            raise Sam2Error(missing)
        emb = self.cache.get(key)
        if emb is None:
            if image is None:
                raise Sam2Error(f"no embedding for {key!r} and no image given")
            emb = self.prepare(key, image)
        self.load()
        t0 = time.perf_counter()
        coords, labels = prompt_arrays(prompts.positive, prompts.negative, prompts.box, emb.orig_hw,
                                       self.image_size)
        logits, score = self._decoder(emb, coords, labels)
        t1 = time.perf_counter()
        crop, left, top = upscale_logits(logits, emb.orig_hw)
        t2 = time.perf_counter()
        h, w = emb.orig_hw
        return MaskResult(mask=crop, left=left, top=top, width=w, height=h, score=score,
                          timings={"decode_s": t1 - t0, "upscale_s": t2 - t1})


def _check_image(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.dtype != np.uint8:
        raise Sam2Error(f"expected an RGB uint8 image (H, W, 3), got {arr.dtype} {arr.shape}")
    arr = np.ascontiguousarray(arr[:, :, :3])
    return arr if arr.flags.writeable else arr.copy()  # frame caches hand out read-only arrays; torch warns
