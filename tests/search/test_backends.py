"""One suite, every backend: the same queries give the same hits and facet counts.

Each test runs on the database backend (SQLite or PostgreSQL, whichever the
suite runs on), OpenSearch and Elasticsearch.
"""

from __future__ import annotations

import datetime as dt

import pytest

from catalogue.access import SYSTEM
from catalogue.search.documents import documents
from catalogue.search.maintenance import truth
from catalogue.search.query import QueryError, SearchQuery, query_from_params
from catalogue.services import create_image_set

UTC = dt.UTC


def ids(backend, corpus, who=None, **params) -> list[int]:
    result = backend.search(SearchQuery(**params).validate(), corpus.viewer(who))
    assert result.total == len(result.hits) or result.next_page
    return sorted(result.ids())


def search(backend, corpus, who=None, **params):
    return backend.search(SearchQuery(**params).validate(), corpus.viewer(who))


PUBLIC = ("diatoms", "copepods", "oil", "past_embargo")
EVERYTHING = (*PUBLIC, "embargoed", "restricted", "draft")


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        (None, PUBLIC),
        ("carol", PUBLIC),
        ("bob", (*PUBLIC, "restricted")),  # curator of the restricted set
        ("alice", EVERYTHING),  # owner of all
        ("dave", EVERYTHING),  # staff
    ],
)
def test_visibility_of_sets_hits_totals_and_facets(backend, indexed, who, visible):
    result = search(backend, indexed, who, page_size=50)
    assert sorted(result.ids()) == indexed.ids(*visible)
    assert result.total == len(visible)
    assert sum(result.facet_counts("access").values()) == len(visible)
    instruments = result.facet_counts("instrument")
    expected = {}
    for key in visible:
        instrument = indexed.sets[key].instrument
        expected[instrument] = expected.get(instrument, 0) + 1
    assert instruments == expected


def test_images_of_hidden_sets_are_hidden(backend, indexed):
    anonymous = search(backend, indexed, None, kind="image", page_size=100)
    public_images = sorted(i.pk for key in PUBLIC for i in indexed.images[key])
    assert sorted(anonymous.ids()) == public_images
    assert anonymous.total == len(public_images)
    owner = search(backend, indexed, "alice", kind="image", page_size=100)
    assert owner.total == sum(len(v) for v in indexed.images.values())


def test_text_matches_all_terms(backend, indexed):
    assert ids(backend, indexed, text="diatom") == indexed.ids("diatoms")
    assert ids(backend, indexed, "alice", text="diatom") == indexed.ids("diatoms", "draft")
    assert ids(backend, indexed, text="baltic copepods") == indexed.ids("copepods")
    assert ids(backend, indexed, text="baltic diatom") == []
    assert ids(backend, indexed, text="FlowCam") == indexed.ids("diatoms", "past_embargo")


def test_english_stemming(backend, indexed):
    if not backend.stems_english:
        pytest.skip(f"{backend.name} on this server has no English analyzer")
    assert ids(backend, indexed, text="blooming") == indexed.ids("diatoms")
    assert ids(backend, indexed, text="scan") == indexed.ids("copepods")


def test_hostile_text_never_fails(backend, indexed):
    for text in ['"unclosed', "a AND (b", "NEAR(x y)", "*", "-", "title:x", "<script>", "ü ß"]:
        search(backend, indexed, text=text)


def test_term_filters_or_within_and_across(backend, indexed):
    assert ids(backend, indexed, instrument=["FlowCam"]) == indexed.ids("diatoms", "past_embargo")
    assert ids(backend, indexed, instrument=["FlowCam", "ZooScan"]) == indexed.ids(
        "diatoms", "copepods", "past_embargo"
    )
    assert ids(backend, indexed, instrument=["FlowCam"], modality=["flow-imaging"]) == (
        indexed.ids("diatoms")
    )
    assert ids(backend, indexed, licence=["CC0-1.0"]) == indexed.ids("copepods")
    assert ids(backend, indexed, platform=["Sentinel-1A"]) == indexed.ids("oil")
    assert ids(backend, indexed, research_infrastructure=["EMBRC"]) == indexed.ids("copepods")
    assert ids(backend, indexed, access=["embargoed"]) == indexed.ids("past_embargo")


