"""Spatial coverage in one place: GeoJSON and bounding boxes read, checked, compared
and written out.

Every module that touches coordinates (the model's validation, search documents
and both search backends, the pages' maps, the metadata formats) goes through
here, so a polygon or a box means the same thing everywhere.

Coordinates are WGS84 degrees, [lon, lat]. Longitude and latitude are treated
as plane coordinates (as a search engine's `geo_shape` intersection does for
small shapes). Everything is closed: touching, sharing an edge or a corner
counts as intersecting.

Shapes:
    bbox       [west, south, east, north]; west > east crosses the antimeridian
    ring       [[lon, lat], ...], closed (first point == last point), 4 points or more
    polygon    a list of rings: the outer boundary, then holes
    Shape      a point, a box or polygons, as read from a document or a query
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

Point = Sequence[float]
Ring = Sequence[Point]
Polygon = Sequence[Ring]
Bbox = Sequence[float]
Extent = tuple[float, float, float, float]


class GeometryError(ValueError):
    """Not a valid point, box or polygon; the message says why."""


# --- reading and checking -------------------------------------------------------------


def number(value: object, what: str) -> float:
    """A finite int or float (never a bool or a string) as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GeometryError(f"{what} must be a finite number, not {value!r}")
    return float(value)


def valid_latitude(lat: float) -> bool:
    return -90 <= lat <= 90


def valid_longitude(lon: float) -> bool:
    return -180 <= lon <= 180


def check_point(lon: float, lat: float) -> None:
    if not (valid_longitude(lon) and valid_latitude(lat)):
        raise GeometryError(f"point {lon},{lat} is out of range")


