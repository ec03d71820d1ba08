"""SAM 3 on the chosen device (CUDA when present, else CPU; ``FIELDMARK_BENCH_DEVICE`` overrides): the real architecture (the library's default ``Sam3Config``, 1008 px input), random
weights (speed and memory do not depend on weight values), loaded through Fieldmark's real path.

A child process builds the random model and writes it as a SAM 3 checkpoint (so its memory is not
counted); this process imports it (SHA-256, licence record), loads it with
:func:`app.models.sam3.checkpoint.load_model` and times: loading, the image encoder (one call per
image; SAM 3 resizes every image to 1008x1008, so that is also the smallest input), one text prompt
pass on cached image features and text (per label and frame in automatic annotation), one text +
two exemplar boxes pass, and the text encoder alone (once per label and run: cached). Wall time and
process CPU time (``*_cpu_ms``, summed over torch's threads) are both given: on a shared machine the
wall time stretches with the load. Peak memory is the process's peak resident set. ``FIELDMARK_SAM3_BENCH_SIDE``
(a multiple of 28) switches to a reduced model for a quick look. Medians of a few runs; the load
average is printed before and after because the 2-core machine is shared.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ENCODES = 2
PROMPTS = 3
_BUILD = """
import sys, torch
from transformers import Sam3Config, Sam3Model
from app.models.sam3.checkpoint import save_checkpoint
side = int(sys.argv[2])
torch.manual_seed(0)
if side:
    from tests.support.sam3_tiny import tiny_config
    config = tiny_config(side=side)
else:
    config = Sam3Config()
model = Sam3Model(config).eval()
print(sum(p.numel() for p in model.parameters()))
save_checkpoint(model, sys.argv[1])
"""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median_ms(values: list[float]) -> float:
    return round(float(np.median(values)) * 1000, 1)


def main() -> dict:
    import torch

    from app.models.device import select_device
    from app.models.manager import ModelManager
    from app.models.sam3.checkpoint import import_checkpoint, load_model
    from app.models.sam3.engine import Exemplar, Sam3Engine

    side = int(os.environ.get("FIELDMARK_SAM3_BENCH_SIDE", "0"))
    device = select_device(os.environ.get("FIELDMARK_BENCH_DEVICE") or None)
    threads = torch.get_num_threads()
    figures: dict = {"load_average_before": [round(v, 2) for v in os.getloadavg()], "torch_threads": threads,
                     "device": device}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "model.safetensors"
        start = time.perf_counter()
        built = subprocess.run([sys.executable, "-c", _BUILD, str(source), str(side)], check=True,
                               capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
        figures["parameters"] = int(built.stdout.split()[-1])
        figures["build_and_save_s"] = round(time.perf_counter() - start, 1)
        figures["checkpoint_mb"] = round(source.stat().st_size / 2**20)
        manager = ModelManager(Path(tmp) / "models")
        start = time.perf_counter()
        target = import_checkpoint(source, accept_licence=True, manager=manager)
        source.unlink()
        figures["import_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        engine = Sam3Engine(load_model(target, manager), device=device)
        figures["load_s"] = round(time.perf_counter() - start, 1)
        figures["peak_rss_after_load_mb"] = round(_peak_mb())
        rgb = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
        timed: dict[str, list[tuple[float, float]]] = {"encoder": [], "text": [], "prompt": [], "boxes": []}

        def clock(name: str, call: object) -> object:
            start, cpu = time.perf_counter(), time.process_time()
            value = call()  # type: ignore[operator]
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            timed[name].append((time.perf_counter() - start, time.process_time() - cpu))
            return value

        if device.startswith("cuda"):  # the first CUDA call pays for kernel selection: not timed
            engine.encode_image(*engine.pixels(rgb))
        for _ in range(ENCODES):
            features = clock("encoder", lambda: engine.encode_image(*engine.pixels(rgb)))
        boxes = [Exemplar((100, 100, 200, 220)), Exemplar((400, 50, 500, 120), positive=False)]
        for i in range(PROMPTS):
            clock("text", lambda i=i: engine.text_embeds(f"object {i}"))  # once per label and run (cached)
            clock("prompt", lambda i=i: engine.segment(features, f"object {i}", threshold=0.5))
            clock("boxes", lambda i=i: engine.segment(features, f"object {i}", boxes, threshold=0.5))
    names = {"encoder": "image_encoder", "text": "text_encoder", "prompt": "text_prompt_pass",
             "boxes": "text_plus_2_boxes_pass"}
    for key, name in names.items():
        figures[f"{name}_ms"] = _median_ms([wall for wall, _ in timed[key]])
        figures[f"{name}_cpu_ms"] = _median_ms([cpu for _, cpu in timed[key]])
    figures.update({
        "input_px": engine.processor.size["height"], "runs": {"encoder": ENCODES, "prompt": PROMPTS},
        "peak_rss_mb": round(_peak_mb()),
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    })
    for key, value in figures.items():
        print(f"{key:<26} {value}")
    return figures


if __name__ == "__main__":
    main()
