"""Recall and precision of domain queries, per search backend.

    .venv/bin/python bench/taxon_search.py
    .venv/bin/python bench/taxon_search.py --backends database,opensearch,elasticsearch

Builds a small catalogue of realistic image sets (titles, descriptions,
keywords, instruments and taxa as real sets state them) and the WoRMS taxa
they name (catalogue.models.Taxon: accepted taxa with lineage and vernaculars,
and a synonym as its own row), indexes the sets into each backend, then runs
30 domain queries a marine user types (vernacular names, higher taxa,
synonyms, parts of longer words, instruments) and compares the hits with the
sets that should match. Prints one JSON object: mean recall and precision per
backend, and each query's misses and false hits.

AphiaIDs are WoRMS's own: taken from WoRMS records and NVS S25 term labels
("Ceratium furca (ITIS: 10399: WoRMS 109950)") seen in public sources, and from
identifiers already used in this repository's tests.

Engines come from SEARCH_URL_OPENSEARCH / SEARCH_URL_ELASTICSEARCH (see
`scripts/services env`); the database backend uses DATABASE_URL, or SQLite in
a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ANIMALIA = (2, "Animalia", "Kingdom")
CHROMISTA = (7, "Chromista", "Kingdom")
ARTHROPODA = (1065, "Arthropoda", "Phylum")
CRUSTACEA = (1066, "Crustacea", "Subphylum")
CHORDATA = (1821, "Chordata", "Phylum")
COPEPODA = (1080, "Copepoda", "Class")
ACTINOPTERYGII = (10194, "Actinopterygii", "Gigaclass")
CALANUS = (104152, "Calanus", "Genus")
BACILLARIOPHYCEAE = (148899, "Bacillariophyceae", "Class")
DINOPHYCEAE = (19542, "Dinophyceae", "Class")
TRIPOS = (106285, "Tripos", "Genus")

FISH_LINEAGE = [ANIMALIA, CHORDATA, ACTINOPTERYGII]  # shortened: WoRMS has more ranks between

# (aphia_id, name, rank, lineage (kingdom first, ending with the parent), vernaculars
# in English, accepted AphiaID when a synonym)
TAXA: list[tuple] = [
    (*ANIMALIA, [], ["animals"], None),
    (*CHROMISTA, [], [], None),
    (*ARTHROPODA, [ANIMALIA], ["arthropods"], None),
    (*CRUSTACEA, [ANIMALIA, ARTHROPODA], ["crustaceans"], None),
    (*CHORDATA, [ANIMALIA], [], None),
    (*ACTINOPTERYGII, [ANIMALIA, CHORDATA], ["ray-finned fishes"], None),
    (*COPEPODA, [ANIMALIA, ARTHROPODA, CRUSTACEA], ["copepods"], None),
    (*CALANUS, [ANIMALIA, ARTHROPODA, CRUSTACEA, COPEPODA], [], None),
    (
        104464,
        "Calanus finmarchicus",
        "Species",
        [ANIMALIA, ARTHROPODA, CRUSTACEA, COPEPODA, CALANUS],
        [],
        None,
    ),
    (1135, "Amphipoda", "Order", [ANIMALIA, ARTHROPODA, CRUSTACEA], ["amphipods"], None),
    (*BACILLARIOPHYCEAE, [CHROMISTA], ["diatoms"], None),
    (148985, "Chaetoceros", "Genus", [CHROMISTA, BACILLARIOPHYCEAE], [], None),
    (148912, "Thalassiosira", "Genus", [CHROMISTA, BACILLARIOPHYCEAE], [], None),
    (*DINOPHYCEAE, [CHROMISTA], ["dinoflagellates"], None),
    (*TRIPOS, [CHROMISTA, DINOPHYCEAE], [], None),
    (840627, "Tripos furca", "Species", [CHROMISTA, DINOPHYCEAE, TRIPOS], [], None),
    (109950, "Ceratium furca", "Species", [], [], 840627),
    (11, "Ciliophora", "Phylum", [CHROMISTA], ["ciliates"], None),
    (126436, "Gadus morhua", "Species", FISH_LINEAGE, ["Atlantic cod", "cod"], None),
    (127023, "Scomber scombrus", "Species", FISH_LINEAGE, ["Atlantic mackerel"], None),
]


def taxon(aphia_id: int | None, name: str, rank: str = "") -> dict:
    entry: dict = {"scientific_name": name}
    if aphia_id:
        entry["aphia_id"] = aphia_id
    if rank:
        entry["rank"] = rank
    return entry


SETS: dict[str, dict] = {
    "phyto_flowcam": {
        "title": "Phytoplankton FlowCam images",
        "description": "FlowCam images of phytoplankton from the Belgian part of the North Sea.",
        "instrument": "FlowCam",
        "taxa": [taxon(*BACILLARIOPHYCEAE), taxon(*DINOPHYCEAE)],
    },
    "chaetoceros_ifcb": {
        "title": "Chaetoceros chains in the Skagerrak",
        "description": "IFCB images of chain-forming centric cells during the spring bloom.",
        "instrument": "IFCB",
        "taxa": [taxon(148985, "Chaetoceros", "Genus")],
    },
    "thalassiosira_slides": {
        "title": "Thalassiosira frustules, light microscopy",
        "description": "Cleaned frustules mounted in Naphrax, photographed at 1000x.",
        "instrument": "Microscope",
        "taxa": [taxon(148912, "Thalassiosira", "Genus")],
    },
    "calanus_zooscan": {
        "title": "Calanus finmarchicus in the Norwegian Sea",
        "description": "ZooScan scans of WP2 net samples, mesozooplankton fraction.",
        "instrument": "ZooScan",
        "taxa": [taxon(104464, "Calanus finmarchicus", "Species")],
    },
    "copepod_uvp": {
        "title": "UVP6 profiles in the Bay of Biscay",
        "description": "In situ images of zooplankton down to 1000 m.",
        "instrument": "UVP6",
        "taxa": [taxon(*COPEPODA)],
    },
    "amphipods_ice": {
        "title": "Hyperiids under Arctic sea ice",
        "description": "ROV still images of the under-ice community.",
        "instrument": "HD camera",
        "taxa": [taxon(1135, "Amphipoda", "Order")],
    },
    "tripos_med": {
        "title": "Tripos blooms in the Ligurian Sea",
        "description": "FlowCam images of thecate cells from coastal stations.",
        "instrument": "FlowCam",
        "taxa": [taxon(840627, "Tripos furca", "Species")],
    },
    "ceratium_legacy": {
        "title": "Wadden Sea monitoring slides (1998)",
        "description": "Digitised slides of the 1998 monitoring programme.",
        "instrument": "Microscope",
        "taxa": [taxon(*TRIPOS)],
    },
    "noctiluca": {
        "title": "Sea sparkle off Helgoland",
        "description": "Red tide of Noctiluca scintillans photographed from the pier.",
        "instrument": "Camera",
        "taxa": [taxon(None, "Noctiluca scintillans")],
    },
    "ciliates": {
        "title": "Lugol samples of the Scheldt estuary",
        "description": "Microzooplankton counts from Lugol-fixed samples.",
        "instrument": "FlowCam",
        "taxa": [taxon(11, "Ciliophora", "Phylum")],
    },
    "cod_larvae": {
        "title": "Larvae from the North Sea IBTS",
        "description": "Larval Gadus morhua photographed on board.",
        "instrument": "Stereo microscope",
        "taxa": [taxon(126436, "Gadus morhua", "Species")],
    },
    "ichthyoplankton": {
        "title": "Ichthyoplankton of the Celtic Sea",
        "description": "Eggs and larvae from bongo nets.",
        "instrument": "ZooScan",
        "taxa": [taxon(127023, "Scomber scombrus", "Species")],
    },
    "macrobenthos": {
        "title": "Macrobenthos grab samples of the Dogger Bank",
        "description": "Van Veen grab infauna photographed on sieves.",
        "instrument": "Camera",
        "keywords": ["zoobenthos"],
    },
    "moon_jelly": {
        "title": "Moon jellyfish aggregations in Kiel Fjord",
        "description": "Drone images of the summer aggregations.",
        "instrument": "Drone camera",
        "taxa": [taxon(None, "Aurelia aurita")],
    },
    "oil": {
        "title": "Oil spill SAR scenes of the Bay of Biscay",
        "description": "Sentinel-1 scenes with slicks outlined.",
        "instrument": "C-SAR",
    },
    "porpoise": {
        "title": "Harbour porpoise clicks",
        "description": "Hydrophone spectrograms from a mooring off Zeebrugge.",
        "instrument": "Hydrophone",
    },
    "beach": {
        "title": "Beach camera images of Ostend",
        "description": "Hourly images of the intertidal beach.",
        "instrument": "Camera",
    },
}

DIATOMS = ["phyto_flowcam", "chaetoceros_ifcb", "thalassiosira_slides"]
COPEPODS = ["calanus_zooscan", "copepod_uvp"]
DINOS = ["phyto_flowcam", "tripos_med", "ceratium_legacy", "noctiluca"]
CRUSTACEANS = [*COPEPODS, "amphipods_ice"]
FISH = ["cod_larvae", "ichthyoplankton"]
CHROMISTS = [*DIATOMS, "tripos_med", "ceratium_legacy", "noctiluca", "ciliates"]
PLANKTON = ["phyto_flowcam", "calanus_zooscan", "copepod_uvp", "ciliates", "ichthyoplankton"]

# query -> the sets that should match (what a marine user means by it).
QUERIES: dict[str, list[str]] = {
    "diatom": DIATOMS,
    "diatoms": DIATOMS,
    "copepod": COPEPODS,
    "copepods": COPEPODS,
    "dinoflagellate": DINOS,
    "dinoflagellates": DINOS,
    "jellyfish": ["moon_jelly"],
    "fish": FISH,
    "Bacillariophyceae": DIATOMS,
    "Crustacea": CRUSTACEANS,
    "Chromista": CHROMISTS,
    "Arthropoda": CRUSTACEANS,
    "Copepoda": COPEPODS,
    "Animalia": [*CRUSTACEANS, *FISH, "moon_jelly"],
    "Ceratium furca": ["tripos_med"],  # a synonym of Tripos furca
    "Tripos furca": ["tripos_med"],
    "Tripos": ["tripos_med", "ceratium_legacy"],
    "plankton": PLANKTON,
    "zooplankton": ["calanus_zooscan", "copepod_uvp", "ciliates"],
    "phytoplankton": ["phyto_flowcam"],
    "benthos": ["macrobenthos"],
    "flowcam": ["phyto_flowcam", "tripos_med", "ciliates"],
    "zooscan": ["calanus_zooscan", "ichthyoplankton"],
    "ciliates": ["ciliates"],
    "amphipods": ["amphipods_ice"],
    "cod": ["cod_larvae"],
    "Calanus": ["calanus_zooscan"],
    "Gadus morhua": ["cod_larvae"],
    "diatom North Sea": ["phyto_flowcam"],
    "copepod Biscay": ["copepod_uvp"],
}


def load_taxa() -> None:
    from catalogue.models import Taxon

    by_id = {row[0]: row for row in TAXA}
    for aphia_id, name, rank, lineage, vernaculars, valid in TAXA:
        accepted = by_id[valid] if valid else None
        Taxon.objects.update_or_create(
            aphia_id=aphia_id,
            defaults={
                "scientific_name": name,
                "rank": rank,
                "status": "unaccepted" if valid else "accepted",
                "valid_aphia_id": valid or aphia_id,
                "valid_name": accepted[1] if accepted else name,
                "parent_aphia_id": lineage[-1][0] if lineage else None,
                "lineage": [{"aphia_id": i, "name": n, "rank": r} for i, n, r in lineage],
                "vernaculars": [{"name": v, "language": "English"} for v in vernaculars],
            },
        )


def load_sets() -> dict[str, int]:
    from catalogue.access import SYSTEM
    from catalogue.services import create_image_set

    ids = {}
    for key, spec in SETS.items():
        image_set = create_image_set(
            actor=SYSTEM, state="published", access="open", licence="CC-BY-4.0", **spec
        )
        ids[key] = image_set.pk
    return ids


def make_backend(name: str):
    from catalogue.search.backends.database import DatabaseBackend
    from catalogue.search.backends.engine import EngineBackend

    if name == "database":
        return DatabaseBackend()
    prefix = f"aquacat-bench-taxa-{uuid.uuid4().hex[:8]}"
    return EngineBackend(url=os.environ[f"SEARCH_URL_{name.upper()}"], kind=name, prefix=prefix)


def run_backend(name: str, ids: dict[str, int]) -> dict:
    from catalogue.search.documents import documents
    from catalogue.search.query import SearchQuery
    from catalogue.selectors import search_visibility

    backend = make_backend(name)
    keys = {pk: key for key, pk in ids.items()}
    try:
        backend.setup()
        backend.rebuild("set", iter([list(documents("set", list(ids.values())))]))
        backend.refresh()
        per_query = {}
        for text, expected in QUERIES.items():
            query = SearchQuery(text=text, page_size=100, facets=[]).validate()
            result = backend.search(query, search_visibility(None))
            found = {keys[pk] for pk in result.ids() if pk in keys}
            hits = found & set(expected)
            per_query[text] = {
                "recall": round(len(hits) / len(expected), 3),
                "precision": round(len(hits) / len(found), 3) if found else 1.0,
                "missed": sorted(set(expected) - found),
                "wrong": sorted(found - set(expected)),
            }
    finally:
        if name != "database":
            backend.drop()
    recalls = [q["recall"] for q in per_query.values()]
    precisions = [q["precision"] for q in per_query.values()]
    return {
        "recall": round(statistics.mean(recalls), 3),
        "precision": round(statistics.mean(precisions), 3),
        "queries_fully_recalled": sum(1 for r in recalls if r == 1.0),
        "queries_with_no_hit": sum(1 for r in recalls if r == 0.0),
        "queries": per_query,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="database,opensearch,elasticsearch")
    parser.add_argument("--summary", action="store_true", help="leave out per-query details")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aquacat.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not os.environ.get("DATABASE_URL"):
        os.environ["AQUACAT_VAR_DIR"] = tempfile.mkdtemp(prefix="aquacat-bench-")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    load_taxa()
    ids = load_sets()
    results: dict = {"benchmark": "taxon_search", "queries": len(QUERIES), "sets": len(SETS)}
    results["backends"] = {}
    for name in args.backends.split(","):
        if name != "database" and not os.environ.get(f"SEARCH_URL_{name.upper()}"):
            results["backends"][name] = {"skipped": f"SEARCH_URL_{name.upper()} is not set"}
            continue
        outcome = run_backend(name, ids)
        if args.summary:
            outcome.pop("queries")
        results["backends"][name] = outcome
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
