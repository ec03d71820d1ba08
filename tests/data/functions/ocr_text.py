"""An OCR-like function: a rectangle label whose text attribute carries the "recognised" string.

``create(prefix: str = "AB", digits: int = 3)`` shows the factory protocol (``-p prefix=str:XY``).
"""

import cvat_sdk.auto_annotation as cvataa
from cvat_sdk.attributes import attribute_vals_from_dict


class _Ocr:
    def __init__(self, prefix: str, digits: int) -> None:
        self.prefix = prefix
        self.digits = digits
        self.spec = cvataa.DetectionFunctionSpec(labels=[
            cvataa.label_spec("plate", 0, type="rectangle", attributes=[cvataa.text_attribute_spec("text", 0)]),
        ])

    def detect(self, context, image):
        width, height = image.size
        text = f"{self.prefix}{len(context.frame_name):0{self.digits}d}"
        return [cvataa.rectangle(0, [1, 1, width - 2, height - 2], attributes=attribute_vals_from_dict({0: text}))]


def create(prefix: str = "AB", digits: int = 3):
    return _Ocr(prefix, digits)
