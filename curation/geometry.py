"""Annotation geometry: what each shape's coordinates are, and whether they fit
the image. Pixels after EXIF orientation, origin top left, x right, y down.

    whole        []                          the whole image
    point        [x, y]
    circle       [x, y, r]                   centre and radius
    box          [x0, y0, x1, y1]            x0 < x1, y0 < y1
    rotated_box  [cx, cy, w, h, angle]       centre, size, degrees clockwise
    polygon      [[x, y], ...]               3 points or more, not crossing itself
    line         [[x, y], ...]               2 points or more

`check()` answers every problem of a geometry as one message per problem, so an
API or import can name them all at once; `bounds()` gives a box around any shape
(crops in the review grid, COCO's bbox).
"""

from __future__ import annotations

import math
from numbers import Real

from shapely.geometry import Polygon
from shapely.validation import explain_validity

from curation.models import Shape

FLAT_LENGTH = {Shape.WHOLE: 0, Shape.POINT: 2, Shape.CIRCLE: 3, Shape.BOX: 4, Shape.ROTATED_BOX: 5}
MIN_POINTS = {Shape.POLYGON: 3, Shape.LINE: 2}
MAX_POINTS = 10_000


def _number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _shape(name) -> Shape | None:
    try:
        return Shape(name)
    except ValueError:
        return None


def check(shape_name, coordinates, width: int, height: int) -> list[str]:
    """What is wrong with this geometry on an image of `width` x `height` pixels."""
    shape = _shape(shape_name)
    if shape is None:
        known = ", ".join(choice.value for choice in Shape)
        return [f"unknown shape {shape_name!r} (one of: {known})"]
    if shape in FLAT_LENGTH:
        return _check_flat(shape, coordinates, width, height)
    return _check_points(shape, coordinates, width, height)


def _check_flat(shape: Shape, coordinates, width: int, height: int) -> list[str]:
    length = FLAT_LENGTH[shape]
    if not isinstance(coordinates, list | tuple) or len(coordinates) != length:
        return [f"a {shape.label.lower()} has {length} numbers as coordinates"]
    if not all(_number(value) for value in coordinates):
        return ["coordinates must be finite numbers"]
    problems = []
    if shape == Shape.BOX:
        x0, y0, x1, y1 = coordinates
        if x0 >= x1 or y0 >= y1:
            problems.append("a box needs x0 < x1 and y0 < y1")
    if shape == Shape.CIRCLE and coordinates[2] <= 0:
        problems.append("a circle needs a radius above 0")
    if shape == Shape.ROTATED_BOX and (coordinates[2] <= 0 or coordinates[3] <= 0):
        problems.append("a rotated box needs a width and height above 0")
    if problems or shape == Shape.WHOLE:
        return problems
    return _inside(_corner_points(shape, coordinates), width, height)


def _check_points(shape: Shape, coordinates, width: int, height: int) -> list[str]:
    least = MIN_POINTS[shape]
    if not isinstance(coordinates, list | tuple) or not all(
        isinstance(point, list | tuple) and len(point) == 2 for point in coordinates
    ):
        return [f"a {shape.label.lower()} is a list of [x, y] points"]
    if not least <= len(coordinates) <= MAX_POINTS:
        return [f"a {shape.label.lower()} has {least} to {MAX_POINTS} points"]
    if not all(_number(x) and _number(y) for x, y in coordinates):
        return ["coordinates must be finite numbers"]
    problems = _inside([tuple(point) for point in coordinates], width, height)
    if shape == Shape.POLYGON:
        polygon = Polygon(coordinates)
        if not polygon.is_valid:
            problems.append(f"the polygon is not simple: {explain_validity(polygon)}")
        elif polygon.area == 0:
            problems.append("the polygon has no area")
    return problems


def _inside(points: list[tuple[float, float]], width: int, height: int) -> list[str]:
    outside = [(x, y) for x, y in points if not (0 <= x <= width and 0 <= y <= height)]
    if not outside:
        return []
    x, y = outside[0]
    return [
        f"{len(outside)} point(s) outside the image ({width} x {height} pixels), "
        f"first at ({x:g}, {y:g})"
    ]


def _corner_points(shape: Shape, coordinates) -> list[tuple[float, float]]:
    """The points that must lie in the image: a circle's centre (it may reach past
    the edge, as an organism cut by the frame does), a box's or rotated box's corners."""
    if shape in (Shape.POINT, Shape.CIRCLE):
        return [(coordinates[0], coordinates[1])]
    if shape == Shape.BOX:
        x0, y0, x1, y1 = coordinates
        return [(x0, y0), (x1, y1)]
    cx, cy, w, h, angle = coordinates
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return [
        (cx + dx * cos - dy * sin, cy + dx * sin + dy * cos)
        for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2))
    ]


def bounds(shape_name, coordinates, width: int, height: int) -> tuple[float, float, float, float]:
    """A box [x0, y0, x1, y1] around the geometry, within the image."""
    shape = Shape(shape_name)
    if shape == Shape.WHOLE:
        return (0.0, 0.0, float(width), float(height))
    if shape == Shape.CIRCLE:
        x, y, r = coordinates
        points = [(x - r, y - r), (x + r, y + r)]
    elif shape in FLAT_LENGTH:
        points = _corner_points(shape, coordinates)
    else:
        points = [tuple(point) for point in coordinates]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (
        max(0.0, float(min(xs))),
        max(0.0, float(min(ys))),
        min(float(width), float(max(xs))),
        min(float(height), float(max(ys))),
    )


def polygon_points(shape_name, coordinates) -> list[tuple[float, float]] | None:
    """The outline of an area shape as points (COCO segmentation), None for others."""
    shape = Shape(shape_name)
    if shape == Shape.POLYGON:
        return [(float(x), float(y)) for x, y in coordinates]
    if shape == Shape.BOX:
        x0, y0, x1, y1 = coordinates
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    if shape == Shape.ROTATED_BOX:
        return _corner_points(shape, coordinates)
    return None
