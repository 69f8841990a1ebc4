"""The OAI-PMH provider through Django's test client: verbs, errors, access, tombstones.
Every response is validated against the OAI-PMH XSD (metadata schemas included)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from lxml import etree

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.errors import Immutable
from catalogue.models import ImageSet
from catalogue.oai.records import oai_identifier
from catalogue.oai.validation import oai_errors

NS = {
    "o": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "d": "http://datacite.org/schema/kernel-4",
}
# The arguments of a harvest in Dublin Core, and of one record's.
LIST_DC = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
GET_DC = {"verb": "GetRecord", "metadataPrefix": "oai_dc"}


def oai(client, method="get", **params):
    response = getattr(client, method)("/oai", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    assert oai_errors(root) == [], oai_errors(root)
    return root


def error_code(root) -> str | None:
    error = root.find("o:error", NS)
    return None if error is None else error.get("code")


def identifiers(root) -> list[str]:
    return [h.findtext("o:identifier", namespaces=NS) for h in root.iterfind(".//o:header", NS)]


@pytest.mark.django_db
def test_identify_over_get_and_post(client, make_set):
    make_set()
    for method in ("get", "post"):
        root = oai(client, method, verb="Identify")
        identify = root.find("o:Identify", NS)
        assert identify.findtext("o:deletedRecord", namespaces=NS) == "persistent"
        assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
        assert identify.findtext("o:baseURL", namespaces=NS) == "http://testserver/oai"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb"),
        ({"verb": "Identify", "set": "x"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
        ({**LIST_DC, "from": "2024-13-01"}, "badArgument"),
        ({**LIST_DC, "from": "yesterday"}, "badArgument"),
        ({**LIST_DC, "from": "2024-01-01", "until": "2024-02-01T00:00:00Z"}, "badArgument"),
        ({**LIST_DC, "from": "2024-02-01", "until": "2024-01-01"}, "badArgument"),
        (
            {"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
            "badArgument",
        ),
        (GET_DC, "badArgument"),
        ({"verb": "ListRecords", "resumptionToken": "forged"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "forged"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({**GET_DC, "identifier": f"oai:localhost:set/{uuid.UUID(int=0)}"}, "idDoesNotExist"),
        ({**GET_DC, "identifier": "nonsense"}, "idDoesNotExist"),
        ({"verb": "ListMetadataFormats", "identifier": "oai:elsewhere:set/1"}, "idDoesNotExist"),
        ({**LIST_DC, "from": "2999-01-01"}, "noRecordsMatch"),
        (
            {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "instrument:none"},
            "noRecordsMatch",
        ),
    ],
)
def test_every_error_condition(client, make_set, params, code):
    make_set()
    for method in ("get", "post"):
        root = oai(client, method, **params)
        assert error_code(root) == code
        request = root.find("o:request", NS)
        if code in ("badVerb", "badArgument"):
            assert dict(request.attrib) == {}


@pytest.mark.django_db
def test_token_of_another_verb_and_expired_token(client, make_set, settings):
    settings.OAI_PAGE_SIZE = 1
    make_set(), make_set()
    first = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.findtext(".//o:resumptionToken", namespaces=NS)
    assert token
    assert error_code(oai(client, verb="ListRecords", resumptionToken=token)) == (
        "badResumptionToken"
    )
    settings.OAI_TOKEN_MAX_AGE = -1
    assert error_code(oai(client, verb="ListIdentifiers", resumptionToken=token)) == (
        "badResumptionToken"
    )


@pytest.mark.django_db
def test_no_set_hierarchy_only_without_sets(client):
    assert error_code(oai(client, verb="ListSets")) == "noSetHierarchy"


@pytest.mark.django_db
def test_formats_sets_and_records(client, full_set, demo_set):
    root = oai(client, verb="ListMetadataFormats", identifier=oai_identifier(full_set.uuid))
    assert [p.text for p in root.iterfind(".//o:metadataPrefix", NS)] == [
        "oai_dc",
        "oai_datacite",
        "dcat",
    ]
    specs = [s.text for s in oai(client, verb="ListSets").iterfind(".//o:setSpec", NS)]
    assert {
        "instrument",
        "instrument:zooscan",
        "instrument:flowcam",
        "modality:scanner",
        "infrastructure:lifewatch-belgium",
    } <= set(specs)
    for prefix in ("oai_dc", "oai_datacite", "dcat"):
        root = oai(client, verb="ListRecords", metadataPrefix=prefix)
        assert len(root.findall(".//o:record", NS)) == 2
    root = oai(
        client,
        verb="GetRecord",
        metadataPrefix="oai_datacite",
        identifier=oai_identifier(full_set.uuid),
    )
    assert root.findtext(".//d:identifier", namespaces=NS) == "10.14284/999"
    header = root.find(".//o:header", NS)
    assert header.findtext("o:datestamp", namespaces=NS) == full_set.updated.astimezone(
        dt.UTC
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    selective = oai(
        client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="instrument:zooscan"
    )
    assert identifiers(selective) == [oai_identifier(full_set.uuid)]
    parent = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="modality")
    assert len(identifiers(parent)) == 2


@pytest.mark.django_db
def test_only_public_sets_are_harvested(client, make_set):
    public = make_set(title="public")
    make_set(title="draft", state="draft")
    make_set(title="restricted", access="restricted")
    make_set(title="embargoed", access="embargoed", embargo_until=dt.date(2999, 1, 1))
    root = oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    assert identifiers(root) == [oai_identifier(public.uuid)]
    assert [t.text for t in root.iterfind(".//dc:title", NS)] == ["public"]


@pytest.mark.django_db
def test_a_set_that_stops_being_public_becomes_a_tombstone(client, make_set):
    image_set = make_set(title="soon restricted")
    ident = oai_identifier(image_set.uuid)
    services.update_image_set(image_set, access="restricted", actor=SYSTEM)
    root = oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=ident)
    header = root.find(".//o:header", NS)
    assert header.get("status") == "deleted"
    assert root.find(".//o:metadata", NS) is None
    assert [s.text for s in header.iterfind("o:setSpec", NS)] == [
        "instrument:flowcam",
        "modality:flow-imaging",
    ]
    listed = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="instrument:flowcam")
    assert identifiers(listed) == [ident]
    # Back to public: a live record again, with a new datestamp.
    services.update_image_set(image_set, access="open", actor=SYSTEM)
    root = oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=ident)
    assert root.find(".//o:header", NS).get("status") is None
    # Restricted again: a tombstone again. A published set cannot be deleted, so
    # its tombstone stays for ever.
    services.update_image_set(image_set, access="restricted", actor=SYSTEM)
    with pytest.raises(Immutable):
        services.delete_image_set(image_set, actor=SYSTEM)
    root = oai(client, verb="GetRecord", metadataPrefix="oai_datacite", identifier=ident)
    assert root.find(".//o:header", NS).get("status") == "deleted"


@pytest.mark.django_db
def test_embargo_end_makes_the_record_appear_for_incremental_harvests(client, make_set):

    image_set = make_set(access="embargoed", embargo_until=dt.date(2999, 1, 1))
    assert error_code(oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")) == (
        "noRecordsMatch"
    )
    # The embargo ended (the date passed) without any write to the set.
    yesterday = dt.date.today() - dt.timedelta(days=1)
    ImageSet.objects.filter(pk=image_set.pk).update(
        embargo_until=yesterday,
        updated=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    )
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": since})
    assert identifiers(root) == [oai_identifier(image_set.uuid)]


@pytest.mark.django_db
def test_control_characters_in_titles(client, make_set):
    make_set(title="bad \x01\x02\x1b\ufffe chars <b>&amp;</b>")
    for prefix in ("oai_dc", "oai_datacite", "dcat"):
        root = oai(client, verb="ListRecords", metadataPrefix=prefix)
        assert "bad  chars <b>&amp;</b>" in etree.tostring(root, encoding="unicode").replace(
            "&lt;", "<"
        ).replace("&gt;", ">").replace("&amp;", "&")


@pytest.mark.django_db
def test_from_until_day_and_second_granularity(client, make_set):
    image_set = make_set()
    stamp = image_set.updated.astimezone(dt.UTC)
    second = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    day = stamp.strftime("%Y-%m-%d")
    for start, end in ((second, second), (day, day)):
        root = oai(
            client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": start, "until": end}
        )
        assert identifiers(root) == [oai_identifier(image_set.uuid)]
    before = (stamp - dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until=before)
    assert error_code(root) == "noRecordsMatch"
