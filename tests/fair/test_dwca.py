"""The Darwin Core Archive, read back by python-dwca-reader (the reader GBIF's
Python users have): an Event core with the set and its samples, occurrences of
validated annotations with WoRMS LSIDs, the images in Audubon Core, the
instrument in eMoF, and an EML document with what the GBIF profile requires."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import pytest
from django.test import override_settings
from dwca.read import DwCAReader
from lxml import etree

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.formats import dwca
from catalogue.formats.dwca import eml
from catalogue.models import Taxon
from curation.services import annotations, labels
from tests.catalogue.conftest import local_storages, real_jpegs
from tests.fair.conftest import FULL

pytestmark = pytest.mark.django_db

DWC = "http://rs.tdwg.org/dwc/terms/"
DC = "http://purl.org/dc/terms/"
AC = "http://rs.tdwg.org/ac/terms/"
LSID = "urn:lsid:marinespecies.org:taxname:"
L22_ZOOSCAN = "http://vocab.nerc.ac.uk/collection/L22/current/TOOL0785/"


@pytest.fixture
def storage(tmp_path):
    with override_settings(STORAGES=local_storages(tmp_path / "media")):
        yield


@pytest.fixture
def sampled(storage, people):
    """Four real images, two of them in EcoTaxa sample "st1" with a sample position;
    validated Copepoda (in the bundled WoRMS snapshot), Tripos (not in it) and
    detritus (no taxon), and a dubious label that is no record."""
    image_set = services.create_image_set(
        **{**FULL, "state": "draft", "doi": "", "instrument_uri": L22_ZOOSCAN},
        owner=people["owner"],
        curators=[people["curator"]],
        actor=SYSTEM,
    )
    services.ingest(image_set, real_jpegs(4), actor=SYSTEM)
    image_set.reviewers.add(people["reviewer"])
    first, second, third, fourth = image_set.images.order_by("file_name")
    when = datetime(2020, 5, 4, 10, 30, tzinfo=UTC)
    for image, sample, depth in ((first, "st1", 5.0), (second, "st1", 12.5)):
        image.fields = {**image.fields, "sample_id": sample, "sample_lat": 51.5, "sample_lon": 2.9}
        image.captured_at, image.latitude, image.longitude, image.depth = when, 51.5, 2.9, depth
        image.save()
    label_set = labels.create_label_set(
        actor=people["curator"],
        name="Zooplankton",
        labels=[
            {"name": "Copepoda", "aphia_id": 1080},
            {"name": "Tripos", "aphia_id": 106285},
            {"name": "detritus", "concept": "detritus"},
        ],
    )
    labels.use_label_set(actor=people["curator"], image_set=image_set, label_set=label_set)
    named = {label.name: label for label in label_set.labels.all()}
    reviewer = people["reviewer"]

    def annotate(image, label, status="validated", box=(2, 3, 22, 13)):
        annotations.create_annotation(
            actor=reviewer,
            image=image,
            label=named[label],
            shape="box",
            coordinates=list(box),
            status=status,
        )

    annotate(first, "Copepoda")
    annotate(first, "Copepoda", box=(30, 30, 40, 40))
    annotate(first, "detritus")
    annotate(second, "Tripos")
    annotate(third, "Copepoda")
    annotate(fourth, "Tripos", status="dubious")
    return image_set, (first, second, third, fourth)


def read_archive(data: bytes, tmp_path) -> DwCAReader:
    path = tmp_path / "set.dwca.zip"
    path.write_bytes(data)
    return DwCAReader(str(path))


def test_archive_reads_with_event_core_and_three_extensions(sampled, tmp_path):
    image_set, (first, second, third, fourth) = sampled
    with read_archive(dwca.to_zip(image_set, base="https://portal.example/"), tmp_path) as dwc:
        assert dwc.descriptor.core.type == DWC + "Event"
        assert [e.type for e in dwc.descriptor.extensions] == [
            DWC + "Occurrence",
            AC + "Multimedia",
            "http://rs.iobis.org/obis/terms/ExtendedMeasurementOrFact",
        ]
        assert dwc.metadata is not None  # eml.xml found through meta.xml
        events = {row.id: row for row in dwc}
        root = str(image_set.concept_uuid)
        assert set(events) == {root, f"{root}:st1"}

        parent = events[root].data
        assert parent[DWC + "eventDate"] == "2019-03-01T08:00:00Z/2021-11-30T17:30:00Z"
        assert parent[DWC + "footprintWKT"].startswith("POLYGON((2.2 51.1, 3.4 51.1")
        assert float(parent[DWC + "decimalLatitude"]) == pytest.approx(51.5)
        assert float(parent[DWC + "coordinateUncertaintyInMeters"]) > 40_000
        assert (parent[DWC + "minimumDepthInMeters"], parent[DWC + "maximumDepthInMeters"]) == (
            "0.0",
            "35.5",
        )
        sample = events[f"{root}:st1"].data
        assert sample[DWC + "parentEventID"] == root
        assert sample[DWC + "eventDate"] == "2020-05-04T10:30:00Z"
        assert (sample[DWC + "decimalLatitude"], sample[DWC + "decimalLongitude"]) == (
            "51.5",
            "2.9",
        )
        assert sample[DWC + "footprintWKT"] == ""  # a point has no footprint
        assert (sample[DWC + "minimumDepthInMeters"], sample[DWC + "maximumDepthInMeters"]) == (
            "5.0",
            "12.5",
        )

        occurrences = [
            ext.data for row in dwc for ext in row.extensions if ext.rowtype == DWC + "Occurrence"
        ]
        # Copepoda x2 on the first image, Tripos on the second, Copepoda on the
        # third; detritus (no AphiaID) and the dubious label give none.
        by_image = {(o[DWC + "associatedMedia"], o[DWC + "scientificName"]) for o in occurrences}
        url = "https://portal.example/files/images/{}/original"
        assert by_image == {
            (url.format(first.pk), "Copepoda"),
            (url.format(second.pk), "Tripos"),
            (url.format(third.pk), "Copepoda"),
        }
        for occurrence in occurrences:
            assert occurrence[DWC + "eventID"] in events  # every occurrence has its event
            assert occurrence[DWC + "scientificNameID"].startswith(LSID)
            assert occurrence[DWC + "scientificNameID"][len(LSID) :].isdigit()
            assert occurrence[DWC + "occurrenceStatus"] == "present"
            assert occurrence[DWC + "basisOfRecord"] == "MachineObservation"
            assert occurrence[DWC + "identifiedBy"] == "reviewer"
            assert occurrence[DWC + "identificationVerificationStatus"] == "validated"
            assert datetime.fromisoformat(occurrence[DWC + "dateIdentified"])
        copepods = next(
            o for o in occurrences if o[DWC + "associatedMedia"] == url.format(first.pk)
        )
        assert copepods[DWC + "individualCount"] == "2"
        assert copepods[DWC + "scientificNameID"] == LSID + "1080"
        assert copepods[DWC + "eventID"] == f"{root}:st1"
        assert copepods[DWC + "occurrenceID"] == f"{root}:{first.sha256}:1080"
        copepoda = Taxon.objects.get(aphia_id=1080)  # from the bundled WoRMS snapshot
        assert copepods[DWC + "scientificNameAuthorship"] == copepoda.authority
        assert copepods[DWC + "taxonRank"] == copepoda.rank.lower() == "class"
        assert copepods[DWC + "kingdom"] == "Animalia"
        tripos = next(o for o in occurrences if o[DWC + "scientificName"] == "Tripos")
        assert tripos[DWC + "scientificNameID"] == LSID + "106285"
        third_copepod = next(
            o for o in occurrences if o[DWC + "associatedMedia"] == url.format(third.pk)
        )
        assert third_copepod[DWC + "eventID"] == root  # no sample: the set's event

        media = [
            ext.data for row in dwc for ext in row.extensions if ext.rowtype == AC + "Multimedia"
        ]
        assert sorted(m[AC + "accessURI"] for m in media) == sorted(
            url.format(i.pk) for i in (first, second, third, fourth)
        )
        one = next(m for m in media if m[AC + "accessURI"] == url.format(first.pk))
        assert one["http://purl.org/dc/elements/1.1/format"] == "image/jpeg"
        assert one["http://ns.adobe.com/exif/1.0/PixelXDimension"] == str(first.width)
        assert one[AC + "hashValue"] == first.sha256
        assert one[DC + "rights"] == "https://creativecommons.org/licenses/by/4.0/"

        [fact] = [
            ext.data for row in dwc for ext in row.extensions if ext.rowtype.endswith("OrFact")
        ]
        assert fact[DWC + "measurementValue"] == "ZooScan"
        assert fact["http://rs.iobis.org/obis/terms/measurementValueID"] == L22_ZOOSCAN


def test_meta_xml_names_each_file_with_its_row_type_and_terms(sampled):
    image_set, _ = sampled
    archive = zipfile.ZipFile(io.BytesIO(dwca.to_zip(image_set)))
    assert set(archive.namelist()) == {
        "meta.xml",
        "eml.xml",
        "event.txt",
        "occurrence.txt",
        "multimedia.txt",
        "extendedmeasurementorfact.txt",
    }
    meta = etree.fromstring(archive.read("meta.xml"))
    ns = {"t": "http://rs.tdwg.org/dwc/text/"}
    [core] = meta.findall("t:core", ns)
    assert core.get("rowType") == DWC + "Event" and core.find("t:id", ns).get("index") == "0"
    for part in [core, *meta.findall("t:extension", ns)]:
        location = part.find("t:files/t:location", ns).text
        header = archive.read(location).decode().splitlines()[0].split("\t")
        terms = [f.get("term") for f in part.findall("t:field", ns)]
        assert [int(f.get("index")) for f in part.findall("t:field", ns)] == list(
            range(len(header))
        )
        assert [t.rsplit("/", 1)[-1] for t in terms] == header
        assert all(t.startswith("http") for t in terms)
        assert terms[0] == DWC + "eventID"  # the id, and every extension's core id
    assert dwca.to_zip(image_set) == dwca.to_zip(image_set)  # the same set, the same bytes


EML_REQUIRED = [
    "dataset/title",
    "dataset/creator",
    "dataset/metadataProvider",
    "dataset/pubDate",
    "dataset/language",
    "dataset/abstract/para",
    "dataset/intellectualRights/para/ulink/citetitle",
    "dataset/licensed/identifier",
    "dataset/contact",
    "dataset/coverage/geographicCoverage/boundingCoordinates/westBoundingCoordinate",
    "dataset/coverage/temporalCoverage/rangeOfDates/beginDate/calendarDate",
    "dataset/coverage/taxonomicCoverage/taxonomicClassification/taxonRankValue",
    "dataset/maintenance/maintenanceUpdateFrequency",
    "additionalMetadata/metadata/gbif/dateStamp",
]


def test_eml_has_what_the_gbif_profile_requires(sampled):
    """No XSD of EML ships in a PyPI package: the elements the GBIF profile (1.3)
    requires, in its order, are checked here instead."""
    image_set, _ = sampled
    archive = zipfile.ZipFile(io.BytesIO(dwca.to_zip(image_set)))
    document = etree.fromstring(archive.read("eml.xml"))
    assert document.tag == f"{{{eml.NAMESPACE}}}eml"
    assert document.get("packageId") == str(image_set.uuid)
    missing = [path for path in EML_REQUIRED if document.find(path) is None]
    assert not missing, missing
    dataset = document.find("dataset")
    order = [child.tag for child in dataset]
    expected = ["alternateIdentifier", "title", "creator", "metadataProvider", "pubDate"]
    expected += ["language", "abstract", "keywordSet", "intellectualRights", "licensed"]
    expected += ["distribution", "coverage", "maintenance", "contact"]
    assert list(dict.fromkeys(order)) == expected
    people = dataset.findall("creator")
    assert [p.findtext("individualName/surName") for p in people[:1]] == ["Mortelmans"]
    assert people[0].find("userId").get("directory") == "https://orcid.org/"
    assert people[1].findtext("organizationName") == "LifeWatch Belgium"
    assert dataset.findtext("licensed/identifier") == "CC-BY-4.0"
    taxa = {
        c.findtext("taxonRankValue"): c.findtext("taxonRankName")
        for c in dataset.iterfind("coverage/taxonomicCoverage/taxonomicClassification")
    }
    assert taxa == {"Copepoda": "Class", "Tripos": None}  # Tripos: not in the snapshot


def test_download_needs_the_files_and_lists_on_the_landing_page(sampled, client, people):
    image_set, _ = sampled
    url = f"/sets/{image_set.uuid}/metadata.dwca.zip"
    assert client.get(url).status_code == 404  # a draft: not for a visitor
    client.force_login(people["other"])
    assert client.get(url).status_code == 404
    client.force_login(people["owner"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.content)).read("meta.xml")
    page = client.get(f"/sets/{image_set.uuid}/").content.decode()
    assert "metadata.dwca.zip" in page and "metadata.croissant.json" in page


def test_a_set_without_images_is_one_event_with_empty_extensions(make_set, tmp_path):
    image_set = make_set(title="Nothing yet", instrument="")
    with read_archive(dwca.to_zip(image_set), tmp_path) as dwc:
        [event] = list(dwc)
        assert event.id == str(image_set.concept_uuid)
        assert event.data[DWC + "eventDate"] == "" and event.extensions == []
        assert [e.type for e in dwc.descriptor.extensions] == [
            DWC + "Occurrence",
            AC + "Multimedia",
        ]  # no instrument, no eMoF file
