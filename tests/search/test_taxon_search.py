"""Taxon-aware search, the same on every backend: vernacular names, synonyms,
higher taxa and the domain's word parts find sets and images; the matched taxon
is said; the taxon facet is a tree by rank; suggestions offer taxa; what a
viewer may not see is never found nor counted.

Taxon rows are WoRMS records (real AphiaIDs; lineages shortened to the ranks
the tests need), written over whatever the bundled snapshot holds.
"""

from __future__ import annotations

import pytest

from catalogue.access import SYSTEM
from catalogue.models import Taxon
from catalogue.search import taxon_queries
from catalogue.search.query import SearchQuery
from catalogue.search.taxonomy import expand, singular
from catalogue.search.wordparts import word_parts
from catalogue.selectors import search_catalogue
from catalogue.services import create_image_set
from tests.search.conftest import index_corpus

ANIMALIA = (2, "Animalia", "Kingdom")
CHROMISTA = (7, "Chromista", "Kingdom")
ARTHROPODA = (1065, "Arthropoda", "Phylum")
CRUSTACEA = (1066, "Crustacea", "Subphylum")
COPEPODA = (1080, "Copepoda", "Class")
CALANUS = (104152, "Calanus", "Genus")
BACILLARIOPHYCEAE = (148899, "Bacillariophyceae", "Class")
DINOFLAGELLATA = (146203, "Dinoflagellata", "")  # WoRMS gives no rank
DINOPHYCEAE = (19542, "Dinophyceae", "Class")
TRIPOS = (106285, "Tripos", "Genus")
COPEPOD_LINEAGE = [ANIMALIA, ARTHROPODA, CRUSTACEA]

# (aphia_id, name, rank, lineage, English vernaculars, accepted AphiaID of a synonym)
TAXA = [
    (*ANIMALIA, [], [], None),
    (*CHROMISTA, [], [], None),
    (*ARTHROPODA, [ANIMALIA], ["arthropods"], None),
    (*CRUSTACEA, [ANIMALIA, ARTHROPODA], ["crustaceans"], None),
    (*COPEPODA, COPEPOD_LINEAGE, ["copepods"], None),
    (*CALANUS, [*COPEPOD_LINEAGE, COPEPODA], [], None),
    (104464, "Calanus finmarchicus", "Species", [*COPEPOD_LINEAGE, COPEPODA, CALANUS], [], None),
    (*BACILLARIOPHYCEAE, [CHROMISTA], ["diatoms"], None),
    (148985, "Chaetoceros", "Genus", [CHROMISTA, BACILLARIOPHYCEAE], [], None),
    (148912, "Thalassiosira", "Genus", [CHROMISTA, BACILLARIOPHYCEAE], [], None),
    (*DINOFLAGELLATA, [CHROMISTA], ["dinoflagellates"], None),
    (*DINOPHYCEAE, [CHROMISTA, DINOFLAGELLATA], [], None),
    (*TRIPOS, [CHROMISTA, DINOFLAGELLATA, DINOPHYCEAE], [], None),
    (840627, "Tripos furca", "Species", [CHROMISTA, DINOFLAGELLATA, DINOPHYCEAE, TRIPOS], [], None),
    (109950, "Ceratium furca", "Species", [], [], 840627),
]


def write_taxa() -> None:
    names = {row[0]: row[1] for row in TAXA}
    for aphia_id, name, rank, lineage, vernaculars, valid in TAXA:
        Taxon.objects.update_or_create(
            aphia_id=aphia_id,
            defaults={
                "scientific_name": name,
                "rank": rank,
                "status": "unaccepted" if valid else "accepted",
                "valid_aphia_id": valid or aphia_id,
                "valid_name": names[valid] if valid else name,
                "parent_aphia_id": lineage[-1][0] if lineage else None,
                "lineage": [{"aphia_id": i, "name": n, "rank": r} for i, n, r in lineage],
                "vernaculars": [{"name": v, "language": "eng"} for v in vernaculars],
            },
        )


# Sets found only through their taxa or word parts (no word of the queries in them).
EXTRA_SETS = {
    "chaetoceros": {
        "title": "Chains in the Skagerrak",
        "description": "IFCB images of chain-forming cells in the spring bloom.",
        "instrument": "IFCB",
        "taxa": [{"scientific_name": "Chaetoceros", "aphia_id": 148985, "rank": "Genus"}],
    },
    "calanus": {
        "title": "UVP6 profiles of the Norwegian Sea",
        "description": "In situ images down to 1000 m.",
        "instrument": "UVP6",
        "taxa": [{"scientific_name": "Calanus", "aphia_id": 104152, "rank": "Genus"}],
    },
    "tripos": {
        "title": "Thecate cells of the Ligurian Sea",
        "description": "Coastal stations, weekly.",
        "instrument": "FlowCam",
        "taxa": [{"scientific_name": "Tripos furca", "aphia_id": 840627, "rank": "Species"}],
    },
    "benthos": {
        "title": "Macrobenthos grab samples of the Dogger Bank",
        "description": "Van Veen grabs photographed on sieves.",
        "instrument": "Camera",
    },
}