def test_taxon_matches_descendants(backend, indexed):
    assert ids(backend, indexed, taxon=["Copepoda"]) == indexed.ids("copepods")
    assert ids(backend, indexed, taxon=["Arthropoda"]) == indexed.ids("copepods")
    assert ids(backend, indexed, "dave", taxon=["Copepoda"]) == indexed.ids("copepods", "embargoed")
    assert ids(backend, indexed, taxon=["Chromista"]) == indexed.ids("diatoms")
    assert ids(backend, indexed, taxon=["Calanidae"], kind="image") == sorted(
        i.pk for i in indexed.images["copepods"]
    )


def test_labels_and_annotations(backend, indexed):
    assert ids(backend, indexed, has_annotations=True) == indexed.ids("diatoms", "copepods")
    assert ids(backend, indexed, has_annotations=False) == indexed.ids("oil", "past_embargo")
    dinos = ids(backend, indexed, kind="image", label=["Dinoflagellata"])
    assert dinos == [indexed.images["diatoms"][2].pk]
    counts = search(backend, indexed, kind="image", page_size=100).facet_counts("label")
    assert counts == {"Bacillariophyceae": 2, "Calanus finmarchicus": 2, "Dinoflagellata": 1}


def test_predicted_classes_filter_and_facet(backend, indexed):
    diatoms, copepods = indexed.images["diatoms"], indexed.images["copepods"]
    assert ids(backend, indexed, predicted=["Chaetoceros"]) == indexed.ids("diatoms")
    assert ids(backend, indexed, "dave", predicted=["Chaetoceros"]) == (
        indexed.ids("diatoms", "embargoed")
    )
    assert ids(backend, indexed, predicted=["Calanus", "Skeletonema"]) == (
        indexed.ids("diatoms", "copepods")
    )
    assert ids(backend, indexed, predicted=["Calanus"], instrument=["FlowCam"]) == []
    assert ids(backend, indexed, kind="image", predicted=["Chaetoceros"]) == sorted(
        i.pk for i in diatoms[:2]
    )
    assert ids(backend, indexed, kind="image", predicted=["Calanus"]) == [copepods[1].pk]
    assert ids(backend, indexed, "dave", kind="image", predicted=["Calanus"]) == sorted(
        [copepods[1].pk, indexed.images["embargoed"][0].pk]
    )
    sets = search(backend, indexed, page_size=50).facet_counts("predicted")
    assert sets == {"Chaetoceros": 1, "Skeletonema": 1, "Calanus": 1}
    everything = search(backend, indexed, "dave", page_size=50).facet_counts("predicted")
    assert everything == {"Chaetoceros": 2, "Skeletonema": 1, "Calanus": 2}
    images = search(backend, indexed, kind="image", page_size=100).facet_counts("predicted")
    assert images == {"Chaetoceros": 2, "Skeletonema": 1, "Calanus": 1}
    [hit] = search(backend, indexed, predicted=["Skeletonema"]).hits
    assert hit.document["predicted"] == ["Chaetoceros", "Skeletonema"]
    assert hit.document["predicted_share"] == round(2 / 3, 4)
    assert query_from_params({"predicted": ["Calanus,Chaetoceros"]}).predicted == [
        "Calanus",
        "Chaetoceros",
    ]


def test_bbox_and_polygon_intersect_coverage(backend, indexed):
    assert ids(backend, indexed, bbox=(3.0, 51.5, 16.0, 55.0)) == indexed.ids("diatoms", "copepods")
    assert ids(backend, indexed, bbox=(3.5, 52.0, 4.0, 53.0)) == indexed.ids("diatoms")  # touch
    assert ids(backend, indexed, bbox=(100.0, -10.0, 110.0, 0.0)) == []
    # A triangle whose bounding box covers both sets but whose area reaches only the Baltic.
    triangle = [[1.0, 58.5], [21.0, 58.5], [21.0, 53.0], [1.0, 58.5]]
    assert ids(backend, indexed, polygon=triangle) == indexed.ids("copepods")
    assert ids(backend, indexed, "alice", bbox=(3.2, 60.2, 3.4, 60.4)) == indexed.ids("restricted")


