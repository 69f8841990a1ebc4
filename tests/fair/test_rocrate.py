"""RO-Crate zip of a set: real images ingested, downloaded, unpacked and compared."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile

import pytest
from django.test import override_settings
from rocrate.rocrate import ROCrate

from catalogue import services
from catalogue.access import SYSTEM
from tests.catalogue.conftest import local_storages, real_jpegs
from tests.fair.conftest import FULL

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage(tmp_path):
    with override_settings(STORAGES=local_storages(tmp_path / "media")):
        yield


def ingested_set(tmp_path, make_set, **fields):
    paths = real_jpegs(2, "Actinoptychus") + real_jpegs(2, "Ciliophora")
    folder = tmp_path / "source"
    for path in paths:
        target = folder / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    image_set = make_set(**{**fields, "state": "draft"})
    batch = services.ingest(image_set, [folder], workers=1, actor=SYSTEM)
    assert batch.rejected == []
    if fields.get("state", "published") == "published":
        services.publish_image_set(image_set, actor=SYSTEM)
    assert image_set.images.count() == len(paths)
    return image_set, paths


def download(client, image_set) -> zipfile.ZipFile:
    response = client.get(f"/sets/{image_set.uuid}/rocrate.zip")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_rocrate_holds_every_image_and_its_metadata(storage, tmp_path, client, make_set):
    fields = {k: FULL[k] for k in ("creators", "licence", "keywords", "west", "south")}
    fields.update({k: FULL[k] for k in ("east", "north", "time_start", "time_end", "doi")})
    image_set, paths = ingested_set(tmp_path, make_set, **fields)
    archive = download(client, image_set)
    assert archive.testzip() is None

    metadata = json.loads(archive.read("ro-crate-metadata.json"))
    graph = {entity["@id"]: entity for entity in metadata["@graph"]}
    assert graph["ro-crate-metadata.json"]["conformsTo"]["@id"].startswith(
        "https://w3id.org/ro/crate/1.1"
    )
    root = graph["./"]
    assert root["name"] == image_set.title
    assert root["identifier"] == "https://doi.org/10.14284/999"
    assert root["license"] == {"@id": "https://spdx.org/licenses/CC-BY-4.0.html"}
    creators = [c["@id"] for c in root["creator"]]
    assert "https://orcid.org/0000-0002-1825-0097" in creators
    assert graph["https://orcid.org/0000-0002-1825-0097"]["@type"] == "Person"
    assert "zooplankton" in root["keywords"]
    assert root["temporalCoverage"].startswith("2019-03-01T08:00:00")
    assert "spatialCoverage" in root
    parts = {part["@id"] for part in root["hasPart"]}
    assert {"metadata/datacite.xml", "metadata/ecotaxa.tsv"} <= parts

    for path in paths:
        name = f"images/{path.parent.name}/{path.name}"
        original = path.read_bytes()
        assert archive.read(name) == original
        entity = graph[name]
        assert name in parts
        assert entity["@type"] == "File"
        assert entity["sha256"] == hashlib.sha256(original).hexdigest()
        assert entity["contentSize"] == str(len(original))
        assert entity["encodingFormat"] == "image/jpeg"
    assert b"<resource" in archive.read("metadata/datacite.xml")
    assert archive.read("metadata/ecotaxa.tsv").startswith(b"img_file_name\t")

    # The rocrate package reads the unpacked crate back.
    unpacked = tmp_path / "crate"
    archive.extractall(unpacked)
    crate = ROCrate(unpacked)
    assert crate.name == image_set.title
    assert {e.id for e in crate.data_entities} == parts


def test_hidden_sets_have_no_rocrate(storage, tmp_path, client, make_set):
    for fields in ({"access": "restricted"}, {"state": "draft"}):
        hidden = make_set(**fields)
        assert client.get(f"/sets/{hidden.uuid}/rocrate.zip").status_code == 404
