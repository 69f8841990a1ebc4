"""The shipped particle segmenter (inference/weights: the small U-Net
`manage.py train_segmenter` trains) served by DEEPaaS, its regions traced as the
portal's segmentation runners trace them (inference/segmentation.py).

It answers as the AI4OS YOLOv8 module (ai4os-hub/ai4os-yolov8-torch,
api/responses.py) answers for its `seg` task: per file sent, the JSON text
Ultralytics' `Results.tojson()` writes, a list of `{name, class, confidence, box
{x1, y1, x2, y2}, segments {x: [...], y: [...]}}` with the outline's points in
the image's pixels."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import torch

from inference import segmentation
from inference.deepaas_module import upload
from inference.runner_base import decode_pixels

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "inference" / "weights" / "flowcam-particle-segmenter-1.0.0.pt"
LABELS = ["plankton"]
# The shipped segmenter's card (inference/segmentation_training.py's INPUT_SPEC,
# which imports Django settings; a test keeps the two equal).
SIZE = (256, 256)  # height, width
MEAN = [0.5, 0.5, 0.5]
STD = [0.25, 0.25, 0.25]
MASK_THRESHOLD = 0.5
MIN_AREA = 24
INPUT_SPEC = {
    "size": list(SIZE),
    "mean": MEAN,
    "std": STD,
    "channels": "RGB",
    "resize": "pad",
    "mask_threshold": MASK_THRESHOLD,
    "min_area": MIN_AREA,
}


@cache
def model() -> torch.jit.ScriptModule:
    return torch.jit.load(str(WEIGHTS), map_location="cpu").eval()


def regions(data: bytes) -> list[dict]:
    """The image's regions (label, confidence, polygon, box), most confident first."""
    decoded = decode_pixels(data, SIZE, channels="RGB")
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    batch = (decoded.pixels.unsqueeze(0).float() / 255.0 - mean) / std
    with torch.inference_mode():
        scores = model()(batch)[0].float().numpy()
    return segmentation.regions(
        scores,
        LABELS,
        segmentation.Frame.of(decoded.width, decoded.height, SIZE, pad=True),
        threshold=MASK_THRESHOLD,
        min_area=MIN_AREA,
    )


def summary(finds: list[dict]) -> list[dict]:
    """Regions as Ultralytics' `Results.summary()` lists a segmentation's results."""
    return [
        {
            "name": find["label"],
            "class": LABELS.index(find["label"]),
            "confidence": round(find["confidence"], 5),
            "box": dict(zip(("x1", "y1", "x2", "y2"), find["box"], strict=True)),
            "segments": {
                "x": [x for x, _ in find["polygon"]],
                "y": [y for _, y in find["polygon"]],
            },
        }
        for find in finds
    ]


def get_metadata() -> dict:
    return {
        "name": "aquacat-segmenter",
        "description": "Outlines the plankton particles of a scene (demo).",
        "license": "Apache-2.0",
        "version": "1.0.0",
        "weights_sha256": hashlib.sha256(WEIGHTS.read_bytes()).hexdigest(),
        "labels": LABELS,
        "task": "segmentation",
    }


def get_predict_args() -> dict:
    return upload.predict_args()


def warm() -> None:
    model()


def predict(**kwargs: Any) -> list[str]:
    """One JSON text for the one file sent, as the YOLOv8 module's `tojson()`."""
    return [json.dumps(summary(regions(upload.read(kwargs["data"]))))]
