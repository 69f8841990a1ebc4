"""Small planar geometry on WGS84 degrees, for the database search backend.

Longitude and latitude are treated as plane coordinates (as a search engine's
`geo_shape` intersection does for small shapes). Everything is closed:
touching, sharing an edge or a corner counts as intersecting.

Shapes:
    rectangle  [west, south, east, north] (west <= east; may be a line or a point)
    ring       [[lon, lat], ...], closed (first point == last point)
    polygon    a list of rings: the outer boundary, then holes
"""

from __future__ import annotations

from collections.abc import Sequence

Point = Sequence[float]
Ring = Sequence[Point]
Rectangle = Sequence[float]


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


def edges(ring: Ring):
    for index in range(len(ring) - 1):
        yield ring[index], ring[index + 1]


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


def point_in_polygon(point: Point, polygon: Sequence[Ring]) -> bool:
    """Inside the outer ring (or on it) and not strictly inside a hole."""
    if not polygon or not point_in_ring(point, polygon[0]):
        return False
    for hole in polygon[1:]:
        if point_in_ring(point, hole) and not point_on_ring(point, hole):
            return False
    return True


def ring_bounds(ring: Ring) -> tuple[float, float, float, float]:
    lons = [point[0] for point in ring]
    lats = [point[1] for point in ring]
    return min(lons), min(lats), max(lons), max(lats)


def rectangles_intersect(a: Rectangle, b: Rectangle) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def rectangle_ring(rectangle: Rectangle) -> list[list[float]]:
    west, south, east, north = rectangle
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def polygons_intersect(a: Sequence[Ring], b: Sequence[Ring]) -> bool:
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


def rectangle_intersects_ring(rectangle: Rectangle, ring: Ring) -> bool:
    return polygons_intersect([rectangle_ring(rectangle)], [ring])


def rectangle_intersects_polygon(rectangle: Rectangle, polygon: Sequence[Ring]) -> bool:
    return polygons_intersect([rectangle_ring(rectangle)], polygon)
