"""The JPEG crop of an annotation that the review grid shows: the region around
its geometry (`geometry.bounds`) with a margin, upright as the thumbnails are
(catalogue.ingest.imaging.displayable), at most CROP_SIZE pixels a side.

Coordinates are in the upright image's pixels; a JPEG is decoded at a reduced
scale (`draft`) when the region is much larger than the crop, so a crop of a
large image costs a fraction of decoding it whole.
"""

from __future__ import annotations

import io
import math

from django.core.files.storage import default_storage
from PIL import Image as Pillow

from catalogue.ingest.imaging import THUMBNAIL_QUALITY, displayable
from catalogue.models import Image
from curation import geometry

CROP_SIZE = 256
MARGIN = 0.15  # of the region's larger side, on every side
MIN_SIDE = 32  # pixels: a point or a thin line still shows its surroundings


def region(shape: str, coordinates, width: int, height: int) -> tuple[int, int, int, int]:
    """The box to cut from an upright image of `width` x `height`: the geometry's
    bounds grown by the margin (and to MIN_SIDE), within the image."""
    x0, y0, x1, y1 = geometry.bounds(shape, coordinates, width, height)
    side = max(x1 - x0, y1 - y0)
    grow = max(side * MARGIN, (MIN_SIDE - side) / 2, 0)
    left, top = max(0, math.floor(x0 - grow)), max(0, math.floor(y0 - grow))
    right, bottom = min(width, math.ceil(x1 + grow)), min(height, math.ceil(y1 + grow))
    # A geometry on the very edge of the image still gets a crop of at least a pixel.
    return left, top, max(right, left + 1), max(bottom, top + 1)


def crop_jpeg(image: Image, shape: str, coordinates) -> bytes:
    """The crop of `image` around a geometry, as JPEG bytes."""
    with default_storage.open(image.storage_key, "rb") as stream, Pillow.open(stream) as picture:
        full_width = picture.width
        # The stored size decides how far to reduce (the upright size has the same sides).
        wanted = region(shape, coordinates, image.width, image.height)
        side = max(wanted[2] - wanted[0], wanted[3] - wanted[1])
        if picture.format == "JPEG" and side > 2 * CROP_SIZE:
            scale = CROP_SIZE / side
            mode = "RGB" if picture.mode not in ("L", "CMYK") else picture.mode
            reduced = (math.ceil(picture.width * scale), math.ceil(picture.height * scale))
            picture.draft(mode, reduced)
        # The decoded scale (draft reduces by 1/2 ... 1/8), before turning upright.
        factor = picture.width / full_width
        upright = displayable(picture)
        width, height = round(upright.width / factor), round(upright.height / factor)
        left, top, right, bottom = region(shape, coordinates, width, height)
        box = (
            math.floor(left * factor),
            math.floor(top * factor),
            max(math.ceil(right * factor), math.floor(left * factor) + 1),
            max(math.ceil(bottom * factor), math.floor(top * factor) + 1),
        )
        piece = upright.crop(box)
        piece.thumbnail((CROP_SIZE, CROP_SIZE), Pillow.Resampling.BILINEAR)
        buffer = io.BytesIO()
        piece.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY)
        return buffer.getvalue()