def test_time_and_depth_overlap(backend, indexed):
    window = {"time_from": dt.datetime(2021, 9, 1, tzinfo=UTC)}
    window["time_to"] = dt.datetime(2022, 3, 5, tzinfo=UTC)
    assert ids(backend, indexed, **window) == indexed.ids("diatoms")
    assert ids(backend, indexed, "dave", **window) == indexed.ids("diatoms", "embargoed")
    assert ids(backend, indexed, depth_min=50, depth_max=100) == indexed.ids("copepods")
    assert ids(backend, indexed, depth_min=10, depth_max=20) == indexed.ids("diatoms", "copepods")
    assert ids(backend, indexed, year=[2019]) == indexed.ids("copepods")
    assert ids(backend, indexed, year=[2018, 2020]) == indexed.ids("oil", "past_embargo")


def test_facets_count_the_whole_result(backend, indexed):
    result = search(backend, indexed, licence=["CC-BY-4.0"], page_size=1)
    assert result.total == 3
    assert len(result.hits) == 1
    assert result.facet_counts("licence") == {"CC-BY-4.0": 3}
    assert result.facet_counts("year") == {2018: 1, 2020: 1, 2021: 1}
    assert result.facet_counts("has_annotations") == {True: 1, False: 2}
    taxa = search(backend, indexed, page_size=1).facet_counts("taxon")
    assert taxa["Chromista"] == 1 and taxa["Copepoda"] == 1 and taxa["Calanus"] == 1


def expected_order(kind, pks, sort):
    docs = list(documents(kind, pks))
    key = "created" if sort == "newest" else "size"
    docs.sort(key=lambda d: (d[key], d["id"]), reverse=True)
    return [d["id"] for d in docs]


@pytest.mark.parametrize("sort", ["newest", "largest"])
def test_sorts(backend, indexed, sort):
    result = search(backend, indexed, "dave", sort=sort, page_size=50)
    assert result.ids() == expected_order("set", [s.pk for s in indexed.sets.values()], sort)


def test_relevance_puts_title_matches_first(backend, indexed):
    result = search(backend, indexed, "alice", text="diatom", sort="relevance")
    assert set(result.ids()) == set(indexed.ids("diatoms", "draft"))
    assert all(hit.score is not None for hit in result.hits)


@pytest.mark.parametrize("sort", ["newest", "largest", "relevance"])
def test_deep_paging_visits_every_hit_once(backend, indexed, sort):
    seen, after, pages = [], None, 0
    while True:
        result = search(backend, indexed, "dave", sort=sort, page_size=2, after=after)
        assert result.total == len(EVERYTHING)
        seen += result.ids()
        pages += 1
        after = result.next_page
        if not after:
            break
    assert sorted(seen) == indexed.ids(*EVERYTHING)
    assert pages == 4


def test_page_numbers(backend, indexed):
    first = search(backend, indexed, "dave", sort="newest", page_size=3, page=1).ids()
    third = search(backend, indexed, "dave", sort="newest", page_size=3, page=3).ids()
    everything = search(backend, indexed, "dave", sort="newest", page_size=50).ids()
    assert (
        first + search(backend, indexed, "dave", sort="newest", page_size=3, page=2).ids() + (third)
        == everything
    )


