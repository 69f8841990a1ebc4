"""The database search backend itself: what only it can get wrong.

FTS syntax in the search text, hostile HTML in highlights, concurrent
versioned upserts, polygon refinement in Python, and its own bookkeeping.
The behaviour shared with the search engines is tested in test_backends.py.
Documents are plain dicts: no catalogue rows are needed.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, connections

from catalogue.access import Visibility
from catalogue.search.backends.database import DatabaseBackend
from catalogue.search.backends.database.text import words
from catalogue.search.dbindex import SearchEntry, SearchValue
from catalogue.search.query import QueryError, SearchQuery
from tests.search.conftest import blank_document

TODAY = date(2026, 6, 1)
STAFF = Visibility(everything=True, user_id=None, today=TODAY)
ANONYMOUS = Visibility(everything=False, user_id=None, today=TODAY)

pytestmark = pytest.mark.django_db


def doc(object_id: int, kind: str = "set", **fields) -> dict:
    """A document with every field of catalogue/search/documents.py."""
    document = blank_document(object_id) | {"kind": kind, "title": f"Survey {object_id}"}
    if isinstance(object_id, int) and object_id < 10**6:
        document["created"] = (
            datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=object_id)
        ).isoformat()
    document.update(fields)
    return document


@pytest.fixture
def backend():
    return DatabaseBackend()


def search(backend, visibility=STAFF, **params):
    return backend.search(SearchQuery(**params).validate(), visibility)


# --- text -------------------------------------------------------------------------


@pytest.fixture
def texts(backend):
    backend.index(
        "set",
        [
            doc(1, title="Coral reef survey", description="Transects near the reef crest"),
            doc(2, title="Coral garden", description="A garden of soft corals"),
            doc(3, title="Diatoms", keywords=["plankton"], description='say "coral" (twice)'),
            doc(4, title="Kelp forest", creators=["Ana Coral-Reyes"]),
        ],
    )


HOSTILE_TEXTS = [
    '"',
    'coral"',
    '"coral',
    "coral*",
    "*",
    "title:coral",
    "-coral",
    "coral -reef",
    "(coral",
    "coral)",
    "coral NEAR reef",
    "NEAR(coral reef)",
    "coral OR reef",
    "coral AND",
    "NOT coral",
    "^coral",
    "+coral",
    "coral:*",
    "{title}: coral",
    "col1 : coral",
    "'; DROP TABLE catalogue_searchentry; --",
    "%_\\",
    "\x00coral\x02",
    "ẞ ǅ ² ª",
    "   ",
    "",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_fts_syntax_in_the_text_never_raises(backend, texts, text):
    result = search(backend, text=text)
    assert result.total == len(result.hits)
    assert SearchEntry.objects.count() == 4


def test_words_are_plain_and_all_required(backend, texts):
    assert words('Coral* OR "reef"; NEAR(crest) -the') == ["coral", "reef", "near", "crest"]
    # OR, AND and NOT are words (stop words, dropped), never operators: all words must match.
    assert search(backend, text="coral OR reef").ids() == [1]
    assert search(backend, text="coral NEAR reef").ids() == [1]  # "near" is in its description
    assert search(backend, text="NEAR(garden coral)").total == 0
    assert search(backend, text="coral -reef").ids() == [1]
    assert search(backend, text='"coral" (twice)').ids() == [3]
    assert search(backend, text="title:coral").total == 0  # "title" is a word too
    assert set(search(backend, text="coral*").ids()) == {1, 2, 3, 4}


def test_text_without_words_matches_nothing(backend, texts):
    # As the engines: a text whose analysis leaves no term finds nothing.
    assert search(backend, text="*** ( ) :").total == 0
    assert search(backend, text="the of and").facets["platform"] == []
    assert search(backend, text="   ").total == 4  # blank: no text at all


def test_english_stemming(backend, texts):
    assert backend.stems_english
    assert set(search(backend, text="corals").ids()) == {1, 2, 3, 4}
    assert search(backend, text="surveying").ids() == [1]
    assert search(backend, text="gardens").ids() == [2]


def test_relevance_prefers_the_title(backend, texts):
    result = search(backend, text="reef")
    assert result.ids() == [1]
    hits = search(backend, text="coral").hits
    assert {hit.id for hit in hits[:2]} == {1, 2}  # title matches first
    assert all(hit.score is not None and hit.score > 0 for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert search(backend, sort="newest").hits[0].score is None


def test_relevance_without_text_is_newest(backend, texts):
    assert search(backend).ids() == search(backend, sort="newest").ids() == [4, 3, 2, 1]


# --- highlights ---------------------------------------------------------------------


def test_highlights_mark_matches_and_escape_everything_else(backend):
    backend.index(
        "set",
        [
            doc(
                1,
                title='<script>alert("x")</script> Coral & <b>reefs</b>',
                description="<img src=x onerror=alert(1)> many corals \x02forged\x03 here",
            ),
            doc(2, title="Coral", description="nothing to see"),
        ],
    )
    hits = {hit.id: hit for hit in search(backend, text="coral reef").hits}
    title = hits[1].highlights["title"][0]
    assert "<script>" not in title and "<b>" not in title
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in title
    assert "<mark>Coral</mark> &amp; &lt;b&gt;<mark>reefs</mark>&lt;/b&gt;" in title
    hits = {hit.id: hit for hit in search(backend, text="coral").hits}
    description = hits[1].highlights["description"][0]
    assert "<img" not in description and "&lt;img" in description
    assert "<mark>corals</mark>" in description
    assert description.count("<mark>") == 1  # the forged markers were removed at indexing
    assert "description" not in hits[2].highlights  # no match there: no fragment
    assert hits[2].highlights["title"] == ["<mark>Coral</mark>"]
    assert search(backend, text="coral", highlight=False).hits[0].highlights == {}


# --- versions, failures, deletes, rebuilds ----------------------------------------------


def test_versioned_upserts(backend):
    assert backend.index("set", [doc(1, revision=5, keywords=["kelp"], platform="ROV")]) == []
    assert backend.index("set", [doc(1, revision=4, keywords=["old"], platform="AUV")]) == []
    assert backend.index("set", [doc(1, revision=5, keywords=["same"])]) == []
    assert backend.revisions("set") == {1: 5}
    assert search(backend, text="kelp").ids() == [1]
    assert search(backend, text="old").total == 0
    assert search(backend, platform=["AUV"]).total == 0
    assert backend.index("set", [doc(1, revision=6, keywords=["new"], platform="AUV")]) == []
    assert search(backend, text="kelp").total == 0
    assert search(backend, text="new").ids() == [1]
    assert search(backend, platform=["ROV"]).total == 0
    assert search(backend, platform=["AUV"]).hits[0].document["revision"] == 6
    # The higher revision wins within one call too, whatever the order.
    backend.index("set", [doc(2, revision=3, title="three"), doc(2, revision=2, title="two")])
    assert search(backend, text="three").ids() == [2]


def test_malformed_documents_fail_alone(backend):
    failures = backend.index(
        "set",
        [
            doc(1),
            doc("seven"),
            doc(2, revision=None),
            doc(3, time_start="last tuesday"),
            doc(4, bbox=[1, 2, 3]),
            doc(5, polygon={"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}),
            doc(6, kind="image"),
            doc(7, years=["2020"]),
            "not a document",
            doc(8, title="NUL\x00 in the title"),
            doc(2**63),
            doc(9, size=2**64),
            doc(10, title="Lone \ud800 surrogate"),
        ],
    )
    assert [(failure.id, failure.kind) for failure in failures] == [
        (0, "set"),
        (2, "set"),
        (3, "set"),
        (4, "set"),
        (5, "set"),
        (6, "set"),
        (7, "set"),
        (0, "set"),
        (2**63, "set"),
        (9, "set"),
    ]
    assert all(failure.reason for failure in failures)
    assert "time_start" in failures[2].reason
    assert backend.revisions("set") == {1: 1, 8: 1, 10: 1}
    assert search(backend, text="nul").hits[0].document["title"] == "NUL in the title"
    assert search(backend, text="surrogate").hits[0].document["title"] == "Lone ? surrogate"


def test_delete_and_rebuild(backend):
    backend.index("set", [doc(1), doc(2), doc(3, title="Unique words")])
    backend.index("image", [doc(1, kind="image", title="Unique words")])
    backend.delete("set", [2, 99])
    assert backend.revisions("set") == {1: 1, 3: 1}
    batches = [[doc(10, title="Unique words"), doc(11)], [doc(12, platform="ROV")]]
    seen = []
    backend.rebuild("set", iter(batches), seen.append)
    assert seen == [2, 1]
    assert backend.revisions("set") == {10: 1, 11: 1, 12: 1}
    assert backend.revisions("image") == {1: 1}
    assert search(backend, text="unique").ids() == [10]
    assert search(backend, kind="image", text="unique").ids() == [1]
    assert search(backend, platform=["ROV"]).ids() == [12]
    assert not SearchValue.objects.exclude(entry__in=SearchEntry.objects.all()).exists()


def test_a_failed_rebuild_keeps_the_old_index(backend):
    backend.index("set", [doc(1), doc(2)])

    def batches():
        yield [doc(10)]
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        backend.rebuild("set", batches())
    assert backend.revisions("set") == {1: 1, 2: 1}


@pytest.mark.django_db(transaction=True)
def test_concurrent_upserts_keep_the_highest_revision(backend):
    ids = list(range(1, 21))
    revisions = list(range(1, 13))
    plans = []
    for seed in range(6):
        rng = random.Random(seed)
        plan = [
            [doc(object_id, revision=rng.choice(revisions)) for object_id in rng.sample(ids, 12)]
            for _ in range(4)
        ]
        plans.append(plan)
    for plan in plans:  # every document's keywords and title say its revision
        for batch in plan:
            for document in batch:
                revision = document["revision"]
                document["title"] = f"revision r{revision}"
                document["keywords"] = [f"k{revision}"]
    errors = []
    start = threading.Barrier(len(plans))

    def run(plan):
        try:
            start.wait()
            for batch in plan:
                assert DatabaseBackend().index("set", batch) == []
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = {}
    for plan in plans:
        for batch in plan:
            for document in batch:
                expected[document["id"]] = max(
                    expected.get(document["id"], 0), document["revision"]
                )
    assert backend.revisions("set") == expected
    for object_id, revision in expected.items():
        entry = SearchEntry.objects.get(kind="set", object_id=object_id)
        assert entry.document["revision"] == revision
        assert list(entry.terms.filter(field="keywords").values_list("value", flat=True)) == [
            f"k{revision}"
        ]
    for revision in set(expected.values()):
        wanted = sorted(i for i, r in expected.items() if r == revision)
        assert sorted(search(backend, text=f"r{revision}", page_size=50).ids()) == wanted
        assert sorted(search(backend, text=f"k{revision}", page_size=50).ids()) == wanted


# --- filters, visibility and facets --------------------------------------------------------


def test_visibility_applies_to_hits_totals_facets_and_suggestions(backend):
    backend.index(
        "set",
        [
            doc(1, title="Open coral", platform="ROV"),
            doc(2, title="Draft coral", state="draft", owner_id=7, platform="AUV"),
            doc(3, title="Curated coral", state="draft", curator_ids=[8], platform="AUV"),
            doc(4, title="Embargo ends today", access="embargoed", embargo_until="2026-06-01"),
            doc(5, title="Embargo ends later", access="embargoed", embargo_until="2026-06-02"),
            doc(6, title="Restricted coral", access="restricted", platform="AUV"),
        ],
    )
    owner = Visibility(everything=False, user_id=7, today=TODAY)
    curator = Visibility(everything=False, user_id=8, today=TODAY)
    assert sorted(search(backend, ANONYMOUS).ids()) == [1, 4]
    assert sorted(search(backend, owner).ids()) == [1, 2, 4]
    assert sorted(search(backend, curator).ids()) == [1, 3, 4]
    assert search(backend, STAFF).total == 6
    assert search(backend, ANONYMOUS).facet_counts("platform") == {"ROV": 1}
    assert search(backend, owner).facet_counts("platform") == {"ROV": 1, "AUV": 1}
    assert search(backend, STAFF).facet_counts("platform") == {"AUV": 3, "ROV": 1}
    assert search(backend, ANONYMOUS, text="coral").ids() == [1]
    assert backend.suggest("emb", ANONYMOUS) == ["Embargo ends today"]
    assert backend.suggest("DRAFT", owner) == ["Draft coral"]
    assert backend.suggest("draft", ANONYMOUS) == []


def test_term_filters_or_within_and_across_fields(backend):
    backend.index(
        "set",
        [
            doc(1, platform="ROV", years=[2019, 2020], taxon_path=["Animalia", "Cnidaria"]),
            doc(2, platform="AUV", years=[2020], taxon_path=["Animalia"]),
            doc(3, platform="AUV", years=[2021], access="embargoed", embargo_until="2020-01-01"),
            doc(4, platform="rov", set_id=1),
        ],
    )
    assert sorted(search(backend, platform=["ROV", "AUV"]).ids()) == [1, 2, 3]
    assert search(backend, platform=["ROV"]).ids() == [1]  # case matters, as for keywords
    assert search(backend, platform=["AUV"], year=[2020]).ids() == [2]
    assert sorted(search(backend, year=[2020, 2021]).ids()) == [1, 2, 3]
    assert sorted(search(backend, taxon=["Animalia"]).ids()) == [1, 2]
    assert search(backend, access=["embargoed"]).ids() == [3]
    assert sorted(search(backend, image_set=[1]).ids()) == [1, 4]


def test_facets_keep_types_skip_empty_values_and_sort(backend):
    backend.index(
        "set",
        [
            doc(1, years=[2020, 2021], has_annotations=True, labels=["b", "a"], modality=""),
            doc(2, years=[2021, 999], labels=["a"], platform="ROV"),
            doc(3, years=[2021], labels=["c", ""], platform="AUV"),
        ],
    )
    facets = search(backend).facets
    assert [(v.value, v.count) for v in facets["year"]] == [(2021, 3), (999, 1), (2020, 1)]
    assert [(v.value, v.count) for v in facets["has_annotations"]] == [(False, 2), (True, 1)]
    assert [(v.value, v.count) for v in facets["label"]] == [("a", 2), ("b", 1), ("c", 1)]
    assert [(v.value, v.count) for v in facets["platform"]] == [("AUV", 1), ("ROV", 1)]
    assert facets["modality"] == []
    only = search(backend, facets=["year"], platform=["ROV"])
    assert list(only.facets) == ["year"]
    assert only.facet_counts("year") == {2021: 1, 999: 1}


def test_at_most_fifty_facet_values(backend):
    backend.index("set", [doc(1, keywords=[], labels=[f"label {i:03d}" for i in range(80)])])
    values = search(backend).facets["label"]
    assert len(values) == 50
    assert values[0].value == "label 000" and values[-1].value == "label 049"


def test_time_and_depth_overlap(backend):
    backend.index(
        "set",
        [
            doc(1, time_start="2020-01-01T00:00:00+00:00", time_end="2020-12-31T00:00:00+00:00"),
            doc(2, time_start="2021-06-01T00:00:00", time_end=None, depth_min=10, depth_max=200),
            doc(3, depth_min=None, depth_max=50),
            doc(4),
        ],
    )
    moment = datetime(2020, 6, 1, tzinfo=UTC)
    assert search(backend, time_from=moment, time_to=moment).ids() == [1]
    # A filter on a missing end never matches (as a range query on a missing field).
    assert search(backend, time_from=datetime(2020, 6, 1, tzinfo=UTC)).ids() == [1]
    assert sorted(search(backend, time_to=datetime(2021, 6, 1, tzinfo=UTC)).ids()) == [1, 2]
    assert search(backend, time_to=datetime(2019, 1, 1, tzinfo=UTC)).total == 0
    assert search(backend, depth_min=150, depth_max=300).ids() == [2]
    assert search(backend, depth_max=50).ids() == [2]
    assert sorted(search(backend, depth_min=50).ids()) == [2, 3]
    assert search(backend, depth_min=51).ids() == [2]


def test_bbox_meets_the_coverage_including_across_the_antimeridian(backend):
    triangle = {"type": "Polygon", "coordinates": [[[40, 0], [50, 0], [40, 10], [40, 0]]]}
    backend.index(
        "set",
        [
            doc(1, bbox=[0, 0, 10, 10]),
            doc(2, bbox=[170, -10, -170, 10]),  # crosses 180
            doc(3, point=[5, 5], bbox=None),
            doc(4, bbox=[40, 0, 50, 10], polygon=triangle),  # the polygon is the coverage
        ],
    )
    assert search(backend, bbox=(10, 10, 20, 20)).ids() == [1]  # touching
    assert sorted(search(backend, bbox=(4, 4, 6, 6)).ids()) == [1, 3]
    assert search(backend, bbox=(175, 0, 180, 5)).ids() == [2]
    assert search(backend, bbox=(-180, 0, -175, 5)).ids() == [2]
    assert sorted(search(backend, bbox=(0, 0, 160, 5)).ids()) == [1, 3, 4]
    assert search(backend, bbox=(-160, 0, 160, 5)).total == 3
    # Inside the polygon's bounding box, beyond its hypotenuse.
    result = search(backend, bbox=(46, 6, 50, 10), facets=["access"])
    assert result.total == 0 and result.facets == {"access": []}
    assert search(backend, bbox=(45, 5, 50, 10)).ids() == [4]  # a corner on the hypotenuse


def test_polygon_is_refined_beyond_the_bounding_box(backend):
    triangle = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [0, 10], [0, 0]]]}
    backend.index(
        "set",
        [
            doc(1, bbox=[0, 0, 10, 10], polygon=triangle),
            doc(2, bbox=[7, 7, 9, 9]),
            doc(3, bbox=None, polygon=triangle),
            doc(4, bbox=[20, 20, 30, 30]),
        ],
    )
    backend.index(
        "image",
        [
            doc(1, kind="image", point=[8, 8], bbox=[8, 8, 8, 8]),
            doc(2, kind="image", point=[2, 2], bbox=[2, 2, 2, 2]),
            doc(3, kind="image", point=[5, 5], bbox=[5, 5, 5, 5]),
        ],
    )
    upper = [[6, 6], [10, 6], [10, 10], [6, 10], [6, 6]]  # past the hypotenuse
    assert search(backend, polygon=upper).ids() == [2]
    lower = [[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]
    assert sorted(search(backend, polygon=lower).ids()) == [1, 3]
    assert search(backend, kind="image", polygon=upper).ids() == [1]
    assert search(backend, kind="image", polygon=lower).ids() == [2]
    touching = [[5, 5], [6, 5], [6, 6], [5, 5]]  # touches the hypotenuse at (5, 5)
    assert sorted(search(backend, polygon=touching).ids()) == [1, 3]
    assert search(backend, kind="image", polygon=touching).ids() == [3]
    result = search(backend, polygon=lower, facets=["platform", "year"])
    assert result.total == 2 and result.facets == {"platform": [], "year": []}
    around = [[-1, -1], [40, -1], [40, 40], [-1, 40], [-1, -1]]
    assert search(backend, polygon=around, page_size=1).total == 4


# --- sorting and paging -----------------------------------------------------------------


@pytest.fixture
def many(backend):
    backend.index(
        "set",
        [
            doc(
                object_id,
                size=(object_id * 7) % 5,
                created="2025-01-01T00:00:00+00:00" if object_id % 3 else None,
                title="Coral " + "reef " * (object_id % 4),
            )
            for object_id in range(1, 31)
        ],
    )


def walk(backend, **params):
    ids, after, pages = [], None, 0
    while True:
        result = search(backend, page_size=7, after=after, **params)
        ids += result.ids()
        pages += 1
        assert result.total == 30
        if result.next_page is None:
            return ids, pages
        after = result.next_page


@pytest.mark.parametrize("sort", ["newest", "largest", "relevance"])
def test_keyset_pages_follow_the_order(backend, many, sort):
    everything = search(backend, sort=sort, page_size=50).ids()
    assert len(everything) == 30
    assert walk(backend, sort=sort) == (everything, 5)
    by_page = [search(backend, sort=sort, page_size=7, page=page).ids() for page in range(1, 6)]
    assert [i for page in by_page for i in page] == everything
    with_text = search(backend, sort=sort, text="coral", page_size=50).ids()
    assert walk(backend, sort=sort, text="coral") == (with_text, 5)


def test_sort_orders(backend, many):
    newest = search(backend, sort="newest", page_size=50).hits
    keys = [(hit.document["created"] or "", hit.id) for hit in newest]
    dated = [key for key in keys if key[0]]
    assert keys[: len(dated)] == sorted(dated, reverse=True)  # undated last
    largest = search(backend, sort="largest", page_size=50).hits
    assert [(h.document["size"], h.id) for h in largest] == sorted(
        ((h.document["size"], h.id) for h in largest), reverse=True
    )
    relevance = search(backend, text="reef", page_size=50).hits
    keys = [(-hit.score, hit.id) for hit in relevance]
    assert keys == sorted(keys)


def test_a_token_of_another_search_is_refused(backend, many):
    token = search(backend, sort="newest", page_size=5).next_page
    with pytest.raises(QueryError):
        search(backend, sort="largest", after=token)
    with pytest.raises(QueryError):
        search(backend, sort="newest", after="forged")
    relevance = search(backend, page_size=5).next_page  # relevance without text: a keyset
    with pytest.raises(QueryError):
        search(backend, text="coral", after=relevance)


def test_no_next_page_on_the_last_page(backend, many):
    assert search(backend, page_size=30).next_page is None
    assert search(backend, page_size=29).next_page is not None


# --- suggestions -----------------------------------------------------------------------


def test_suggestions_are_distinct_and_most_frequent_first(backend):
    backend.index(
        "set",
        [
            doc(1, title="Corals of Curaçao", taxa=["Corallium rubrum"], instrument="Camera"),
            doc(2, title="Corals of Curaçao", taxa=["Coryphaena"], instrument="CTD"),
            doc(3, title="Kelp", taxa=["Corallium rubrum", "Macrocystis"]),
            doc(4, title="Corallium rubrum", instrument="Coring camera"),
            doc(5, state="draft", title="Coryphaena hidden", taxa=["Coryphaena"]),
        ],
    )
    # Images repeat their set's title and instrument: suggestions count sets only.
    backend.index("image", [doc(i, kind="image", title="Coryphaena") for i in range(1, 9)])
    assert backend.suggest("cor", ANONYMOUS) == [
        "Corallium rubrum",
        "Corals of Curaçao",
        "Coring camera",
        "Coryphaena",
    ]
    assert backend.suggest("cor", ANONYMOUS, limit=2) == ["Corallium rubrum", "Corals of Curaçao"]
    assert backend.suggest("c", ANONYMOUS, limit=10)[:2] == [
        "Corallium rubrum",
        "Corals of Curaçao",
    ]
    assert backend.suggest("%", ANONYMOUS) == []
    assert backend.suggest("coryphaena h", STAFF) == ["Coryphaena hidden"]
    assert backend.suggest("", ANONYMOUS) == []


def test_setup_and_refresh_do_nothing(backend):
    backend.setup()
    backend.refresh()
    assert connection.vendor in ("sqlite", "postgresql")
