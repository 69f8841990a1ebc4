"""The WoRMS client against a fake WoRMS on loopback (tests/worms_fake.py): exact and
fuzzy matches, synonyms, 204, 400, 429 with Retry-After honoured, 5xx retried,
timeouts, and a WoRMS that stays down."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from catalogue.vocabularies.taxa.worms import (
    DOWN_KEY,
    WormsBadRequest,
    WormsClient,
    WormsUnavailable,
)
from tests.catalogue import taxa_support

worms, worms_down = taxa_support.worms, taxa_support.worms_down  # fixtures


def test_match_names_exact_synonym_fuzzy_and_none(worms):
    answers = WormsClient().records_by_match_names(
        ["Oncaeidae", "Rhiniodontidae", "Oncaeidea", "Nothing here"]
    )
    oncaeidae, synonym, fuzzy, nothing = answers
    assert [(r["AphiaID"], r["match_type"], r["status"]) for r in oncaeidae] == [
        (128586, "exact", "accepted")
    ]
    assert synonym[0]["status"] == "unaccepted" and synonym[0]["valid_AphiaID"] == 105706
    assert fuzzy and all(r["match_type"] != "exact" for r in fuzzy)
    assert "Oncaeidae" in {r["scientificname"] for r in fuzzy}
    assert nothing == []
    assert "marine_only=false" in worms.calls[0]


def test_no_match_at_all_is_204_and_an_empty_answer(worms):
    assert WormsClient().records_by_match_names(["Nothing here"]) == [[]]
    assert WormsClient().record(9999999) is None


def test_record_classification_and_vernaculars(worms):
    client = WormsClient()
    assert client.record(1080)["scientificname"] == "Copepoda"
    path = client.classification(128586)
    assert [step["scientificname"] for step in path][:3] == ["Biota", "Animalia", "Arthropoda"]
    assert path[-1]["AphiaID"] == 128586
    names = {(v["vernacular"], v["language_code"]) for v in client.vernaculars(105706)}
    assert ("whale shark", "eng") in names


def test_a_bad_request_is_an_error_not_a_retry(worms):
    with pytest.raises(WormsBadRequest):
        WormsClient().get("AphiaRecordsByMatchNames", [("marine_only", "false")])
    assert len(worms.calls) == 1


def test_429_waits_as_retry_after_says(worms):
    worms.fail_next(429, retry_after="1")
    started = time.monotonic()
    assert WormsClient().record(1080)["AphiaID"] == 1080
    assert time.monotonic() - started >= 1
    assert len(worms.calls) == 2


def test_429_asking_too_long_a_wait_is_unavailable(worms, settings):
    settings.WORMS_MAX_WAIT = 2
    worms.fail_next(429, retry_after="3600")
    with pytest.raises(WormsUnavailable):
        WormsClient().record(1080)
    assert len(worms.calls) == 1


def test_5xx_is_retried_then_answers(worms):
    worms.fail_next(503, times=2)
    assert WormsClient().record(1080)["AphiaID"] == 1080
    assert len(worms.calls) == 3


def test_5xx_beyond_the_retries_is_unavailable_and_remembered(worms):
    worms.fail_next(500, times=3)
    with pytest.raises(WormsUnavailable, match="HTTP 500"):
        WormsClient().record(1080)
    assert len(worms.calls) == 3
    assert cache.get(DOWN_KEY)
    with pytest.raises(WormsUnavailable, match="recently"):
        WormsClient().record(1080)
    assert len(worms.calls) == 3  # not asked again while it is down


def test_a_slow_answer_times_out_and_is_retried(worms, settings):
    settings.WORMS_TIMEOUT = 0.3
    worms.slow_next(1.0)
    assert WormsClient().record(1080)["AphiaID"] == 1080
    assert len(worms.calls) == 2


def test_unreachable_worms_is_unavailable_at_once(worms_down):
    with pytest.raises(WormsUnavailable, match="cannot connect"):
        WormsClient().record(1080)
