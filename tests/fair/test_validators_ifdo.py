"""The whole iFDO of a realistic set validated by the `ifdo` library (the iFDO
community's pydantic models): header, every item, annotations, NVS URIs.

Before: an image whose EcoTaxa annotation rows were all rejected had its sidecar
annotation (an EcoTaxa dict) written as `image-annotations`, which iFDO requires
to be a list: the library refused the document (2 errors)."""

from __future__ import annotations

import json

import pytest
import yaml
from ifdo import iFDO

from catalogue.formats import ifdo
from curation.models import Annotation
from curation.services import review
from tests.fair.validators_support import RESEARCH_VESSEL, ZOOSCAN, realistic_set

pytestmark = pytest.mark.django_db


def test_realistic_set_is_a_valid_ifdo(tmp_path, people):
    with realistic_set(tmp_path, people) as image_set:
        document = json.loads(ifdo.to_json(image_set))
        as_yaml = yaml.safe_load(ifdo.to_yaml(image_set))
    validated = iFDO.from_dict(document)  # raises on anything the iFDO schema refuses
    assert as_yaml == document

    header = validated.image_set_header
    assert header.image_set_uuid == str(image_set.uuid)
    assert (header.image_sensor.name, header.image_sensor.uri) == ("ZooScan", ZOOSCAN)
    assert (header.image_platform.name, header.image_platform.uri) == (
        "RV Simon Stevin",
        RESEARCH_VESSEL,
    )
    assert header.image_creators[0].uri == "https://orcid.org/0000-0002-1825-0097"
    items = document["image-set-items"]
    assert len(items) == image_set.images.count()
    annotated = [item for item in items.values() if "image-annotations" in item]
    assert len(annotated) == 3  # the EcoTaxa-labelled images; the unlabelled one has none
    assert all(isinstance(item["image-annotations"], list) for item in annotated)
    shapes = {entry["shape"] for item in annotated for entry in item["image-annotations"]}
    assert shapes == {"whole-image", "rectangle", "polygon"}


def test_rejected_ecotaxa_labels_leave_no_dict_behind(tmp_path, people):
    with realistic_set(tmp_path, people, publish=False) as image_set:
        image = image_set.images.filter(file_name__startswith="Tripos/").order_by("pk").first()
        assert isinstance(image.fields["annotation"], dict)  # EcoTaxa's form of a label
        ids = list(Annotation.objects.filter(image=image).values_list("pk", flat=True))
        review.review(actor=people["reviewer"], ids=ids, action="reject")
        document = json.loads(ifdo.to_json(image_set))
    iFDO.from_dict(document)
    assert "image-annotations" not in document["image-set-items"][image.file_name]


def test_the_library_refuses_what_ifdo_forbids(tmp_path, people):
    with realistic_set(tmp_path, people) as image_set:
        document = json.loads(ifdo.to_json(image_set))
    name = next(iter(document["image-set-items"]))
    document["image-set-items"][name]["image-annotations"] = {"category": "Tripos"}
    with pytest.raises(ValueError, match="image-annotations"):
        iFDO.from_dict(document)
