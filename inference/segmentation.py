"""A segmenter's masks as polygons: what becomes a predicted annotation with
polygon geometry (curation/geometry.py: [[x, y], ...], simple, inside the image).

A segmenter gives, per image, one map of scores in 0..1 per label (K, H, W) at
the model's input size. Pixels at or above the card's `mask_threshold` (input
spec, default 0.5) belong to that label; each connected region becomes one
polygon: its outer outline along the pixels' edges (OpenCV finds the regions,
shapely joins their pixels), simplified by a fraction of a pixel, then carried
back from the model's input to the original image (undoing the resize and the
padding to square) and clipped to it. Its confidence is the mean score inside the
region. Torch-free.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

# Outlines are simplified by this much (model-input pixels): a diagonal's pixel
# staircase (corners 0.71 off the line) goes, a step of a whole pixel stays.
TOLERANCE = 0.75
MAX_REGIONS = 100  # per image, the most confident kept


@dataclass
class Frame:
    """How the model's input maps onto the original image: scale, then shift."""

    scale_x: float
    scale_y: float
    offset_x: float
    offset_y: float
    width: int
    height: int

    @classmethod
    def of(cls, width: int, height: int, size: tuple[int, int], pad: bool) -> Frame:
        """`size` is the model's (height, width); `pad`: the image was padded to a
        centred square before resizing (runner_base.decode_pixels)."""
        side = max(width, height) if pad else None
        return cls(
            scale_x=(side or width) / size[1],
            scale_y=(side or height) / size[0],
            offset_x=(side - width) / 2 if side else 0.0,
            offset_y=(side - height) / 2 if side else 0.0,
            width=width,
            height=height,
        )

    def place(self, outline: BaseGeometry) -> BaseGeometry:
        scaled = affinity.scale(outline, self.scale_x, self.scale_y, origin=(0, 0))
        moved = affinity.translate(scaled, -self.offset_x, -self.offset_y)
        return moved.intersection(box(0, 0, self.width, self.height))


def outlines(mask: np.ndarray) -> list[tuple[np.ndarray, Polygon]]:
    """Each connected region of a boolean mask (4-connected, so a region's pixels
    form one area) and its outer outline along the pixels' edges (pixel (x, y)
    covers x..x+1, y..y+1): the union of its rows' runs of pixels."""
    count, numbers = cv2.connectedComponents(mask.astype(np.uint8), connectivity=4)
    found = []
    for number in range(1, count):
        region = numbers == number
        padded = np.pad(region, ((0, 0), (1, 1))).astype(np.int8)
        edges = np.diff(padded, axis=1)
        rows, starts = np.nonzero(edges == 1)
        _, ends = np.nonzero(edges == -1)  # row-major order: pairs with the starts
        runs = shapely.box(starts, rows, ends, rows + 1)
        found.append((region, Polygon(largest(shapely.union_all(runs)).exterior)))
    return found


def largest(geometry: BaseGeometry) -> Polygon:
    parts = getattr(geometry, "geoms", [geometry])
    polygons = [part for part in parts if isinstance(part, Polygon) and not part.is_empty]
    return max(polygons, key=lambda part: part.area) if polygons else Polygon()


def regions(
    scores: np.ndarray,
    labels: list[str],
    frame: Frame,
    *,
    threshold: float = 0.5,
    min_area: float = 16.0,
) -> list[dict]:
    """One image's finds: label, confidence (mean score), polygon and the box around
    it, in original-image pixels; regions smaller than `min_area` (image pixels)
    are dropped. Most confident first."""
    if scores.ndim != 3 or scores.shape[0] != len(labels):
        raise ValueError(f"scores of shape {list(scores.shape)} for {len(labels)} labels")
    finds: list[dict] = []
    for index, label in enumerate(labels):
        for region, outline in outlines(scores[index] >= threshold):
            # Normalised first: the ring then starts at a corner, which simplifying keeps.
            simple = shapely.normalize(outline).simplify(TOLERANCE, preserve_topology=True)
            placed = largest(frame.place(simple))
            if placed.is_empty or placed.area < min_area:
                continue
            points = [[round(x, 2), round(y, 2)] for x, y in placed.exterior.coords[:-1]]
            if len(points) < 3 or not Polygon(points).is_valid:
                continue
            x0, y0, x1, y1 = placed.bounds
            finds.append(
                {
                    "label": label,
                    "confidence": float(scores[index][region].mean()),
                    "polygon": points,
                    "box": [round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)],
                }
            )
    finds.sort(key=lambda find: find["confidence"], reverse=True)
    return finds[:MAX_REGIONS]


def finds_of_batch(scores: np.ndarray, images: list, runner) -> list[list[dict]]:
    """Every image's finds from a segmenter's (N, K, H, W) scores, by the runner's
    labels, input size, padding and the card's `mask_threshold` and `min_area`; the
    TorchScript and ONNX segmenters both answer through this."""
    expected = (len(images), len(runner.labels), *runner.size)
    if scores.shape != expected:
        raise ValueError(
            f"the segmenter gave scores of shape {list(scores.shape)}, not {list(expected)}"
        )
    spec = runner.version.input_spec or {}
    return [
        regions(
            scores[i],
            runner.labels,
            Frame.of(image.width, image.height, runner.size, runner.pad),
            threshold=float(spec.get("mask_threshold", 0.5)),
            min_area=float(spec.get("min_area", 16)),
        )
        for i, image in enumerate(images)
    ]