@pytest.fixture
def taxa_indexed(backend, corpus):
    """The shared corpus plus EXTRA_SETS (published, open) and a draft of Alice's that
    alone holds Thalassiosira, indexed after the taxa."""
    write_taxa()
    for key, spec in EXTRA_SETS.items():
        corpus.sets[key] = create_image_set(
            actor=SYSTEM, state="published", access="open", licence="CC-BY-4.0", **spec
        )
        corpus.images[key] = []
    corpus.sets["thalassiosira"] = create_image_set(
        actor=SYSTEM,
        owner=corpus.users["alice"],
        title="Frustules under the light microscope",
        taxa=[{"scientific_name": "Thalassiosira", "aphia_id": 148912, "rank": "Genus"}],
    )
    corpus.images["thalassiosira"] = []
    index_corpus(backend, corpus)
    return corpus


def search(backend, corpus, who=None, **params):
    """As the pages and the API search: through the selector, taxa annotated."""
    user = corpus.users.get(who) if who else None
    return search_catalogue(user, SearchQuery(**params), backend=backend)


def ids(backend, corpus, who=None, **params) -> list[int]:
    return sorted(search(backend, corpus, who, page_size=50, **params).ids())


def test_vernacular_names_find_the_taxon_and_below(backend, taxa_indexed):
    corpus = taxa_indexed
    for text in ("diatom", "diatoms", "Diatoms"):
        assert ids(backend, corpus, text=text) == corpus.ids("diatoms", "chaetoceros")
    assert ids(backend, corpus, "alice", text="diatom") == corpus.ids(
        "diatoms", "chaetoceros", "draft", "thalassiosira"
    )
    assert ids(backend, corpus, text="copepod") == corpus.ids("copepods", "calanus")
    # The diatom set also states Dinoflagellata.
    assert ids(backend, corpus, text="dinoflagellate") == corpus.ids("diatoms", "tripos")
    # The embargoed copepod survey (Copepoda) is found only by who may see it.
    assert ids(backend, corpus, "dave", text="copepods") == corpus.ids(
        "copepods", "calanus", "embargoed"
    )


def test_a_synonym_finds_its_accepted_taxon(backend, taxa_indexed):
    corpus = taxa_indexed
    assert ids(backend, corpus, text="Ceratium furca") == corpus.ids("tripos")
    assert ids(backend, corpus, text="Tripos furca") == corpus.ids("tripos")


def test_higher_taxa_find_descendants(backend, taxa_indexed):
    corpus = taxa_indexed
    assert ids(backend, corpus, text="Crustacea") == corpus.ids("copepods", "calanus")
    assert ids(backend, corpus, text="crustaceans") == corpus.ids("copepods", "calanus")
    assert ids(backend, corpus, text="Chromista") == corpus.ids("diatoms", "chaetoceros", "tripos")
    assert ids(backend, corpus, taxon=["Copepoda"]) == corpus.ids("copepods", "calanus")
    assert ids(backend, corpus, taxon=["Dinophyceae"]) == corpus.ids("tripos")
    labelled = sorted(i.pk for i in corpus.images["copepods"])
    assert ids(backend, corpus, kind="image", text="Crustacea") == labelled


def test_word_parts_of_the_domain(backend, taxa_indexed):
    corpus = taxa_indexed
    assert ids(backend, corpus, text="plankton") == corpus.ids(
        "diatoms", "copepods", "past_embargo"
    )
    assert ids(backend, corpus, text="zooplankton") == corpus.ids("copepods")
    assert ids(backend, corpus, text="benthos") == corpus.ids("benthos")


def test_the_matched_taxon_is_said(backend, taxa_indexed):
    corpus = taxa_indexed
    result = search(backend, corpus, text="diatom North Sea")
    [match] = [m for m in result.matched_taxa if m["aphia_id"] == 148899]
    assert (match["name"], match["rank"], match["via"]) == (
        "Bacillariophyceae",
        "Class",
        "vernacular",
    )
    assert match["text"] == "diatom" and match["label"] == "Bacillariophyceae (Class)"
    assert result.ids() == [corpus.sets["diatoms"].pk]
    assert result.hits[0].matched_taxa == ["Bacillariophyceae"]
    [synonym] = [
        m
        for m in search(backend, corpus, text="Ceratium furca").matched_taxa
        if m["aphia_id"] == 840627
    ]
    assert (synonym["name"], synonym["via"]) == ("Tripos furca", "synonym")
    assert search(backend, corpus, text="Sentinel").matched_taxa == []