def parse_point(value: object) -> tuple[float, float]:
    """A [lon, lat] pair of numbers in range."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise GeometryError(f"a point must be [lon, lat], not {value!r}")
    lon, lat = number(value[0], "longitude"), number(value[1], "latitude")
    check_point(lon, lat)
    return lon, lat


def parse_bbox(value: object, *, crossing: bool = True) -> Extent:
    """[west, south, east, north] of numbers in range, south <= north; west > east
    (across the antimeridian) only when `crossing`."""
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise GeometryError(f"needs four numbers west,south,east,north, not {value!r}")
    west, south, east, north = (number(v, "a bbox side") for v in value)
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        raise GeometryError("needs -180<=west,east<=180 and -90<=south<=north<=90")
    if west > east and not crossing:
        raise GeometryError("needs west <= east")
    return west, south, east, north


def parse_ring(points: object) -> list[tuple[float, float]]:
    """A closed ring of at least 4 [lon, lat] points in range (extra coordinates,
    such as an altitude, are dropped)."""
    if not isinstance(points, list | tuple) or len(points) < 4:
        raise GeometryError("a polygon ring needs at least 4 points")
    ring = []
    for point in points:
        if not isinstance(point, list | tuple) or len(point) < 2:
            raise GeometryError(f"polygon point {point!r} is not [lon, lat]")
        ring.append(parse_point(point[:2]))
    if ring[0] != ring[-1]:
        raise GeometryError("a polygon ring must be closed")
    return ring


def polygon_parts(geojson: object, *, multi: bool = True) -> list[list[list[tuple[float, float]]]]:
    """The polygons (each: outer ring, then holes) of a GeoJSON Polygon or, when
    `multi`, MultiPolygon."""
    types = ("Polygon", "MultiPolygon") if multi else ("Polygon",)
    if not isinstance(geojson, dict) or geojson.get("type") not in types:
        raise GeometryError(f"must be a GeoJSON {' or '.join(types)}")
    coordinates = geojson.get("coordinates")
    parts = coordinates if geojson["type"] == "MultiPolygon" else [coordinates]
    if not isinstance(parts, list) or not parts:
        raise GeometryError("polygon has no coordinates")
    polygons = []
    for rings in parts:
        if not isinstance(rings, list) or not rings:
            raise GeometryError("polygon has no rings")
        polygons.append([parse_ring(ring) for ring in rings])
    return polygons


def is_polygon(value: object) -> bool:
    """Whether `value` is a GeoJSON Polygon of closed rings in WGS84 (what a set stores)."""
    try:
        polygon_parts(value, multi=False)
    except GeometryError:
        return False
    return True


def outer_ring(geojson: object) -> list[tuple[float, float]]:
    """The outer ring of a GeoJSON (Multi)Polygon's first polygon, or [] when there
    is none (or it is not a valid polygon)."""
    if not geojson:
        return []
    try:
        return polygon_parts(geojson)[0][0]
    except GeometryError:
        return []


def bbox_from_sides(west, south, east, north) -> list[float] | None:
    """[west, south, east, north], or None unless all four sides are known."""
    sides = [west, south, east, north]
    return None if None in sides else sides


def point_bbox(point: Point) -> list[float]:
    """The degenerate box of a point."""
    return [point[0], point[1], point[0], point[1]]


# --- measuring ------------------------------------------------------------------------


def ring_bounds(ring: Ring) -> Extent:
    lons = [point[0] for point in ring]
    lats = [point[1] for point in ring]
    return min(lons), min(lats), max(lons), max(lats)


def polygons_bounds(polygons: Sequence[Polygon]) -> Extent:
    """The box around the outer rings of these polygons."""
    points = [point for rings in polygons for point in rings[0]]
    return ring_bounds(points)


def split_antimeridian(bbox: Bbox) -> list[Extent]:
    """The box as one or, when it crosses the antimeridian (west > east), two boxes
    with west <= east."""
    west, south, east, north = bbox
    if west > east:
        return [(west, south, 180.0, north), (-180.0, south, east, north)]
    return [(west, south, east, north)]


def longitude_span(intervals: Iterable[tuple[float, float]]) -> tuple[float, float] | None:
    """The shortest (west, east) covering every (low, high) longitude interval: the
    circle less its widest uncovered gap, so west > east when the span crosses the
    antimeridian (a footprint split there gives parts ending at 180 and -180)."""
    merged: list[list[float]] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    if not merged:
        return None
    # The gap across the antimeridian first: on a tie the span does not cross it.
    gap, west, east = merged[0][0] + 360 - merged[-1][1], merged[0][0], merged[-1][1]
    for before, after in pairwise(merged):
        if after[0] - before[1] > gap:
            gap, west, east = after[0] - before[1], after[0], before[1]
    return west, east


def bbox_ring(bbox: Bbox) -> list[tuple[float, float]]:
    """The closed ring around a box (west <= east), counter-clockwise."""
    west, south, east, north = bbox
    return [(west, south), (east, south), (east, north), (west, north), (west, south)]


def signed_area(ring: Ring) -> float:
    """Twice the ring's area, positive when counter-clockwise."""
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in pairwise(ring))


def oriented(ring: Ring, *, counterclockwise: bool) -> list[tuple[float, float]]:
    """The ring turning the asked way (a flat ring is left as it is)."""
    points = [(point[0], point[1]) for point in ring]
    area = signed_area(points)
    if area != 0 and (area > 0) != counterclockwise:
        points.reverse()
    return points


# --- planar predicates ----------------------------------------------------------------


def orientation(a: Point, b: Point, c: Point) -> int:
    """1 when a, b, c turn counter-clockwise, -1 clockwise, 0 when collinear."""
    cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (cross > 0) - (cross < 0)


