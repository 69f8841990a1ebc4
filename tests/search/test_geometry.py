"""catalogue.search.geometry: rectangles, rings and polygons; touching intersects."""

from hypothesis import given
from hypothesis import strategies as st

from catalogue.search.geometry import (
    point_in_polygon,
    point_in_ring,
    polygons_intersect,
    rectangle_intersects_polygon,
    rectangle_intersects_ring,
    rectangle_ring,
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
    assert rectangles_intersect(a, b) == rectangle_intersects_ring(a, rectangle_ring(b))
    assert rectangles_intersect(a, b) == rings_intersect(rectangle_ring(a), rectangle_ring(b))


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
