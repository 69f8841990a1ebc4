"""The OpenAPI links of a recording's answer: from its id to its own operations, from
its set to the set's, from its first derived image to the image's."""

from __future__ import annotations

import pytest
import yaml
from django.test import Client

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]


def test_a_recording_links_to_its_export_its_set_and_its_images():
    schema = yaml.safe_load(Client().get("/api/v1/schema/").content)
    answer = schema["paths"]["/api/v1/recordings/{id}/"]["get"]["responses"]["200"]
    links = answer["links"]
    assert links["recordings_annotations_export_retrieve"] == {
        "operationId": "recordings_annotations_export_retrieve",
        "parameters": {"id": "$response.body#/id"},
    }
    assert links["image_sets_retrieve"]["parameters"] == {"id": "$response.body#/image_set"}
    assert links["images_retrieve"]["parameters"] == {"id": "$response.body#/images/0/id"}
    assert links["images_similar"]["operationId"] == "images_similar"
    # Every target is an operation of the schema, taking the parameter it is given.
    operations = {
        operation["operationId"]: operation
        for methods in schema["paths"].values()
        for operation in methods.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for link in links.values():
        parameters = {p["name"] for p in operations[link["operationId"]].get("parameters", [])}
        assert set(link["parameters"]) <= parameters, link