def on_segment(a: Point, p: Point, b: Point) -> bool:
    """Whether p, known to be collinear with a-b, lies on the closed segment a-b."""
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def segments_intersect(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Whether the closed segments p1-p2 and q1-q2 share a point (degenerate ones too)."""
    o1, o2 = orientation(p1, p2, q1), orientation(p1, p2, q2)
    o3, o4 = orientation(q1, q2, p1), orientation(q1, q2, p2)
    if o1 != o2 and o3 != o4 and 0 not in (o1, o2, o3, o4):
        return True
    return (
        (o1 == 0 and on_segment(p1, q1, p2))
        or (o2 == 0 and on_segment(p1, q2, p2))
        or (o3 == 0 and on_segment(q1, p1, q2))
        or (o4 == 0 and on_segment(q1, p2, q2))
    )


def edges(ring: Ring) -> Iterator[tuple[Point, Point]]:
    yield from pairwise(ring)


def point_on_ring(point: Point, ring: Ring) -> bool:
    return any(orientation(a, b, point) == 0 and on_segment(a, point, b) for a, b in edges(ring))


def point_in_ring(point: Point, ring: Ring) -> bool:
    """Whether the point is inside the closed ring or on its boundary."""
    if point_on_ring(point, ring):
        return True
    x, y = point[0], point[1]
    inside = False
    for a, b in edges(ring):
        if (a[1] > y) != (b[1] > y):
            # The x where edge a-b crosses the horizontal line through the point.
            crossing = a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if x < crossing:
                inside = not inside
    return inside


def point_in_polygon(point: Point, polygon: Polygon) -> bool:
    """Inside the outer ring (or on it) and not strictly inside a hole."""
    if not polygon or not point_in_ring(point, polygon[0]):
        return False
    for hole in polygon[1:]:
        if point_in_ring(point, hole) and not point_on_ring(point, hole):
            return False
    return True


def rectangles_intersect(a: Bbox, b: Bbox) -> bool:
    """Whether two boxes (west <= east) share a point."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def polygons_intersect(a: Polygon, b: Polygon) -> bool:
    """Whether two polygons (outer ring, then holes) share a point.

    Either a boundary of one crosses or touches a boundary of the other, or,
    failing that, one lies wholly inside the other: then a vertex of one is
    inside the other.
    """
    if not a or not b or not a[0] or not b[0]:
        return False
    if not rectangles_intersect(ring_bounds(a[0]), ring_bounds(b[0])):
        return False
    for ring_a in a:
        for ring_b in b:
            for p1, p2 in edges(ring_a):
                for q1, q2 in edges(ring_b):
                    if segments_intersect(p1, p2, q1, q2):
                        return True
    return point_in_polygon(a[0][0], b) or point_in_polygon(b[0][0], a)


def rings_intersect(a: Ring, b: Ring) -> bool:
    return polygons_intersect([a], [b])


def rectangle_intersects_ring(rectangle: Bbox, ring: Ring) -> bool:
    return polygons_intersect([bbox_ring(rectangle)], [ring])


def rectangle_intersects_polygon(rectangle: Bbox, polygon: Polygon) -> bool:
    return polygons_intersect([bbox_ring(rectangle)], polygon)


def convex_hull(points: Iterable[Point]) -> list[tuple[float, float]]:
    """The closed counter-clockwise ring around the points (monotone chain), or []
    when they all lie on one line."""
    unique = sorted({(point[0], point[1]) for point in points})
    lower, upper = _hull_chain(unique), _hull_chain(reversed(unique))
    ring = lower[:-1] + upper[:-1]
    return [*ring, ring[0]] if len(ring) >= 3 else []


def _hull_chain(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """One half of the hull: the points kept turning counter-clockwise."""
    chain: list[tuple[float, float]] = []
    for point in points:
        while len(chain) >= 2 and orientation(chain[-2], chain[-1], point) <= 0:
            chain.pop()
        chain.append(point)
    return chain


# --- shapes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """Where a document (or a query) is: a point, a box ("envelope") or polygons.

    `polygons` holds every shape that has an area as polygons (a box is one
    rectangle, or two when it crosses the antimeridian), so intersection is one
    algorithm. `extent` is [west, south, east, north] as given (west > east for a
    box across the antimeridian).
    """

    kind: str  # "point" | "envelope" | "polygon"
    extent: Extent
    point: tuple[float, float] | None = None
    polygons: list[list[list[tuple[float, float]]]] = field(default_factory=list)

    def intersects(self, other: Shape) -> bool:
        """Do the two shapes share a point, boundaries included?"""
        if self.point is not None and other.point is not None:
            return self.point == other.point
        if self.point is not None:
            return any(point_in_polygon(self.point, rings) for rings in other.polygons)
        if other.point is not None:
            return other.intersects(self)
        return any(polygons_intersect(a, b) for a in self.polygons for b in other.polygons)


def point_shape(point: object) -> Shape:
    lon, lat = parse_point(point)
    return Shape("point", (lon, lat, lon, lat), point=(lon, lat))


def bbox_shape(bbox: object) -> Shape:
    extent = parse_bbox(bbox)
    return Shape(
        "envelope", extent, polygons=[[bbox_ring(part)] for part in split_antimeridian(extent)]
    )


def polygon_shape(geojson: object) -> Shape:
    """A GeoJSON Polygon or MultiPolygon."""
    polygons = polygon_parts(geojson)
    return Shape("polygon", polygons_bounds(polygons), polygons=polygons)


def ring_shape(ring: object) -> Shape:
    """One closed ring of [lon, lat] points (a query's polygon)."""
    return polygon_shape({"type": "Polygon", "coordinates": [ring]})


def coverage(document: dict) -> Shape | None:
    """Where a search document is: its polygon, else its point, else its bbox."""
    if document.get("polygon"):
        return polygon_shape(document["polygon"])
    if document.get("point"):
        return point_shape(document["point"])
    if document.get("bbox"):
        return bbox_shape(document["bbox"])
    return None


# --- writing out ----------------------------------------------------------------------


def geo_shape(shape: Shape) -> dict:
    """The shape as a search engine's `geo_shape` value: outer rings counter-clockwise,
    holes clockwise; a box without area is a point or a line."""
    if shape.point is not None:
        return {"type": "point", "coordinates": list(shape.point)}
    if shape.kind == "envelope":
        west, south, east, north = shape.extent
        if west == east and south == north:
            return {"type": "point", "coordinates": [west, south]}
        if west == east or south == north:  # a line: an envelope needs an area
            return {"type": "linestring", "coordinates": [[west, south], [east, north]]}
        return {"type": "envelope", "coordinates": [[west, north], [east, south]]}
    polygons = [
        [
            [list(point) for point in oriented(ring, counterclockwise=(index == 0))]
            for index, ring in enumerate(rings)
        ]
        for rings in shape.polygons
    ]
    if len(polygons) == 1:
        return {"type": "polygon", "coordinates": polygons[0]}
    return {"type": "multipolygon", "coordinates": polygons}


def bbox_wkt(bbox: Bbox) -> str:
    """A box as a WKT POLYGON, or a MULTIPOLYGON of its two halves when it crosses the
    antimeridian (west > east): one ring from west to east would go round the globe."""
    rings = [
        "((" + ", ".join(f"{lon} {lat}" for lon, lat in bbox_ring(part)) + "))"
        for part in split_antimeridian(bbox)
    ]
    return "POLYGON" + rings[0] if len(rings) == 1 else "MULTIPOLYGON(" + ", ".join(rings) + ")"


def polygon_wkt(ring: Ring) -> str:
    """One ring as a WKT POLYGON."""
    return "POLYGON((" + ", ".join(f"{lon} {lat}" for lon, lat in ring) + "))"


def geoshape_box(bbox: Bbox) -> str:
    """A box as a schema.org GeoShape `box`: "south west north east"."""
    w, s, e, n = bbox
    return f"{s} {w} {n} {e}"


def geoshape_polygon(ring: Ring) -> str:
    """One ring as a schema.org GeoShape `polygon`: "lat lon lat lon ..."."""
    return " ".join(f"{lat} {lon}" for lon, lat in ring)