def tree_counts(nodes, depth=0) -> dict:
    counts = {}
    for node in nodes:
        counts[node["value"]] = (node["count"], node["rank"], depth)
        counts.update(tree_counts(node["children"], depth + 1))
    return counts


def test_the_taxon_facet_is_a_tree_by_rank_counting_only_what_is_visible(backend, taxa_indexed):
    corpus = taxa_indexed
    anonymous = tree_counts(search(backend, corpus, page_size=1).taxon_tree)
    assert anonymous["Animalia"] == (2, "Kingdom", 0)
    assert anonymous["Copepoda"][0] == 2  # not the embargoed survey
    assert anonymous["Calanus"][0] == 2
    chromista = next(
        n for n in search(backend, corpus, page_size=1).taxon_tree if n["value"] == "Chromista"
    )
    [diatoms] = [n for n in chromista["children"] if n["value"] == "Bacillariophyceae"]
    assert diatoms["rank"] == "Class" and diatoms["vernacular"] == "diatoms"
    assert [n["value"] for n in diatoms["children"]] == ["Chaetoceros"]
    staff = tree_counts(search(backend, corpus, "dave", page_size=1).taxon_tree)
    assert staff["Copepoda"][0] == 3
    assert staff["Bacillariophyceae"][0] == 4  # with the drafts
    assert "Thalassiosira" not in anonymous and staff["Thalassiosira"][0] == 1


def test_suggestions_offer_taxa_with_rank_and_vernacular(backend, taxa_indexed):
    corpus = taxa_indexed
    offered = taxon_queries.suggest_taxa(backend, "diat", corpus.viewer(None))
    [diatoms] = [t for t in offered if t["aphia_id"] == 148899]
    assert diatoms["name"] == "Bacillariophyceae" and diatoms["rank"] == "Class"
    assert diatoms["vernacular"] == "diatoms" and diatoms["count"] == 2
    assert diatoms["label"] == "Bacillariophyceae (Class) · diatoms"
    owner = taxon_queries.suggest_taxa(backend, "diat", corpus.viewer("alice"))
    assert next(t for t in owner if t["aphia_id"] == 148899)["count"] == 4
    copepods = taxon_queries.suggest_taxa(backend, "Cope", corpus.viewer(None))
    assert [(t["name"], t["count"]) for t in copepods if t["aphia_id"] == 1080] == [("Copepoda", 2)]
    dinos = taxon_queries.suggest_taxa(backend, "dinoflag", corpus.viewer(None))
    assert [(t["name"], t["count"]) for t in dinos if t["aphia_id"] == 146203] == [
        ("Dinoflagellata", 2)
    ]
    # A taxon that only hidden sets hold is never offered.
    assert all(
        t["aphia_id"] != 148912
        for t in taxon_queries.suggest_taxa(backend, "Thalass", corpus.viewer(None))
    )
    owned = taxon_queries.suggest_taxa(backend, "Thalass", corpus.viewer("alice"))
    assert [(t["name"], t["count"]) for t in owned if t["aphia_id"] == 148912] == [
        ("Thalassiosira", 1)
    ]


def test_word_parts_come_only_from_longer_words():
    assert word_parts(["Mesozooplankton and phytoplankton", "plankton"]) == [
        "plankton",
        "zooplankton",
    ]
    assert word_parts(["Macrobenthos", "jellyfish"]) == ["benthos"]
    assert word_parts([""]) == []


def test_singulars_of_vernaculars():
    assert [singular(w) for w in ["diatoms", "fishes", "jellies", "Crustacea", "cirrus"]] == [
        "diatom",
        "fish",
        "jelly",
        "crustacea",
        "cirrus",
    ]


@pytest.mark.django_db
def test_expansion_names_the_accepted_taxon_its_lineage_and_every_name():
    write_taxa()
    found = expand([(109950, "Ceratium furca"), (None, "Calanus"), (None, "Nothing known")])
    synonym = found[(109950, "Ceratium furca")]
    assert synonym.aphia_id == 840627
    assert [name for _, name in synonym.path] == [
        "Chromista",
        "Dinoflagellata",
        "Dinophyceae",
        "Tripos",
        "Tripos furca",
    ]
    assert {"Ceratium furca", "dinoflagellates", "dinoflagellate"} <= synonym.terms
    assert "crustaceans" in found[(None, "Calanus")].terms
    assert (None, "Nothing known") not in found
