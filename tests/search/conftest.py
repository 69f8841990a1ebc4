"""A small real catalogue, indexed into each backend, for the shared search suite."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Image
from catalogue.search.backends.database import DatabaseBackend
from catalogue.search.backends.engine import EngineBackend
from catalogue.search.documents import documents
from catalogue.selectors import search_visibility
from tests.catalogue.conftest import local_storages, real_jpegs
from tests.curation.annotating import annotate

UTC = dt.UTC


def when(year, month=1, day=1):
    return dt.datetime(year, month, day, tzinfo=UTC)


def blank_document(object_id) -> dict:
    """A set document with every field of catalogue/search/documents.py, each empty
    but its identity and revision: the tests' own documents start from it."""
    return {
        "id": object_id,
        "kind": "set",
        "revision": 1,
        "set_id": object_id,
        "title": "",
        "description": "",
        "file_name": "",
        "keywords": [],
        "creators": [],
        "taxa": [],
        "taxon_path": [],
        "labels": [],
        "label_status": [],
        "platform": "",
        "instrument": "",
        "modality": "",
        "research_infrastructure": "",
        "licence": "CC-BY-4.0",
        "access": "open",
        "state": "published",
        "embargo_until": None,
        "owner_id": None,
        "curator_ids": [],
        "years": [],
        "time_start": None,
        "time_end": None,
        "depth_min": None,
        "depth_max": None,
        "bbox": None,
        "polygon": None,
        "point": None,
        "image_count": 0,
        "size": 0,
        "has_annotations": False,
        "doi": "",
        "created": None,
    }


BACKENDS = [
    pytest.param("database", id="database"),
    pytest.param("opensearch", id="opensearch", marks=pytest.mark.services("opensearch")),
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.services("elasticsearch")),
]


def make_backend(name: str):
    if name == "database":
        return DatabaseBackend()
    return EngineBackend(
        url=os.environ[f"SEARCH_URL_{name.upper()}"],
        kind=name,
        prefix=f"aquacat-test-{uuid.uuid4().hex[:10]}",
    )


def drop_backend(backend) -> None:
    if backend.name != "database":
        backend.drop()


@pytest.fixture(params=BACKENDS)
def backend(request):
    backend = make_backend(request.param)
    backend.setup()
    yield backend
    drop_backend(backend)


@dataclass
class Corpus:
    users: dict
    sets: dict  # key -> ImageSet
    images: dict  # key -> list[Image]

    def ids(self, *keys) -> list[int]:
        return sorted(self.sets[k].pk for k in keys)

    def viewer(self, who: str | None):
        return search_visibility(self.users.get(who) if who else None)


LABELS = {
    "diatoms": ["Bacillariophyceae", "Bacillariophyceae", "Dinoflagellata"],
    "copepods": ["Calanus finmarchicus", "Calanus finmarchicus"],
}


def predicted(*labels: str) -> list:
    return [
        {"model": "demo", "version": "1.0.0", "label": label, "confidence": 0.9} for label in labels
    ]


# Model predictions (fields["predictions"]) per set, one entry per image (by
# order), with malformed entries that must be ignored.
PREDICTIONS = {
    "diatoms": [predicted("Chaetoceros", "Skeletonema"), predicted("Chaetoceros"), None],
    "copepods": [["not a dict", {"label": ""}, {"label": 3}], predicted("Calanus")],
    "embargoed": [predicted("Calanus", "Chaetoceros")],
}


