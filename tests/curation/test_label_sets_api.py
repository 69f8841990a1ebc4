"""The label sets API through Django's test client: create with labels, add labels,
publish (then immutable), the next version with its mapping, who may see and
change a version, and the CSV and SKOS exports (SKOS parsed back with rdflib)."""

from __future__ import annotations

import csv
import io

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS
from rest_framework.test import APIClient

from catalogue.access import SYSTEM
from curation.models import Label, LabelSet
from curation.services import labels
from tests.curation.conftest import ready_set

pytestmark = pytest.mark.django_db

API = "/api/v1/label-sets/"
LABELS = [
    {"name": "Copepoda", "aphia_id": 1080, "shortcut": "c"},
    {"name": "Calanus", "aphia_id": 104152, "parent": "Copepoda", "colour": "#ff0000"},
    {"name": "detritus", "concept": "detritus"},
]


def client_for(people, who: str) -> APIClient:
    client = APIClient()
    if people[who] is not None:
        client.force_login(people[who])
    return client


def create(client, **body):
    return client.post(API, {"name": "Zooplankton", "labels": LABELS, **body}, format="json")


@pytest.fixture
def published(people):
    label_set = labels.create_label_set(actor=people["owner"], name="Zooplankton", labels=LABELS)
    return labels.publish_label_set(actor=people["owner"], label_set=label_set)


def test_create_add_publish(people):
    client = client_for(people, "owner")
    made = create(client, description="Copepods and friends")
    assert made.status_code == 201, made.content
    body = made.json()
    assert made["Location"] == body["url"]
    assert (body["version"], body["state"], body["owner"]) == (1, "draft", "owner")
    by_name = {label["name"]: label for label in body["labels"]}
    assert by_name["Calanus"]["parent"] == by_name["Copepoda"]["id"]
    assert by_name["Calanus"]["colour"] == "#ff0000" and by_name["Copepoda"]["aphia_id"] == 1080
    assert set(by_name["detritus"]) == {
        "id",
        "name",
        "parent",
        "aphia_id",
        "concept",
        "colour",
        "shortcut",
        "retired",
    }
    added = client.post(
        f"{body['url']}labels/",
        {"labels": [{"name": "Oithona", "parent": "Copepoda"}]},
        format="json",
    )
    assert added.status_code == 201 and len(added.json()["labels"]) == 4
    publish = client.post(f"{body['url']}publish/")
    assert publish.status_code == 200 and publish.json()["state"] == "published"
    assert publish.json()["published"]
    frozen = client.post(f"{body['url']}labels/", {"labels": [{"name": "More"}]}, format="json")
    assert frozen.status_code == 409
    assert frozen["Content-Type"] == "application/problem+json"
    assert client.post(f"{body['url']}publish/").status_code == 409
    assert LabelSet.objects.get(uuid=body["uuid"]).labels.count() == 4


def test_bad_labels_are_named_and_nothing_is_made(people):
    client = client_for(people, "owner")
    response = create(
        client,
        labels=[
            {"name": "Copepoda", "colour": "red", "shortcut": "cc"},
            {"name": "Calanus", "parent": "Nowhere"},
            {"name": "Calanus"},
            {"name": "Oithona", "aphia_id": -3},
        ],
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"labels.0.colour", "labels.0.shortcut", "labels.3.aphia_id"} <= set(errors)
    assert not LabelSet.objects.exists()
    # Past the types, the service names what only it can tell.
    clash = create(client, labels=[*LABELS, {"name": "Calanus"}, {"name": "x", "parent": "y"}])
    assert clash.status_code == 400
    assert {"labels.1.name", "labels.3.name", "labels.4.parent"} <= set(clash.json()["errors"])
    assert not LabelSet.objects.exists()
    assert client.post(API, {"labels": []}, format="json").json()["errors"].keys() == {"name"}


def test_who_sees_and_changes_a_version(people, published):
    draft = labels.create_label_set(actor=people["owner"], name="Draft labels", labels=[])
    url = f"{API}{draft.uuid}/"
    for who, status in [("anonymous", 404), ("other", 404), ("owner", 200), ("staff", 200)]:
        assert client_for(people, who).get(url).status_code == status, who
    listed = {row["name"] for row in client_for(people, "anonymous").get(API).json()["results"]}
    assert listed == {"Zooplankton"}
    # A draft label set is readable by whoever sees a set that uses it.
    image_set = ready_set(people, images=0)
    labels.use_label_set(actor=SYSTEM, image_set=image_set, label_set=draft)
    assert client_for(people, "curator").get(url).status_code == 200
    assert client_for(people, "other").get(url).status_code == 404
    add = {"labels": [{"name": "x"}]}
    assert (
        client_for(people, "curator").post(f"{url}labels/", add, format="json").status_code == 403
    )
    assert (
        client_for(people, "anonymous").post(API, {"name": "x"}, format="json").status_code == 401
    )
    public = f"{API}{published.uuid}/"
    assert client_for(people, "other").get(public).status_code == 200
    assert (
        client_for(people, "other").post(f"{public}versions/", {}, format="json").status_code == 403
    )
    assert client_for(people, "owner").get(f"{API}{published.uuid}x/").status_code == 404
    states = client_for(people, "owner").get(API, {"state": "draft"}).json()["results"]
    assert {row["name"] for row in states} == {"Draft labels"}


