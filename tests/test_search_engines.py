"""The search engines: a real index round trip through AquaCat's engine module."""

import os
import uuid

import pytest

from catalogue.search.backends.engine.client import SearchEngineError, connect, detect_engine

ENGINES = [
    pytest.param("opensearch", marks=pytest.mark.services("opensearch"), id="opensearch"),
    pytest.param("elasticsearch", marks=pytest.mark.services("elasticsearch"), id="elasticsearch"),
]


@pytest.mark.parametrize("kind", ENGINES)
def test_detects_the_engine(kind):
    assert detect_engine(os.environ[f"SEARCH_URL_{kind.upper()}"]) == kind


@pytest.mark.parametrize("kind", ENGINES)
def test_index_and_search_round_trip(kind):
    engine = connect(os.environ[f"SEARCH_URL_{kind.upper()}"], kind)
    index = f"aquacat-test-{uuid.uuid4().hex}"
    engine.create_index(
        index,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"title": {"type": "text"}, "taxon": {"type": "keyword"}}},
    )
    try:
        engine.index_document(
            index,
            "1",
            {"title": "Diatoms of the North Sea", "taxon": "Bacillariophyceae"},
            refresh=True,
        )
        engine.index_document(
            index, "2", {"title": "Copepods in the Baltic", "taxon": "Copepoda"}, refresh=True
        )
        found = engine.search(index, {"query": {"match": {"title": "diatoms"}}})
        assert [hit["_id"] for hit in found["hits"]["hits"]] == ["1"]
        assert engine.client.indices.exists(index=index)
    finally:
        engine.delete_index(index)
    assert not engine.client.indices.exists(index=index)


def test_unreachable_engine_is_a_clear_error(closed_port):
    with pytest.raises(SearchEngineError, match="unreachable"):
        detect_engine(f"http://127.0.0.1:{closed_port}", timeout=2)
