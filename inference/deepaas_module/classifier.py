"""The shipped FlowCam phytoplankton classifier (inference/weights), served by
DEEPaaS: a linear head on EfficientNet-Lite0 features, decoded as the portal's
runner decodes (inference/runner_base.py), so both give the same answer."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import torch

from inference.backbone import load_backbone
from inference.deepaas_module import upload
from inference.embedder import MEAN, SIZE, STD
from inference.runner_base import decode_pixels

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "inference" / "weights" / "flowcam-phytoplankton-1.0.0.pt"
CLASSES = ROOT / "catalogue" / "demo" / "phytoplankton-flowcam" / "splits" / "classes.txt"
TOP = 3


def labels() -> list[str]:
    return CLASSES.read_text().split()


@cache
def model() -> torch.nn.Module:
    state = torch.load(WEIGHTS, map_location="cpu", weights_only=True)
    head = torch.nn.Linear(state["weight"].shape[1], state["weight"].shape[0])
    head.load_state_dict(state)
    return torch.nn.Sequential(load_backbone(), head).eval()


def probabilities(data: bytes) -> list[tuple[str, float]]:
    """Every class with its probability, best first."""
    pixels = decode_pixels(data, (SIZE, SIZE), channels="RGB").pixels
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    batch = (pixels.unsqueeze(0).float() / 255.0 - mean) / std
    with torch.inference_mode():
        row = torch.softmax(model()(batch), dim=1)[0].tolist()
    return sorted(zip(labels(), row, strict=True), key=lambda pair: -pair[1])


def get_metadata() -> dict:
    return {
        "name": "aquacat-flowcam",
        "description": "Six phytoplankton classes of FlowCam crops (demo).",
        "license": "Apache-2.0",
        "version": "1.0.0",
        "weights_sha256": hashlib.sha256(WEIGHTS.read_bytes()).hexdigest(),
        "labels": labels(),
        "task": "classification",
    }


def get_predict_args() -> dict:
    return upload.predict_args()


def warm() -> None:
    model()


def predict(**kwargs: Any) -> list[dict]:
    """The top classes as `{"label", "probability"}`, best first."""
    ranked = probabilities(upload.read(kwargs["data"]))
    return [{"label": label, "probability": round(p, 6)} for label, p in ranked[:TOP]]
