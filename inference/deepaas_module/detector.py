"""A tiny detector served by DEEPaaS: the particle in a crop is what differs
from the crop's border colour (FlowCam crops sit on a flat background), its box
the bounding box of those pixels, its label and confidence the classifier's for
the boxed pixels. Answers as Ultralytics' `Results.tojson()` does (what the
AI4OS YOLO module answers): `name`, `confidence`, `box` {x1, y1, x2, y2} in the
image's pixels."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image as PILImage
from PIL import ImageChops

from inference.deepaas_module import classifier, upload

# How far (0..255, per channel) a pixel must differ from the border colour to be
# part of the particle; below it is sensor noise and JPEG ringing.
THRESHOLD = 40


def particle_box(image: PILImage.Image) -> tuple[int, int, int, int] | None:
    rgb = image.convert("RGB")
    background = PILImage.new("RGB", rgb.size, rgb.getpixel((0, 0)))
    difference = ImageChops.difference(rgb, background).convert("L")
    return difference.point(lambda value: 255 if value > THRESHOLD else 0).getbbox()


def get_metadata() -> dict:
    return {
        "name": "aquacat-particles",
        "description": "Boxes the particle of a FlowCam crop and names its class (demo).",
        "license": "Apache-2.0",
        "version": "1.0.0",
        "labels": classifier.labels(),
        "task": "detection",
    }


def get_predict_args() -> dict:
    return upload.predict_args()


def warm() -> None:
    classifier.warm()


def predict(**kwargs: Any) -> list[dict]:
    data = upload.read(kwargs["data"])
    with PILImage.open(io.BytesIO(data)) as image:
        box = particle_box(image)
        if box is None:
            return []
        crop = io.BytesIO()
        image.convert("RGB").crop(box).save(crop, format="PNG")
    label, confidence = classifier.probabilities(crop.getvalue())[0]
    x1, y1, x2, y2 = box
    labels = classifier.labels()
    return [
        {
            "name": label,
            "class": labels.index(label),
            "confidence": round(confidence, 6),
            "box": {"x1": x1, "y1": y1, "x2": x2, "y2": y2},
        }
    ]
