"""A realistic set for the validator tests: every descriptive field (creators with
ORCID and ROR, WoRMS taxa, coverage, funding, NVS instrument and platform), real
images with their EcoTaxa labels, and annotations drawn by a reviewer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.test import override_settings

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet
from curation.services import annotations, labels
from tests.catalogue.conftest import ecotaxa_demo_folder, local_storages
from tests.fair.conftest import FULL

#: Validator inputs (shapes, contexts), with their sources in data/README.md.
DATA = Path(__file__).parent / "data"
# Real NERC Vocabulary Server terms: the ZooScan in L22 (as EcoTaxa's instrument
# table names it) and "research vessel" in L06.
ZOOSCAN = "http://vocab.nerc.ac.uk/collection/L22/current/TOOL1581/"
RESEARCH_VESSEL = "http://vocab.nerc.ac.uk/collection/L06/current/31/"


@contextmanager
def realistic_set(tmp_path: Path, people: dict, *, publish: bool = True) -> Iterator[ImageSet]:
    """FULL's metadata with NVS terms over ingested EcoTaxa demo images, with a
    reviewer's box and polygon on the first image, published unless asked not to;
    files in a local folder."""
    with override_settings(STORAGES=local_storages(tmp_path / "media")):
        fields = {**FULL, "state": "draft", "platform_uri": RESEARCH_VESSEL}
        fields["instrument_uri"] = ZOOSCAN
        image_set = services.create_image_set(
            **fields, owner=people["owner"], curators=[people["curator"]], actor=SYSTEM
        )
        # The EcoTaxa categories are labels already, so the import needs no matching.
        label_set = labels.create_label_set(
            actor=people["curator"],
            name="ZooScan classes",
            labels=[{"name": "Tripos", "aphia_id": 106285}, {"name": "Ciliophora"}],
        )
        labels.use_label_set(actor=people["curator"], image_set=image_set, label_set=label_set)
        folder = tmp_path / "source"
        ecotaxa_demo_folder(folder)
        batch = services.ingest(image_set, [folder], workers=1, actor=SYSTEM)
        assert batch.rejected == [], batch.rejected
        image_set.reviewers.add(people["reviewer"])
        named = {label.name: label for label in label_set.labels.all()}
        first = image_set.images.order_by("file_name").first()
        for shape, coordinates, label in [
            ("box", [2, 3, 22, 13], "Tripos"),
            ("polygon", [[10, 10], [40, 12], [30, 40], [12, 30]], "Ciliophora"),
        ]:
            annotations.create_annotation(
                actor=people["reviewer"],
                image=first,
                label=named[label],
                shape=shape,
                coordinates=coordinates,
            )
        if publish:
            services.publish_image_set(image_set, actor=SYSTEM)
        image_set.refresh_from_db()
        yield image_set