def test_the_next_version_keeps_the_mapping(people, published):
    client = client_for(people, "owner")
    response = client.post(
        f"{API}{published.uuid}/versions/",
        {
            "rename": {"Calanus": "Calanus finmarchicus"},
            "merge": {"Copepoda": ["Copepoda"]},
            "retire": ["detritus"],
            "add": [{"name": "bubble", "concept": "bubble"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["version"], body["state"]) == (2, "draft")
    assert body["previous_version"].endswith(f"/label-sets/{published.uuid}/")
    assert body["concept_uuid"] == str(published.concept_uuid)
    names = {label["name"]: label for label in body["labels"]}
    assert set(names) == {"Calanus finmarchicus", "Copepoda", "detritus", "bubble"}
    assert names["detritus"]["retired"] is True
    renamed = Label.objects.get(pk=names["Calanus finmarchicus"]["id"])
    assert list(renamed.derived_from.values_list("name", flat=True)) == ["Calanus"]
    again = client.post(f"{API}{published.uuid}/versions/", {}, format="json")
    assert again.status_code == 409
    unknown = client.post(f"{API}{body['uuid']}/publish/")
    assert unknown.status_code == 200
    bad = client.post(f"{API}{body['uuid']}/versions/", {"rename": {"Nothing": "x"}}, format="json")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["labels"]
    clash = client.post(
        f"{API}{body['uuid']}/versions/", {"rename": {"bubble": "Copepoda"}}, format="json"
    )
    assert clash.status_code == 400 and list(clash.json()["errors"]) == ["rename"]
    concept = client.get(API, {"concept": str(published.concept_uuid)}).json()["results"]
    assert sorted(row["version"] for row in concept) == [1, 2]


def test_csv_export(people, published):
    client = client_for(people, "anonymous")
    response = client.get(f"{API}{published.uuid}/export?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="zooplankton-v1.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == [
        "name",
        "parent",
        "aphia_id",
        "concept",
        "colour",
        "shortcut",
        "retired",
        "version",
    ]
    by_name = {row["name"]: row for row in rows}
    assert by_name["Calanus"]["parent"] == "Copepoda"
    assert by_name["Copepoda"]["aphia_id"] == "1080" and by_name["Copepoda"]["shortcut"] == "c"
    assert by_name["detritus"]["concept"] == "detritus" and by_name["detritus"]["aphia_id"] == ""
    assert {row["version"] for row in rows} == {"1"} and {row["retired"] for row in rows} == {
        "false"
    }
    with_slash = client.get(f"{API}{published.uuid}/export/")
    assert with_slash.status_code == 200 and with_slash.content == response.content


def test_skos_export_parses_back(people, published):
    labels_before = {label.name: label for label in published.labels.all()}
    draft = labels.new_label_set_version(
        actor=people["owner"], label_set=published, rename={"Calanus": "Calanus finmarchicus"}
    )
    response = client_for(people, "owner").get(f"{API}{draft.uuid}/export?format=skos")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=response.content.decode(), format="turtle")
    schemes = list(graph.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(schemes) == 1
    scheme = schemes[0]
    assert str(scheme).endswith(f"/label-sets/{draft.uuid}/")
    assert graph.value(scheme, OWL.versionInfo) == Literal("2")
    assert str(graph.value(scheme, OWL.priorVersion)).endswith(f"/label-sets/{published.uuid}/")
    concepts = {
        str(graph.value(concept, SKOS.prefLabel)): concept
        for concept in graph.subjects(RDF.type, SKOS.Concept)
    }
    assert set(concepts) == {"Copepoda", "Calanus finmarchicus", "detritus"}
    for concept in concepts.values():
        assert (concept, SKOS.inScheme, scheme) in graph
    child, parent = concepts["Calanus finmarchicus"], concepts["Copepoda"]
    assert list(graph.objects(child, SKOS.broader)) == [parent]
    assert (scheme, SKOS.hasTopConcept, parent) in graph
    assert (scheme, SKOS.hasTopConcept, child) not in graph
    assert list(graph.objects(child, SKOS.exactMatch)) == [
        URIRef("urn:lsid:marinespecies.org:taxname:104152")
    ]
    assert list(graph.objects(concepts["detritus"], SKOS.exactMatch)) == []
    previous = next(graph.objects(child, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))
    assert str(previous).endswith(
        f"/label-sets/{published.uuid}/#label-{labels_before['Calanus'].pk}"
    )


def test_unknown_export_formats_are_problems(people, published):
    client = client_for(people, "anonymous")
    response = client.get(f"{API}{published.uuid}/export/?format=pdf")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
    hidden = labels.create_label_set(actor=people["owner"], name="Hidden", labels=[])
    assert client.get(f"{API}{hidden.uuid}/export/?format=skos").status_code == 404


def test_an_empty_export_format_is_refused_naming_it(people, published):
    response = client_for(people, "anonymous").get(f"{API}{published.uuid}/export/?format=")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {"format": ["choose csv or skos"]}
