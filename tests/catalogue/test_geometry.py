"""catalogue.geometry: reading GeoJSON and boxes, rectangles, rings and polygons
(touching intersects), shapes, and what is written out (geo_shape, WKT, GeoShape)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue import geometry
from catalogue.geometry import (
    GeometryError,
    bbox_ring,
    point_in_polygon,
    point_in_ring,
    polygons_intersect,
    rectangle_intersects_polygon,
    rectangle_intersects_ring,
    rectangles_intersect,
    ring_bounds,
    rings_intersect,
    segments_intersect,
)

SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
TRIANGLE = [[0, 0], [10, 0], [0, 10], [0, 0]]  # the lower-left half of SQUARE
HOLE = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]


def test_rectangles():
    assert rectangles_intersect([0, 0, 10, 10], [5, 5, 15, 15])
    assert rectangles_intersect([0, 0, 10, 10], [10, 10, 20, 20])  # a shared corner
    assert rectangles_intersect([0, 0, 10, 10], [2, 2, 3, 3])  # inside
    assert not rectangles_intersect([0, 0, 10, 10], [10.5, 0, 20, 10])
    assert rectangles_intersect([3, 3, 3, 3], [0, 0, 10, 10])  # a point


def test_segments():
    assert segments_intersect([0, 0], [10, 10], [0, 10], [10, 0])
    assert segments_intersect([0, 0], [10, 0], [10, 0], [20, 5])  # end to end
    assert segments_intersect([0, 0], [10, 0], [5, 0], [20, 0])  # overlapping, collinear
    assert not segments_intersect([0, 0], [10, 0], [11, 0], [20, 0])  # collinear, apart
    assert not segments_intersect([0, 0], [10, 0], [0, 1], [10, 1])  # parallel
    assert segments_intersect([5, 0], [5, 0], [0, 0], [10, 0])  # a point on a segment
    assert not segments_intersect([5, 1], [5, 1], [0, 0], [10, 0])


def test_point_in_ring_counts_the_boundary():
    assert point_in_ring([2, 2], TRIANGLE)
    assert point_in_ring([5, 5], TRIANGLE)  # on the hypotenuse
    assert point_in_ring([0, 0], TRIANGLE)  # a vertex
    assert point_in_ring([0, 5], TRIANGLE)  # on an edge
    assert not point_in_ring([6, 6], TRIANGLE)
    assert not point_in_ring([-1, 5], TRIANGLE)
    assert not point_in_ring([5, 11], SQUARE)


def test_point_in_polygon_with_a_hole():
    polygon = [SQUARE, HOLE]
    assert point_in_polygon([1, 1], polygon)
    assert not point_in_polygon([5, 5], polygon)  # in the hole
    assert point_in_polygon([4, 5], polygon)  # on the hole's edge: still the polygon's boundary
    assert not point_in_polygon([11, 5], polygon)


def test_rectangle_and_ring():
    # Inside the triangle's bounding box but beyond its hypotenuse: no intersection.
    assert not rectangle_intersects_ring([7, 7, 9, 9], TRIANGLE)
    assert rectangle_intersects_ring([4, 4, 9, 9], TRIANGLE)  # corner over the hypotenuse
    assert rectangle_intersects_ring([5, 5, 9, 9], TRIANGLE)  # corner on the hypotenuse
    assert rectangle_intersects_ring([-5, -5, 20, 20], TRIANGLE)  # contains it
    assert rectangle_intersects_ring([1, 1, 2, 2], TRIANGLE)  # inside it
    assert rectangle_intersects_ring([2, 2, 2, 2], TRIANGLE)  # a point inside
    assert not rectangle_intersects_ring([8, 8, 8, 8], TRIANGLE)  # a point outside
    assert rectangle_intersects_ring([5, 5, 5, 5], TRIANGLE)  # a point on the edge


def test_rings_and_polygons():
    far = [[20, 20], [30, 20], [30, 30], [20, 20]]
    assert not rings_intersect(TRIANGLE, far)
    beyond = [[6, 6], [9, 6], [9, 9], [6, 6]]  # in the bounding box, past the hypotenuse
    assert not rings_intersect(TRIANGLE, beyond)
    assert rings_intersect(SQUARE, beyond)  # inside the square
    assert rings_intersect(beyond, SQUARE)
    touching = [[10, 0], [20, 0], [20, 10], [10, 0]]
    assert rings_intersect(TRIANGLE, touching)  # a shared vertex
    inside_hole = [[4.5, 4.5], [5.5, 4.5], [5.5, 5.5], [4.5, 4.5]]
    assert not polygons_intersect([inside_hole], [SQUARE, HOLE])
    assert polygons_intersect([SQUARE], [inside_hole])
    assert not rectangle_intersects_polygon([4.5, 4.5, 5.5, 5.5], [SQUARE, HOLE])
    assert rectangle_intersects_polygon([3, 3, 7, 7], [SQUARE, HOLE])  # covers the hole


coordinate = st.integers(min_value=-50, max_value=50)


@st.composite
def rectangles(draw):
    west, east = sorted([draw(coordinate), draw(coordinate)])
    south, north = sorted([draw(coordinate), draw(coordinate)])
    return [west, south, east, north]


@st.composite
def triangles(draw):
    points = [[draw(coordinate), draw(coordinate)] for _ in range(3)]
    return [*points, points[0]]


@given(rectangles(), rectangles())
def test_rectangles_as_rings_agree_with_rectangles(a, b):
    # Integer coordinates keep the arithmetic exact.
    assert rectangles_intersect(a, b) == rectangle_intersects_ring(a, bbox_ring(b))
    assert rectangles_intersect(a, b) == rings_intersect(bbox_ring(a), bbox_ring(b))


@given(triangles(), triangles())
def test_intersection_is_symmetric(a, b):
    assert rings_intersect(a, b) == rings_intersect(b, a)


@given(triangles(), st.tuples(coordinate, coordinate))
def test_a_point_is_a_degenerate_rectangle(ring, point):
    x, y = point
    assert rectangle_intersects_ring([x, y, x, y], ring) == point_in_ring([x, y], ring)


@given(triangles(), rectangles())
def test_no_intersection_outside_the_bounding_box(ring, rectangle):
    if not rectangles_intersect(ring_bounds(ring), rectangle):
        assert not rectangle_intersects_ring(rectangle, ring)


@given(triangles())
def test_every_vertex_is_in_its_ring(ring):
    assert all(point_in_ring(point, ring) for point in ring)


# --- reading and checking -------------------------------------------------------------


def test_points_and_boxes_are_numbers_in_range():
    assert geometry.parse_point([2, 51.5]) == (2.0, 51.5)
    assert geometry.parse_bbox([0, 50, 5, 56]) == (0.0, 50.0, 5.0, 56.0)
    assert geometry.parse_bbox((170, -10, -170, 10)) == (170.0, -10.0, -170.0, 10.0)  # crosses 180
    for bad in (
        [181, 0],
        [0, -91],
        [0],
        [0, 0, 0],
        ["1", "2"],
        [True, 0],
        [float("nan"), 0],
        "0,0",
    ):
        with pytest.raises(GeometryError):
            geometry.parse_point(bad)
    for bad in ([1, 2, 3], [0, 10, 5, 0], [0, 0, 190, 1], [0, 0, None, 1], None):
        with pytest.raises(GeometryError):
            geometry.parse_bbox(bad)
    with pytest.raises(GeometryError, match="west <= east"):
        geometry.parse_bbox([170, -10, -170, 10], crossing=False)


def test_polygons_are_closed_rings_of_four_points_or_more():
    ring = [[0, 0], [1, 0], [1, 1], [0, 0]]
    polygon = {"type": "Polygon", "coordinates": [ring]}
    multi = {"type": "MultiPolygon", "coordinates": [[ring], [[[5, 5], [6, 5], [6, 6], [5, 5]]]]}
    assert geometry.polygon_parts(polygon) == [[[(0, 0), (1, 0), (1, 1), (0, 0)]]]
    assert len(geometry.polygon_parts(multi)) == 2
    assert geometry.parse_ring([[0, 0, -5], [1, 0, -5], [1, 1, -5], [0, 0, -5]])[1] == (1, 0)
    assert geometry.is_polygon(polygon)
    assert not geometry.is_polygon(multi)  # a set's polygon is one Polygon
    with pytest.raises(GeometryError, match="ring"):
        geometry.polygon_parts({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]})
    with pytest.raises(GeometryError, match="closed"):
        geometry.parse_ring([[0, 0], [1, 0], [1, 1], [0, 1]])
    for bad in (
        None,
        [ring],
        {"type": "Point", "coordinates": [0, 0]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[["a", 0], [1, 0], [1, 1], ["a", 0]]]},
    ):
        assert not geometry.is_polygon(bad)


def test_outer_ring_reads_any_polygon_and_nothing_else():
    ring = [[2.2, 51.1], [3.4, 51.1], [3.4, 51.9], [2.2, 51.1]]
    assert geometry.outer_ring({"type": "Polygon", "coordinates": [ring, HOLE]}) == [
        (2.2, 51.1),
        (3.4, 51.1),
        (3.4, 51.9),
        (2.2, 51.1),
    ]
    assert geometry.outer_ring({"type": "MultiPolygon", "coordinates": [[ring]]})[0] == (2.2, 51.1)
    assert geometry.outer_ring(None) == []
    assert geometry.outer_ring({"type": "Polygon"}) == []


def test_boxes_from_sides_points_and_across_the_antimeridian():
    assert geometry.bbox_from_sides(0, 50, 5, 56) == [0, 50, 5, 56]
    assert geometry.bbox_from_sides(0, None, 5, 56) is None
    assert geometry.point_bbox([3, 4]) == [3, 4, 3, 4]
    assert geometry.split_antimeridian([0, 0, 10, 10]) == [(0, 0, 10, 10)]
    assert geometry.split_antimeridian([170, -10, -170, 10]) == [
        (170, -10, 180.0, 10),
        (-180.0, -10, -170, 10),
    ]


# --- shapes ---------------------------------------------------------------------------


def test_coverage_is_the_polygon_else_the_point_else_the_box():
    polygon = {"type": "Polygon", "coordinates": [TRIANGLE]}
    shape = geometry.coverage({"polygon": polygon, "point": [50, 50], "bbox": [0, 0, 10, 10]})
    assert shape.kind == "polygon" and shape.extent == (0, 0, 10, 10)
    shape = geometry.coverage({"polygon": None, "point": [3, 4], "bbox": [3, 4, 3, 4]})
    assert shape.kind == "point" and shape.point == (3, 4) and shape.extent == (3, 4, 3, 4)
    shape = geometry.coverage({"bbox": [0, 1, 2, 3]})
    assert shape.kind == "envelope" and shape.extent == (0, 1, 2, 3)
    assert geometry.coverage({"polygon": None, "point": None, "bbox": None}) is None


def test_shapes_intersect_as_their_geometry_does():
    triangle = geometry.polygon_shape({"type": "Polygon", "coordinates": [TRIANGLE]})
    assert geometry.bbox_shape([4, 4, 9, 9]).intersects(triangle)
    assert not geometry.bbox_shape([7, 7, 9, 9]).intersects(triangle)  # past the hypotenuse
    assert geometry.point_shape([5, 5]).intersects(triangle)  # on the edge
    assert triangle.intersects(geometry.point_shape([2, 2]))
    assert not geometry.point_shape([8, 8]).intersects(triangle)
    assert geometry.point_shape([1, 1]).intersects(geometry.point_shape([1, 1]))
    assert geometry.ring_shape(SQUARE).intersects(geometry.bbox_shape([10, 10, 20, 20]))
    crossing = geometry.bbox_shape([170, -10, -170, 10])
    assert crossing.extent == (170, -10, -170, 10)
    assert crossing.intersects(geometry.bbox_shape([175, 0, 180, 5]))
    assert crossing.intersects(geometry.bbox_shape([-180, 0, -175, 5]))
    assert not crossing.intersects(geometry.bbox_shape([-160, 0, 160, 5]))


# --- writing out ----------------------------------------------------------------------


def test_geo_shape_orients_rings_and_degenerate_boxes():
    clockwise = [[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]
    counter = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]
    shape = geometry.polygon_shape({"type": "Polygon", "coordinates": [clockwise, counter]})
    outer, hole = geometry.geo_shape(shape)["coordinates"]
    assert geometry.signed_area(outer) > 0 and geometry.signed_area(hole) < 0
    assert geometry.geo_shape(geometry.bbox_shape([0, 1, 2, 3])) == {
        "type": "envelope",
        "coordinates": [[0, 3], [2, 1]],
    }
    assert geometry.geo_shape(geometry.bbox_shape([5, 5, 5, 5]))["type"] == "point"
    assert geometry.geo_shape(geometry.bbox_shape([5, 5, 6, 5]))["type"] == "linestring"
    assert geometry.geo_shape(geometry.point_shape([1, 2])) == {
        "type": "point",
        "coordinates": [1, 2],
    }
    multi = {"type": "MultiPolygon", "coordinates": [[SQUARE], [TRIANGLE]]}
    assert geometry.geo_shape(geometry.polygon_shape(multi))["type"] == "multipolygon"


def test_wkt_and_schema_org_strings():
    ring = [(2.2, 51.1), (3.4, 51.1), (3.4, 51.9), (2.2, 51.1)]
    assert geometry.bbox_wkt([2.2, 51.1, 3.4, 51.9]) == (
        "POLYGON((2.2 51.1, 3.4 51.1, 3.4 51.9, 2.2 51.9, 2.2 51.1))"
    )
    assert geometry.polygon_wkt(ring) == "POLYGON((2.2 51.1, 3.4 51.1, 3.4 51.9, 2.2 51.1))"
    assert geometry.geoshape_box([2.2, 51.1, 3.4, 51.9]) == "51.1 2.2 51.9 3.4"
    assert geometry.geoshape_polygon(ring) == "51.1 2.2 51.1 3.4 51.9 3.4 51.1 2.2"