@pytest.fixture
def corpus(db, tmp_path, settings) -> Corpus:
    """Seven sets covering every visibility case, with images and labels."""
    settings.STORAGES = local_storages(tmp_path / "media")
    users = get_user_model().objects
    people = {
        "alice": users.create_user("alice"),  # owner of the private sets
        "bob": users.create_user("bob"),  # curator of the restricted set
        "carol": users.create_user("carol"),  # signed in, no rights
        "dave": users.create_user("dave", is_staff=True),
    }
    future = timezone.localdate() + dt.timedelta(days=60)
    past = timezone.localdate() - dt.timedelta(days=1)
    chromista = ["Chromista", "Ochrophyta"]
    copepod_lineage = ["Animalia", "Arthropoda", "Copepoda", "Calanidae", "Calanus"]
    specs = {
        "diatoms": {
            "title": "Diatoms of the North Sea",
            "description": "Weekly FlowCam samples of diatom blooms off the Belgian coast.",
            "state": "published",
            "access": "open",
            "instrument": "FlowCam",
            "platform": "RV Simon Stevin",
            "modality": "flow-imaging",
            "research_infrastructure": "LifeWatch",
            "licence": "CC-BY-4.0",
            "keywords": ["phytoplankton", "diatoms"],
            "taxa": [
                {"scientific_name": "Bacillariophyceae", "rank": "Class", "lineage": chromista},
                {"scientific_name": "Dinoflagellata", "rank": "Phylum", "lineage": ["Chromista"]},
            ],
            "west": 2.0,
            "south": 51.0,
            "east": 3.5,
            "north": 52.0,
            "time_start": when(2021, 4, 1),
            "time_end": when(2021, 9, 30),
            "depth_min": 0,
            "depth_max": 10,
        },
        "copepods": {
            "title": "Copepods in the Baltic Sea",
            "description": "ZooScan scans of net samples from the central Baltic.",
            "state": "published",
            "access": "open",
            "instrument": "ZooScan",
            "platform": "RV Elisabeth Mann Borgese",
            "modality": "scanner",
            "research_infrastructure": "EMBRC",
            "licence": "CC0-1.0",
            "keywords": ["zooplankton"],
            "taxa": [
                {
                    "scientific_name": "Calanus finmarchicus",
                    "rank": "Species",
                    "lineage": copepod_lineage,
                }
            ],
            "west": 15.0,
            "south": 54.0,
            "east": 20.0,
            "north": 58.0,
            "time_start": when(2019, 6, 1),
            "time_end": when(2019, 7, 31),
            "depth_min": 20,
            "depth_max": 80,
        },
        "oil": {
            "title": "Oil spill SAR scenes of the Bay of Biscay",
            "description": "Sentinel-1 scenes with slicks outlined.",
            "state": "published",
            "access": "open",
            "instrument": "C-SAR",
            "platform": "Sentinel-1A",
            "modality": "sar",
            "licence": "CC-BY-4.0",
            "west": -10.0,
            "south": 43.0,
            "east": -1.0,
            "north": 48.0,
            "time_start": when(2020, 1, 1),
            "time_end": when(2020, 12, 31),
        },
        "embargoed": {
            "title": "Embargoed copepod survey",
            "description": "UVP5 profiles, released after the thesis.",
            "state": "published",
            "access": "embargoed",
            "embargo_until": future,
            "instrument": "UVP5",
            "platform": "RV Thalassa",
            "licence": "CC-BY-4.0",
            "taxa": [{"scientific_name": "Copepoda", "lineage": copepod_lineage[:2]}],
            "west": -5.0,
            "south": 45.0,
            "east": 0.0,
            "north": 50.0,
            "time_start": when(2022, 3, 1),
            "time_end": when(2022, 3, 20),
            "depth_min": 0,
            "depth_max": 500,
        },
        "restricted": {
            "title": "Restricted ROV dives on cold-water corals",
            "state": "published",
            "access": "restricted",
            "instrument": "HD camera",
            "platform": "ROV Genesis",
            "licence": "CC-BY-NC-4.0",
            "west": 3.0,
            "south": 60.0,
            "east": 4.0,
            "north": 61.0,
            "curators": ["bob"],
        },
        "draft": {
            "title": "Draft diatom micrographs",
            "description": "Light microscopy of diatom frustules.",
            "state": "draft",
            "access": "open",
            "instrument": "Microscope",
            "licence": "CC-BY-4.0",
            "taxa": [{"scientific_name": "Bacillariophyceae", "lineage": chromista}],
        },
        "past_embargo": {
            "title": "Phytoplankton of the Scheldt estuary",
            "description": "Embargo over: FlowCam images of estuarine phytoplankton.",
            "state": "published",
            "access": "embargoed",
            "embargo_until": past,
            "instrument": "FlowCam",
            "licence": "CC-BY-4.0",
            "time_start": when(2018, 5, 1),
            "time_end": when(2018, 5, 2),
        },
    }
    sets, images = {}, {}
    jpegs = iter(real_jpegs())
    for key, spec in specs.items():
        curators = [people[name] for name in spec.pop("curators", [])]
        image_set = services.create_image_set(
            actor=SYSTEM, owner=people["alice"], curators=curators, **{**spec, "state": "draft"}
        )
        labels = LABELS.get(key, [None])
        services.ingest(image_set, [next(jpegs) for _ in labels], actor=SYSTEM)
        if spec.get("state") == "published":
            services.publish_image_set(image_set, actor=SYSTEM)
        rows = list(image_set.images.order_by("pk"))
        predictions = PREDICTIONS.get(key, [None] * len(rows))
        for image, label, prediction in zip(rows, labels, predictions, strict=True):
            fields = {}
            if label:
                annotate(image, label)
            if prediction is not None:
                fields["predictions"] = prediction
            if fields:
                image.fields = fields
                image.revision += 1
                image.save(update_fields=["fields", "revision"])
        image_set.refresh_from_db()
        sets[key], images[key] = image_set, rows
    return Corpus(users=people, sets=sets, images=images)


def index_corpus(backend, corpus: Corpus) -> None:
    set_ids = [s.pk for s in corpus.sets.values()]
    image_ids = list(Image.objects.values_list("pk", flat=True))
    assert backend.index("set", list(documents("set", set_ids))) == []
    assert backend.index("image", list(documents("image", image_ids))) == []
    backend.refresh()


@pytest.fixture
def indexed(backend, corpus):
    index_corpus(backend, corpus)
    return corpus
