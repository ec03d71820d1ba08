"""A tracking function that loads SAM 2 by Hugging Face model id, the way CVAT's AI-agent SAM 2
tracker (ai-models/tracker/sam2/func.py) does: ``-p model_id=str:facebook/sam2.1-hiera-tiny``.

Only loading matters for the tests (offline, from Fieldmark's Hugging Face cache); tracking propagates
the shape unchanged.
"""

import cvat_sdk.auto_annotation as cvataa
from sam2.sam2_video_predictor import SAM2VideoPredictor


class _Sam2Tracker:
    def __init__(self, model_id: str, device: str) -> None:
        self.predictor = SAM2VideoPredictor.from_pretrained(model_id, device=device)
        self.spec = cvataa.TrackingFunctionSpec(supported_shape_types=["mask", "polygon"])

    def preprocess_image(self, context, image):
        return image.size

    def init_tracking_state(self, context, pp_image, shape):
        return shape

    def track(self, context, pp_image, state):
        return cvataa.TrackableShape(type=state.type, points=state.points)


def create(model_id: str, device: str = "cpu"):
    return _Sam2Tracker(model_id, device)
