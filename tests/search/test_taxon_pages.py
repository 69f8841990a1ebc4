"""The matched taxon, the taxon tree and taxon suggestions where people see them:
the search page and the REST API (database backend; the backends themselves are
tested alike in test_taxon_search.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from catalogue.access import SYSTEM
from catalogue.services import create_image_set
from tests.conftest import index_all
from tests.search.test_taxon_search import write_taxa

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(local_files_database_search):
    write_taxa()
    owner = get_user_model().objects.create_user("owner")
    chains = create_image_set(
        actor=SYSTEM,
        owner=owner,
        state="published",
        access="open",
        title="Chains in the Skagerrak",
        taxa=[{"scientific_name": "Chaetoceros", "aphia_id": 148985, "rank": "Genus"}],
    )
    hidden = create_image_set(
        actor=SYSTEM,
        owner=owner,
        title="Draft of copepods",
        taxa=[{"scientific_name": "Calanus", "aphia_id": 104152, "rank": "Genus"}],
    )
    index_all()
    return {"chains": chains, "hidden": hidden}


def test_the_page_says_which_taxon_the_words_name(client, catalogue):
    page = client.get("/search/", {"q": "diatoms"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Chains in the Skagerrak" in html
    assert 'class="matched-taxa"' in html and "Bacillariophyceae</a> (Class)" in html
    assert 'data-aphia-id="148899"' in html
    assert "Taxon: Bacillariophyceae" in html  # on the result card


def test_the_page_shows_the_taxon_tree_with_ranks(client, catalogue):
    html = client.get("/search/").content.decode()
    tree = html[html.index('class="facet-values taxon-tree"') :]
    assert tree.index("Chromista") < tree.index("Bacillariophyceae") < tree.index("Chaetoceros")
    assert '<span class="rank">Class</span>' in tree
    assert "Calanus" not in tree  # only a draft holds it


def test_the_api_answers_the_matched_taxa_and_the_tree(client, catalogue):
    answer = client.get("/api/v1/search/", {"q": "diatom"}).json()
    assert [hit["id"] for hit in answer["hits"]] == [catalogue["chains"].pk]
    assert answer["hits"][0]["matched_taxa"] == ["Bacillariophyceae"]
    [match] = [m for m in answer["matched_taxa"] if m["aphia_id"] == 148899]
    assert match["label"] == "Bacillariophyceae (Class)" and match["via"] == "vernacular"
    [root] = [n for n in answer["taxon_tree"] if n["value"] == "Chromista"]
    assert root["rank"] == "Kingdom" and root["count"] == 1


def test_the_api_suggests_taxa_with_rank_and_vernacular(client, catalogue):
    answer = client.get("/api/v1/search/suggestions/", {"q": "diat"}).json()
    [diatoms] = [t for t in answer["taxa"] if t["aphia_id"] == 148899]
    assert diatoms["label"] == "Bacillariophyceae (Class) · diatoms" and diatoms["count"] == 1
    hidden = client.get("/api/v1/search/suggestions/", {"q": "Calan"}).json()
    assert [t for t in hidden["taxa"] if t["aphia_id"] == 104152] == []
