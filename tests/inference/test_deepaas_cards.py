"""Model cards checked against the AI4OS metadata schema (`ai4-metadata` from
PyPI) and our `aquacat` section before a version is registered from them:
every problem at once, each with its field."""

from __future__ import annotations

import copy
import json

import pytest
from ai4_metadata import metadata as ai4_metadata

from inference.card_validation import card_problems
from inference.cards import model_card

SHA = "0" * 63 + "1"


def aquacat_section() -> dict:
    return {
        "name": "emso-fish",
        "version": "1.0.0",
        "task": "detection",
        "framework": "torchscript",
        "labels": ["Conger conger", "Helicolenus dactylopterus"],
        "input_spec": {"size": [640, 640]},
        "weights": {"sha256": SHA},
        "training_data": {"doi": "10.5281/zenodo.1234567"},
        "metrics": {"map50": 0.61},
    }


@pytest.fixture
def card() -> dict:
    return {
        "metadata_version": "2.0.0",
        "title": "Fish at EMSO observatories",
        "summary": "Boxes fish in underwater camera frames.",
        "description": "A detector trained on annotated frames.",
        "links": {"source_code": "https://example.org/emso-fish"},
        "dates": {"created": "2026-01-01", "updated": "2026-02-01"},
        "libraries": ["PyTorch"],
        "tasks": ["Computer Vision"],
        "categories": ["AI4 pre trained", "AI4 inference"],
        "tags": ["fish", "EMSO"],
        "data-type": ["Image"],
        "license": "Apache-2.0",
        "aquacat": aquacat_section(),
    }


def test_a_complete_card_passes(card):
    assert card_problems(card) == {}


def test_the_packages_own_example_passes_with_our_section():
    version = ai4_metadata.get_latest_version()
    example = ai4_metadata.get_schema_file(version).parent.parent / "examples"
    sample = json.loads((example / "sample-v2.mods.json").read_text())
    sample.update({"license": "MIT", "aquacat": aquacat_section()})
    assert card_problems(sample) == {}


def test_every_problem_is_named_with_its_field(card):
    broken = copy.deepcopy(card)
    del broken["links"]["source_code"]
    broken["tasks"] = ["Object Detection"]
    del broken["summary"]
    broken["license"] = "Proprietary-ish"
    broken["aquacat"].update(
        task="tracking",
        framework="keras",
        labels=["Conger conger", "Conger conger"],
        input_spec={"size": [640]},
        weights={"sha256": "ABC"},
        training_data={"doi": "zenodo 1234567"},
    )
    problems = card_problems(broken)
    assert set(problems) == {
        "links.source_code",
        "tasks.0",
        "summary",
        "license",
        "aquacat.task",
        "aquacat.framework",
        "aquacat.labels",
        "aquacat.input_spec.size",
        "aquacat.weights.sha256",
        "aquacat.training_data.doi",
    }
    assert problems["links.source_code"] == problems["summary"] == "is required"
    assert "'Object Detection' is not one of" in problems["tasks.0"]
    assert problems["aquacat.labels"] == "labels must be unique"
    assert card_problems(["not", "a", "card"]) == {"card": "must be an object, not a list"}
    assert set(card_problems({**card, "metadata_version": "9.9.9"})) == {"metadata_version"}


@pytest.mark.django_db
def test_the_cards_we_export_use_the_schemas_values(classifier):
    """The shipped classifier's card passes the AI4OS schema (its source-code link is
    its page here, which shows the training recipe); only its framework, a linear
    head on our backbone, is no file one could upload."""
    exported = json.loads(json.dumps(model_card(classifier)))
    problems = card_problems(exported)
    assert set(problems) == {"aquacat.framework"}
    assert exported["links"]["source_code"].endswith("/models/flowcam-phytoplankton/1.0.0/")
