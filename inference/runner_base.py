"""What every runner shares: its error, the decoded image, and the base class
with the decoding the card's input spec asks for.

Free of Django, so a model served by DEEPaaS outside the portal
(inference/deepaas_module/) decodes images exactly as the portal's runners do.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import torch
from PIL import Image as PILImage

if TYPE_CHECKING:
    from inference.models import ModelVersion


class RunnerError(Exception):
    """The model could not be run; `transient` says whether a retry may help."""

    transient = False


@dataclass
class Decoded:
    """An image ready for the model: (3, H, W) uint8, and its original size."""

    pixels: torch.Tensor
    width: int
    height: int
    raw: bytes | None = None  # kept for remote runners, which send the file itself
    media_type: str | None = None  # the file's real type, for remote runners


# What `predict` gives for one image: a classifier's or detector's findings (dicts
# of label, confidence, scores or box), or an embedder's vector.
Output: TypeAlias = list[dict] | torch.Tensor


def decode_pixels(
    data: bytes, size: tuple[int, int], *, channels: str = "RGB", pad: bool = True
) -> Decoded:
    """Decode to `channels`; pad to square with the border colour (FlowCam crops
    are thin and long), then resize to `size` (height, width)."""
    with PILImage.open(io.BytesIO(data)) as source:
        source.load()
        width, height = source.size
        image = source.convert(channels)
    if pad and width != height:
        side = max(width, height)
        corner = image.getpixel((0, 0))
        canvas = PILImage.new(image.mode, (side, side), corner)
        canvas.paste(image, ((side - width) // 2, (side - height) // 2))
        image = canvas
    image = image.resize((size[1], size[0]), PILImage.Resampling.BILINEAR)
    bands = len(image.getbands())
    pixels = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    pixels = pixels.view(size[0], size[1], bands).permute(2, 0, 1)
    return Decoded(pixels, width, height)


class Runner:
    batch_size = 32

    def __init__(self, version: ModelVersion):
        self.version = version
        self.labels = list(version.labels)
        spec = version.input_spec or {}
        size = spec.get("size", [224, 224])
        self.size = (int(size[0]), int(size[1])) if isinstance(size, list) else (size, size)
        self.channels = spec.get("channels", "RGB")
        self.pad = spec.get("resize", "pad") == "pad"

    def decode(self, data: bytes) -> Decoded:
        return decode_pixels(data, self.size, channels=self.channels, pad=self.pad)

    def predict(self, images: list[Decoded]) -> Sequence[Output]:
        raise NotImplementedError
