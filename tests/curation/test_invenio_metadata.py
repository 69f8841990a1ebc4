"""A set's metadata as a real InvenioRDM (v14, on loopback) takes and returns it:
creators with ORCID and ROR affiliations, funding, subjects, and Zenodo's
Darwin Core and Audubon Core custom fields where the target declares them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from catalogue.formats.common import landing_url
from curation.repositories import target_for
from curation.repositories.invenio_domain import custom_fields
from tests.curation.conftest import ready_set
from tests.curation.test_invenio_target import api, published, rdm_target

pytestmark = [pytest.mark.django_db, pytest.mark.services("inveniordm")]

# CERN (01ggx4157) and the European Commission (00k4n6c32) are in the local
# instance's affiliation and funder vocabularies; the Flanders Marine Institute
# (0496vr396) is not, so it goes by name.
CREATORS = [
    {
        "name": "Mortelmans, Jonas",
        "orcid": "0000-0002-1825-0097",
        "affiliation": "CERN",
        "ror": "01ggx4157",
    },
    {"name": "Deneudt, Klaas", "affiliation": "Flanders Marine Institute", "ror": "0496vr396"},
    {"name": "Flanders Marine Institute"},
]
FUNDING = [
    {
        "funder_name": "European Commission",
        "funder_identifier": "https://ror.org/00k4n6c32",
        "award_number": "101058625",
        "award_title": "iMagine",
    },
    {
        "funder_name": "Research Foundation Flanders",
        "funder_identifier": "10.13039/501100003130",
        "award_number": "I000123N",
    },
]
TAXA = [
    {
        "aphia_id": 104464,
        "scientific_name": "Calanus finmarchicus",
        "rank": "Species",
        "lineage": ["Animalia", "Arthropoda", "Copepoda", "Calanoida", "Calanidae", "Calanus"],
    },
    {
        "aphia_id": 109391,
        "scientific_name": "Noctiluca",
        "rank": "Genus",
        "lineage": ["Chromista", "Myzozoa", "Dinophyceae", "Noctilucales", "Noctilucaceae"],
    },
]


@pytest.fixture
def rdm(settings):
    return rdm_target(settings)


def aquatic_set(people):
    return ready_set(
        people,
        images=1,
        creators=CREATORS,
        funding=FUNDING,
        taxa=TAXA,
        keywords=["zooplankton"],
        instrument="FlowCam VS-IV",
        platform="RV Simon Stevin",
        modality="flow-imaging",
        depth_min=3,
        depth_max=12,
        west=2.9,
        east=2.9,
        south=51.3,
        north=51.3,
        time_start=datetime(2021, 4, 1, 8, tzinfo=UTC),
        time_end=datetime(2021, 4, 1, 17, tzinfo=UTC),
    )


def test_creators_funding_and_subjects_reach_the_record(people, rdm):
    deposit, _ = published(people, aquatic_set(people))
    assert deposit.state == "published", (deposit.error, deposit.errors)
    metadata = api(f"/records/{deposit.remote_id}")["metadata"]

    first, second, third = metadata["creators"]
    assert first["person_or_org"]["identifiers"] == [
        {"scheme": "orcid", "identifier": "0000-0002-1825-0097"}
    ]
    [cern] = first["affiliations"]
    assert (cern["id"], cern["name"]) == ("01ggx4157", "European Organization for Nuclear Research")
    assert second["affiliations"] == [{"name": "Flanders Marine Institute"}]
    assert second["person_or_org"]["family_name"] == "Deneudt"
    assert third["person_or_org"] == {"type": "organizational", "name": "Flanders Marine Institute"}

    commission, flanders = metadata["funding"]
    assert (commission["funder"]["id"], commission["funder"]["name"]) == (
        "00k4n6c32",
        "European Commission",
    )
    assert commission["award"] == {"number": "101058625", "title": {"en": "iMagine"}}
    assert flanders["funder"] == {"name": "Research Foundation Flanders"}
    assert flanders["award"] == {"number": "I000123N"}

    subjects = [subject["subject"] for subject in metadata["subjects"]]
    assert subjects == ["zooplankton", "Calanus finmarchicus", "Noctiluca", "Flow imaging"]
    feature = metadata["locations"]["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [2.9, 51.3]}
    assert feature["description"] == "Depth 3 to 12 m"
    # A target that declares no custom fields gets none (a stock InvenioRDM refuses them).
    assert api(f"/records/{deposit.remote_id}")["custom_fields"] == {}


def test_zenodo_domain_fields_where_the_target_has_them(people, rdm):
    rdm(custom_fields=["dwc", "ac"])
    deposit, image_set = published(people, aquatic_set(people))
    assert deposit.state == "published", (deposit.error, deposit.errors)
    fields = api(f"/records/{deposit.remote_id}")["custom_fields"]
    assert fields == {
        "dwc:basisOfRecord": ["MachineObservation"],
        "dwc:datasetID": [landing_url(image_set)],
        "dwc:scientificName": ["Calanus finmarchicus", "Noctiluca"],
        "dwc:scientificNameID": [
            "urn:lsid:marinespecies.org:taxname:104464",
            "urn:lsid:marinespecies.org:taxname:109391",
        ],
        "dwc:taxonRank": ["species", "genus"],
        "dwc:kingdom": ["Animalia", "Chromista"],
        "dwc:family": ["Calanidae", "Noctilucaceae"],
        "dwc:genus": ["Calanus", "Noctiluca"],
        "dwc:specificEpithet": ["finmarchicus"],
        "dwc:eventDate": ["2021-04-01"],
        "dwc:verbatimEventDate": ["2021-04-01"],
        "dwc:decimalLatitude": [51.3],
        "dwc:decimalLongitude": [2.9],
        "dwc:geodeticDatum": ["EPSG:4326"],
        "dwc:samplingProtocol": ["Flow imaging"],
        "ac:captureDevice": ["FlowCam VS-IV"],
        "ac:resourceCreationTechnique": ["Flow imaging", "Platform: RV Simon Stevin"],
    }
    # The instance indexed them: its search finds the record by a Darwin Core term.
    found = api("/records", q=f'custom_fields.dwc\\:genus:"Noctiluca" AND id:{deposit.remote_id}')
    assert [hit["id"] for hit in found["hits"]["hits"]] == [deposit.remote_id]


def test_only_the_namespaces_a_target_declares_are_sent(people, rdm):
    image_set = aquatic_set(people)
    assert set(custom_fields(image_set, ["ac"])) == {
        "ac:captureDevice",
        "ac:resourceCreationTechnique",
    }
    assert custom_fields(image_set, []) == {}
    rdm(custom_fields=["dwc"])
    body = target_for("rdm").record_body(image_set)
    assert body["custom_fields"]["dwc:scientificName"] == ["Calanus finmarchicus", "Noctiluca"]
    assert not [name for name in body["custom_fields"] if not name.startswith("dwc:")]