def test_highlights_are_escaped(backend, indexed):

    # A published set's title is frozen: the hostile title comes with a new set.
    hostile = create_image_set(
        title="<script>alert(1)</script> Oil slicks",
        description="Sentinel-1 scenes with slicks outlined.",
        state="published",
        actor=SYSTEM,
    )
    backend.index("set", list(documents("set", [hostile.pk])))
    backend.refresh()
    hit = search(backend, indexed, text="slicks").hits[0]
    fragments = " ".join(hit.highlights.get("title", []))
    assert "<mark>" in fragments
    assert "<script>" not in fragments and "&lt;script&gt;" in fragments
    copepods = search(backend, indexed, text="copepods").hits[0]
    assert "<mark>Copepods</mark>" in " ".join(copepods.highlights["title"])


def test_suggestions_respect_visibility(backend, indexed):
    viewer = indexed.viewer(None)
    suggestions = backend.suggest("dia", viewer)
    assert "Diatoms of the North Sea" in suggestions
    assert "Draft diatom micrographs" not in backend.suggest("draft", viewer)
    assert "Draft diatom micrographs" in backend.suggest("draft", indexed.viewer("alice"))
    assert "Calanus finmarchicus" in backend.suggest("cal", viewer)
    assert "FlowCam" in backend.suggest("flow", viewer)
    assert "UVP5" not in backend.suggest("uvp", viewer)


def test_versions_ignore_stale_and_repeated_writes(backend, indexed):
    image_set = indexed.sets["copepods"]
    [current] = documents("set", [image_set.pk])
    newer = {**current, "revision": current["revision"] + 5, "title": "Newer title"}
    older = {**current, "revision": current["revision"] + 1, "title": "Older title"}
    assert backend.index("set", [newer]) == []
    assert backend.index("set", [older]) == []  # late: ignored, not an error
    assert backend.index("set", [newer]) == []  # repeated: no change
    backend.refresh()
    [hit] = search(backend, indexed, text="newer title").hits
    assert hit.document["title"] == "Newer title"
    assert ids(backend, indexed, text="older") == []
    assert backend.revisions("set")[image_set.pk] == newer["revision"]


def test_revisions_and_delete(backend, indexed):
    assert backend.revisions("set") == truth("set")
    assert backend.revisions("image") == truth("image")
    gone = indexed.sets["oil"].pk
    backend.delete("set", [gone, 987654321])
    backend.refresh()
    assert gone not in backend.revisions("set")
    assert gone not in ids(backend, indexed, "dave", page_size=50)


def test_rebuild_replaces_the_index(backend, indexed):
    docs = list(documents("set", [indexed.sets["diatoms"].pk]))
    seen = []
    backend.rebuild("set", iter([docs]), seen.append)
    backend.refresh()
    assert seen == [1]
    assert ids(backend, indexed, "dave", page_size=50) == indexed.ids("diatoms")


def test_invalid_queries_name_the_field():
    with pytest.raises(QueryError) as caught:
        query_from_params({"bbox": ["10,0,5,1"]})
    assert caught.value.field == "bbox"
    with pytest.raises(QueryError) as caught:
        query_from_params({"depth_min": ["deep"]})
    assert caught.value.field == "depth_min"
    with pytest.raises(QueryError) as caught:
        query_from_params({"instrumnet": ["FlowCam"]})
    assert caught.value.field == "instrumnet"
    query = query_from_params(
        {"q": ["diatoms"], "instrument": ["FlowCam,ZooScan"], "bbox": ["0,50,5,55"]}
    )
    assert query.instrument == ["FlowCam", "ZooScan"]
    assert query.bbox == (0.0, 50.0, 5.0, 55.0)


def test_forged_page_token_is_refused(backend, indexed):
    with pytest.raises(QueryError) as caught:
        search(backend, indexed, sort="newest", after="eyJmb3JnZWQiOnRydWV9:x:y")
    assert caught.value.field == "after"


def test_nul_characters_are_refused_in_filters_and_dropped_from_text():
    with pytest.raises(QueryError) as caught:
        query_from_params({"platform": ["RV\x00Belgica"]})
    assert caught.value.field == "platform" and "NUL" in caught.value.reason
    assert query_from_params({"q": ["dia\x00tom"]}).text == "diatom"
