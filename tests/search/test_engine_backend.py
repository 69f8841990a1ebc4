"""The search-engine backend against the real servers: what only an engine does
(versioned bulk writes, alias swaps, geo shapes, deep paging, probing).

The behaviour shared with the database backend is checked by
tests/search/test_backends.py; here every test gets indexes of its own
(`aquacat-test-<uuid>-*`) and drops them afterwards.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from catalogue.access import Visibility
from catalogue.search.backends.base import IndexFailure
from catalogue.search.backends.engine import EngineBackend
from catalogue.search.backends.engine.client import SearchEngineError
from catalogue.search.backends.engine.mappings import GEO, Capabilities
from catalogue.search.query import QueryError, SearchQuery
from tests.search.conftest import blank_document

ENGINES = [
    pytest.param("opensearch", marks=pytest.mark.services("opensearch"), id="opensearch"),
    pytest.param("elasticsearch", marks=pytest.mark.services("elasticsearch"), id="elasticsearch"),
]
# OpenSearch once more, told it has no geo_shape: the fallback Elasticsearch
# builds without geo use, checked on a server where the real answer is known.
GEO_ENGINES = [
    *ENGINES,
    pytest.param(
        "opensearch-nogeo", marks=pytest.mark.services("opensearch"), id="opensearch-nogeo"
    ),
]

TODAY = date(2025, 6, 1)
EVERYONE = Visibility(everything=False, user_id=None, today=TODAY)
STAFF = Visibility(everything=True, user_id=None, today=TODAY)
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def make_backend(kind: str) -> EngineBackend:
    server = kind.removesuffix("-nogeo")
    url = os.environ[f"SEARCH_URL_{server.upper()}"]
    backend = EngineBackend(url, server, f"aquacat-test-{uuid.uuid4().hex}")
    if kind.endswith("-nogeo"):
        probed = backend.capabilities
        backend = EngineBackend(
            url,
            server,
            backend.prefix,
            capabilities=Capabilities(english=probed.english, lowercase=True, geo_shape=False),
        )
    backend.retire_delay = 0.2
    return backend


def drop_indexes(backend: EngineBackend) -> None:
    for name in backend.engine.list_indices(f"{backend.prefix}-*"):
        backend.engine.delete_index(name)


@pytest.fixture
def backend(request):
    made = make_backend(request.param)
    made.setup()
    yield made
    drop_indexes(made)
    assert made.engine.list_indices(f"{made.prefix}-*") == []


def engine_param(params):
    return pytest.mark.parametrize("backend", params, indirect=True)


def doc(doc_id: int, **fields) -> dict:
    """A set document with every field filled in (public unless told otherwise)."""
    document = blank_document(doc_id) | {
        "title": f"Set {doc_id}",
        "modality": "photograph",
        "owner_id": 1,
        "created": (EPOCH + timedelta(hours=doc_id)).isoformat(),
    }
    unknown = set(fields) - set(document)
    assert not unknown, f"not document fields: {unknown}"
    document.update(fields)
    return document


def image(doc_id: int, **fields) -> dict:
    return doc(doc_id, kind="image", set_id=1, title="Set 1", **fields)


def load(backend: EngineBackend, documents: list[dict], kind: str = "set") -> None:
    assert backend.index(kind, documents) == []
    backend.refresh()


def ids(backend: EngineBackend, visibility: Visibility = STAFF, **query) -> list[int]:
    return backend.search(SearchQuery(**query), visibility).ids()


# -- setup and probing ----------------------------------------------------------------------


@engine_param(ENGINES)
def test_setup_makes_aliased_indexes_once(backend):
    backend.setup()  # idempotent
    for kind in ("set", "image"):
        alias = backend.alias(kind)
        (concrete,) = backend.engine.alias_indices(alias)
        assert concrete.startswith(f"{alias}-")
        assert concrete.removeprefix(f"{alias}-").isdigit()
        mapping = backend.engine.client.indices.get_mapping(index=alias)[concrete]["mappings"]
        title = mapping["properties"]["title"]
        caps = backend.capabilities
        assert title.get("search_analyzer", title["analyzer"]) == caps.text_analyzer
        assert title["analyzer"] == caps.index_analyzer
        assert caps.index_analyzer == (
            ("domain_english" if caps.english else "domain_standard")
            if caps.decompound
            else caps.text_analyzer
        )
        assert title["fields"]["raw"]["type"] == "keyword"
        assert mapping["properties"]["taxon_path"]["fields"]["lower"]["normalizer"]
        shape = mapping["properties"][GEO]["properties"].get("shape", {})
        assert (shape.get("type") == "geo_shape") == backend.capabilities.geo_shape


@engine_param(ENGINES)
def test_probes_what_the_server_offers(backend):
    if backend.name == "opensearch":
        # analysis-common and geo are part of every OpenSearch distribution.
        assert backend.capabilities == Capabilities(
            english=True, lowercase=True, geo_shape=True, decompound=True
        )
    analyzed = backend.engine.analyze(
        {"analyzer": backend.capabilities.text_analyzer, "text": "Diatoms"}
    )
    expected = "diatom" if backend.stems_english else "diatoms"
    assert [token["token"] for token in analyzed["tokens"]] == [expected]


@engine_param(ENGINES)
def test_stemming_follows_the_analyzer(backend):
    load(backend, [doc(1, title="Diatoms of the Baltic"), doc(2, title="Copepod counts")])
    assert ids(backend, text="diatoms") == [1]
    assert ids(backend, text="diatom") == ([1] if backend.stems_english else [])


# -- writes -----------------------------------------------------------------------------------


@engine_param(ENGINES)
def test_stale_and_equal_revisions_are_ignored(backend):
    load(backend, [doc(1, revision=5, title="Fifth")])
    assert backend.index("set", [doc(1, revision=4, title="Fourth")]) == []
    assert backend.index("set", [doc(1, revision=5, title="Fifth again")]) == []
    backend.refresh()
    (hit,) = backend.search(SearchQuery(), STAFF).hits
    assert hit.document["title"] == "Fifth"
    assert backend.revisions("set") == {1: 5}

    load(backend, [doc(1, revision=6, title="Sixth")])
    (hit,) = backend.search(SearchQuery(), STAFF).hits
    assert hit.document["title"] == "Sixth"
    assert hit.document == doc(1, revision=6, title="Sixth")  # the whole document comes back
    assert backend.revisions("set") == {1: 6}


@engine_param(ENGINES)
def test_bulk_item_failures_are_reported_one_by_one(backend):
    bad_date = doc(2, time_start="not a date", time_end="2024-01-01T00:00:00+00:00")
    bad_polygon = doc(3, polygon={"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]})
    failures = backend.index("set", [doc(1), bad_date, bad_polygon, doc(4)])
    assert sorted(failure.id for failure in failures) == [2, 3]
    assert all(isinstance(failure, IndexFailure) and failure.kind == "set" for failure in failures)
    reasons = {failure.id: failure.reason for failure in failures}
    assert "time_start" in reasons[2]
    assert "ring" in reasons[3]
    backend.refresh()
    assert sorted(ids(backend)) == [1, 4]


@engine_param(ENGINES)
def test_delete_ignores_missing_ids(backend):
    load(backend, [doc(1), doc(2)])
    load(backend, [image(3)], kind="image")
    backend.delete("set", [2, 99])
    backend.delete("image", [])
    backend.refresh()
    assert ids(backend) == [1]
    assert backend.revisions("image") == {3: 1}
    # A deleted document can come back at its own revision (reconcile restores it so).
    load(backend, [doc(2)])
    assert sorted(ids(backend)) == [1, 2]
    backend.delete("set", [1])
    load(backend, [doc(1, revision=0)])  # even an older one: nothing is indexed to beat it
    assert backend.revisions("set") == {1: 0, 2: 1}


@engine_param(ENGINES)
def test_revisions_reads_every_id(backend):
    backend.scan_size = 40  # several pages
    load(backend, [doc(n, revision=n % 7 + 1) for n in range(1, 131)])
    assert backend.revisions("set") == {n: n % 7 + 1 for n in range(1, 131)}
    assert backend.revisions("image") == {}


def test_unreachable_engine_is_a_search_engine_error(closed_port):
    for kind in ("opensearch", "elasticsearch"):
        backend = EngineBackend(
            f"http://127.0.0.1:{closed_port}", kind, "aquacat-test", capabilities=Capabilities()
        )
        backend._ready = True  # skip setup: the writes themselves must fail cleanly
        with pytest.raises(SearchEngineError, match="unreachable") as raised:
            backend.search(SearchQuery(), STAFF)
        assert raised.value.retryable
        with pytest.raises(SearchEngineError):
            backend.index("set", [doc(1)])
        with pytest.raises(SearchEngineError):
            EngineBackend(f"http://127.0.0.1:{closed_port}", kind, "aquacat-test").setup()


# -- rebuild ----------------------------------------------------------------------------------


@engine_param(ENGINES)
def test_rebuild_swaps_the_alias_while_readers_keep_reading(backend):
    load(backend, [doc(n) for n in range(1, 201)])
    (old_index,) = backend.engine.alias_indices(backend.alias("set"))
    totals: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read():
        while not stop.is_set():
            try:
                totals.append(backend.search(SearchQuery(page_size=1), STAFF).total)
            except BaseException as error:  # any failed read fails the test
                errors.append(error)

    def batches():
        for start in range(1, 301, 50):
            time.sleep(0.05)
            yield [doc(n, revision=2) for n in range(start, start + 50)]

    done: list[int] = []
    reader = threading.Thread(target=read)
    reader.start()
    try:
        time.sleep(0.2)
        backend.rebuild("set", batches(), progress=done.append)
        time.sleep(0.3)
    finally:
        stop.set()
        reader.join()

    assert errors == []
    assert set(totals) == {200, 300}, "readers saw only a complete index, old or new"
    assert totals.index(300) > 0 and 200 not in totals[totals.index(300) :]
    assert done == [50] * 6
    (new_index,) = backend.engine.alias_indices(backend.alias("set"))
    assert new_index != old_index
    assert not backend.engine.index_exists(old_index)
    assert not backend.engine.alias_exists(backend.building_alias("set"))
    assert set(backend.revisions("set").values()) == {2}


@engine_param(ENGINES)
def test_writes_during_a_rebuild_reach_the_new_index(backend):
    load(backend, [doc(1), doc(2)])

    def batches():
        yield [doc(1)]
        # Committed after the rebuild read its rows: written to old and new index.
        assert backend.index("set", [doc(2, revision=3, title="Changed")]) == []
        backend.delete("set", [1])
        yield [doc(2)]  # read before the change: an older revision, ignored

    backend.rebuild("set", batches())
    backend.refresh()
    (hit,) = backend.search(SearchQuery(), STAFF).hits
    assert (hit.id, hit.document["title"], hit.document["revision"]) == (2, "Changed", 3)


@engine_param(ENGINES)
def test_a_failed_rebuild_leaves_the_old_index(backend):
    load(backend, [doc(1)])
    before = backend.engine.list_indices(f"{backend.prefix}-*")

    def batches():
        yield [doc(2)]
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError, match="went away"):
        backend.rebuild("set", batches())
    assert backend.engine.list_indices(f"{backend.prefix}-*") == before
    assert not backend.engine.alias_exists(backend.building_alias("set"))
    assert ids(backend) == [1]


@engine_param(ENGINES)
def test_rebuild_creates_a_missing_index(backend):
    for name in backend.engine.alias_indices(backend.alias("image")):
        backend.engine.delete_index(name)
    assert not backend.engine.alias_exists(backend.alias("image"))
    backend.rebuild("image", [[image(1), image(2)]])
    assert sorted(ids(backend, kind="image")) == [1, 2]


# -- geo --------------------------------------------------------------------------------------

TRIANGLE = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [0, 10], [0, 0]]]}
WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [
        [[20, 0], [30, 0], [30, 10], [20, 10], [20, 0]],
        [[22, 2], [28, 2], [28, 8], [22, 8], [22, 2]],
    ],
}


@engine_param(GEO_ENGINES)
def test_polygons_are_matched_by_their_shape_envelopes_by_their_box(backend):
    load(
        backend,
        [
            doc(1, bbox=[0, 0, 10, 10], polygon=TRIANGLE),  # the lower-left half only
            doc(2, bbox=[0, 0, 10, 10]),  # the whole square
            doc(3, bbox=[20, 0, 30, 10], polygon=WITH_HOLE),
            doc(4),  # no coverage
            doc(5, bbox=[5, 5, 5, 5]),  # a degenerate box: a point
        ],
    )
    load(backend, [image(11, point=[8, 8]), image(12, point=[2, 2])], kind="image")

    assert sorted(ids(backend, bbox=(8, 8, 9, 9))) == [2]
    assert sorted(ids(backend, bbox=(10, 10, 12, 12))) == [2]  # touches a corner
    if not backend.capabilities.geo_shape:
        # Exact here; geo_shape rounds to a ~1e-7 degree grid and may miss a polygon
        # that only touches the query (points and boxes are matched exactly either way).
        assert sorted(ids(backend, bbox=(5, 5, 6, 6))) == [1, 2, 5]  # the triangle's edge
    assert sorted(ids(backend, bbox=(1, 1, 2, 2))) == [1, 2]
    assert sorted(ids(backend, bbox=(4, 4, 6, 6))) == [1, 2, 5]
    assert sorted(ids(backend, bbox=(24, 4, 26, 6))) == []  # inside the hole
    assert sorted(ids(backend, bbox=(21, 1, 29, 9))) == [3]  # around the hole
    corner = [[7, 7], [9, 7], [9, 9], [7, 9], [7, 7]]
    assert sorted(ids(backend, polygon=corner)) == [2]
    # A thin diagonal triangle whose box covers everything but touches only doc 2's corner.
    sliver = [[9.5, 9.5], [40, 40], [40, 39], [9.5, 9.5]]
    assert sorted(ids(backend, polygon=sliver)) == [2]
    assert sorted(ids(backend, polygon=[[1, 1], [3, 1], [1, 3], [1, 1]])) == [1, 2]
    assert sorted(ids(backend, kind="image", polygon=corner)) == [11]
    assert sorted(ids(backend, kind="image", bbox=(0, 0, 5, 5))) == [12]
    result = backend.search(SearchQuery(bbox=(8, 8, 9, 9), polygon=corner), STAFF)
    assert (result.ids(), result.total, result.facet_counts("licence")) == (
        [2],
        1,
        {"CC-BY-4.0": 1},
    )
    # The derived coverage fields stay out of the returned document.
    assert GEO not in backend.search(SearchQuery(), STAFF).hits[0].document


# -- search -----------------------------------------------------------------------------------


def paged(backend: EngineBackend, **query) -> tuple[list[int], int]:
    """Follow next_page tokens to the end; returns every id and the number of pages."""
    seen, pages, after = [], 0, None
    while True:
        result = backend.search(SearchQuery(after=after, **query), STAFF)
        pages += 1
        assert result.total == 500
        seen += result.ids()
        if result.next_page is None:
            return seen, pages
        after = result.next_page


@engine_param(ENGINES)
def test_search_after_pages_through_500_documents(backend):
    documents = [
        doc(
            n,
            title=f"Plankton survey {n}" + (" plankton" * (n % 3)),
            size=(n % 10) * 1000,
            created=(EPOCH + timedelta(days=n % 25)).isoformat(),
        )
        for n in range(1, 501)
    ]
    for start in range(0, 500, 100):
        assert backend.index("set", documents[start : start + 100]) == []
    backend.refresh()

    newest, pages = paged(backend, sort="newest", page_size=37)
    assert pages == 14
    assert (
        newest == [d["id"] for d in sorted(documents, key=lambda d: (d["created"], d["id"]))][::-1]
    )
    largest, _ = paged(backend, sort="largest", page_size=50)
    assert largest == [d["id"] for d in sorted(documents, key=lambda d: (-d["size"], -d["id"]))]
    relevant, _ = paged(backend, text="plankton", page_size=64)
    assert len(relevant) == len(set(relevant)) == 500
    by_score = backend.search(SearchQuery(text="plankton", page_size=200), STAFF).hits
    scores = [hit.score for hit in by_score]
    assert scores == sorted(scores, reverse=True)


@engine_param(ENGINES)
def test_page_numbers_and_their_next_page(backend):
    load(backend, [doc(n) for n in range(1, 26)])
    first = backend.search(SearchQuery(sort="newest", page_size=10), STAFF)
    assert first.ids() == list(range(25, 15, -1)) and first.total == 25
    second = backend.search(SearchQuery(sort="newest", page_size=10, page=2), STAFF)
    followed = backend.search(
        SearchQuery(sort="newest", page_size=10, after=first.next_page), STAFF
    )
    assert second.ids() == followed.ids() == list(range(15, 5, -1))
    last = backend.search(SearchQuery(sort="newest", page_size=10, page=3), STAFF)
    assert last.ids() == [5, 4, 3, 2, 1] and last.next_page is None
    with pytest.raises(QueryError) as raised:
        backend.search(SearchQuery(sort="largest", after=first.next_page), STAFF)
    assert raised.value.field == "after"
    with pytest.raises(QueryError) as raised:
        backend.search(SearchQuery(page=1000, page_size=20), STAFF)
    assert raised.value.field == "page"


@engine_param(ENGINES)
def test_hidden_documents_never_count(backend):
    load(
        backend,
        [
            doc(1, platform="ship"),
            doc(2, platform="ship", state="draft", owner_id=7),
            doc(3, platform="rov", access="restricted", curator_ids=[8, 9]),
            doc(4, platform="rov", access="embargoed", embargo_until="2025-06-01"),
            doc(5, platform="auv", access="embargoed", embargo_until="2025-06-02"),
        ],
    )

    def seen(visibility):
        result = backend.search(SearchQuery(), visibility)
        assert result.total == len(result.ids())
        return sorted(result.ids()), result.facet_counts("platform")

    assert seen(EVERYONE) == ([1, 4], {"ship": 1, "rov": 1})
    assert seen(Visibility(False, 7, TODAY)) == ([1, 2, 4], {"ship": 2, "rov": 1})
    assert seen(Visibility(False, 9, TODAY)) == ([1, 3, 4], {"ship": 1, "rov": 2})
    assert seen(STAFF) == ([1, 2, 3, 4, 5], {"ship": 2, "rov": 2, "auv": 1})
    assert backend.suggest("set", EVERYONE) == ["Set 1", "Set 4"]


@engine_param(ENGINES)
def test_filters_and_facets(backend):
    load(
        backend,
        [
            doc(
                1,
                platform="ship",
                instrument="CTD",
                years=[2020, 2021],
                time_start="2020-05-01T00:00:00+00:00",
                time_end="2021-02-01T00:00:00+00:00",
                depth_min=10,
                depth_max=200,
                taxon_path=["Copepoda", "Calanus"],
                has_annotations=True,
            ),
            doc(2, platform="rov", instrument="camera", years=[2022], depth_min=300, depth_max=400),
            doc(3, platform="auv", instrument="CTD", research_infrastructure=""),
        ],
    )
    assert sorted(ids(backend, platform=["ship", "rov"])) == [1, 2]
    assert ids(backend, platform=["ship", "rov"], instrument=["camera"]) == [2]
    assert ids(backend, taxon=["Copepoda"]) == [1]
    assert ids(backend, image_set=[3]) == [3]
    assert ids(backend, has_annotations=True) == [1]
    assert sorted(ids(backend, has_annotations=False)) == [2, 3]
    assert ids(backend, year=[2021]) == [1]
    assert ids(backend, depth_min=150, depth_max=250) == [1]
    assert sorted(ids(backend, depth_min=150)) == [1, 2]
    assert ids(backend, time_from=datetime(2021, 1, 1, tzinfo=UTC)) == [1]
    assert ids(backend, time_to=datetime(2020, 1, 1, tzinfo=UTC)) == []

    result = backend.search(SearchQuery(facets=["year", "has_annotations", "instrument"]), STAFF)
    assert set(result.facets) == {"year", "has_annotations", "instrument"}
    assert result.facet_counts("year") == {2020: 1, 2021: 1, 2022: 1}
    assert result.facet_counts("has_annotations") == {True: 1, False: 2}
    assert [(v.value, v.count) for v in result.facets["instrument"]] == [("CTD", 2), ("camera", 1)]
    full = backend.search(SearchQuery(), STAFF)
    assert full.facet_counts("research_infrastructure") == {}  # empty strings are no value


@engine_param(ENGINES)
def test_every_term_must_match_somewhere(backend):
    load(
        backend,
        [
            doc(
                1, title="Plankton of the Baltic", instrument="FlowCam", taxa=["Calanus glacialis"]
            ),
            doc(2, title="Plankton of the North Sea", keywords=["zooplankton"]),
            doc(3, title="Baltic seals", description="Grey seals on sandbanks"),
        ],
    )
    assert ids(backend, text="plankton flowcam glacialis") == [1]
    assert ids(backend, text="baltic") in ([1, 3], [3, 1])
    assert ids(backend, text="plankton seals") == []
    assert ids(backend, text="grey baltic") == [3]
    assert ids(backend, text="calanus") == [1]


@engine_param(ENGINES)
def test_highlights_escape_html(backend):
    load(backend, [doc(1, title="<script>Diatoms</script> & co", description="Many diatoms.")])
    (hit,) = backend.search(SearchQuery(text="diatoms"), STAFF).hits
    (title,) = hit.highlights["title"]
    assert "<mark>Diatoms</mark>" in title
    assert "<script>" not in title and "&lt;script&gt;" in title and "&amp; co" in title
    assert hit.highlights["description"] == ["Many <mark>diatoms</mark>."]
    assert hit.score and hit.score > 0
    (plain,) = backend.search(SearchQuery(text="diatoms", highlight=False), STAFF).hits
    assert plain.highlights == {}


@engine_param(ENGINES)
def test_suggestions_are_distinct_visible_and_most_frequent_first(backend):
    load(
        backend,
        [
            doc(1, title="Calanus in the Arctic", taxa=["Calanus finmarchicus"], instrument="Cam"),
            doc(2, title="Other", taxa=["Calanus finmarchicus", "Acartia"], instrument="CTD"),
            doc(3, title="Third", taxa=["calanus hyperboreus"], instrument="CTD"),
            doc(4, title="Calanus secret", state="draft"),
        ],
    )
    assert backend.suggest("CALANUS", EVERYONE) == [
        "Calanus finmarchicus",
        "Calanus in the Arctic",
        "calanus hyperboreus",
    ]
    assert backend.suggest("c", EVERYONE, limit=2) == ["CTD", "Calanus finmarchicus"]
    assert "Calanus secret" in backend.suggest("cal", STAFF)
    assert backend.suggest("  ", EVERYONE) == []
    assert backend.suggest("cal.*", EVERYONE) == []  # a prefix, never a pattern


@engine_param(ENGINES)
def test_search_before_anything_is_indexed(backend):
    drop_indexes(backend)
    result = backend.search(SearchQuery(facets=["year"]), STAFF)
    assert (result.hits, result.total, result.facets) == ([], 0, {"year": []})
    assert backend.revisions("set") == {}
    assert backend.suggest("a", STAFF) == []
