"""A detection function that fetches its weights by Hugging Face id with ``hf_hub_download``."""

import cvat_sdk.auto_annotation as cvataa
from huggingface_hub import hf_hub_download


class _Hub:
    def __init__(self, path: str) -> None:
        self.path = path
        self.spec = cvataa.DetectionFunctionSpec(labels=[cvataa.label_spec("car", 0, type="rectangle")])

    def detect(self, context, image):
        return []


def create(model_id: str, filename: str):
    return _Hub(hf_hub_download(repo_id=model_id, filename=filename))
