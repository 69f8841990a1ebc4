"""Fixtures for the FAIR outputs: sets with every property, harvester clients that
validate every response against the OAI-PMH schema."""

from __future__ import annotations

import sys
import types
from datetime import UTC, date, datetime, timedelta

import pytest
from lxml import etree
from oaipmh_scythe import Scythe

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.management.commands.load_demo import DEMO_SETS
from catalogue.oai.validation import oai_errors

FULL = {
    "title": "Zooplankton of the Belgian part of the North Sea, ZooScan 2019-2021",
    "description": "Net samples (WP2, 200 µm) scanned with a ZooScan; <b>HTML</b> & ampersands.",
    "creators": [
        {
            "name": "Mortelmans, Jonas",
            "orcid": "0000-0002-1825-0097",
            "affiliation": "Flanders Marine Institute (VLIZ)",
            "ror": "0496vr396",
        },
        {"name": "LifeWatch Belgium", "affiliation": "VLIZ"},
    ],
    "licence": "CC-BY-4.0",
    "access": "open",
    "state": "published",
    "keywords": ["zooplankton", "ZooScan", "North Sea"],
    "taxa": [
        {"scientific_name": "Calanus finmarchicus", "aphia_id": 104464, "rank": "Species"},
        {"scientific_name": "Copepoda", "aphia_id": "1080", "rank": "Subclass"},
        {"scientific_name": "Noctiluca"},
    ],
    "west": 2.2,
    "south": 51.1,
    "east": 3.4,
    "north": 51.9,
    "polygon": {
        "type": "Polygon",
        "coordinates": [[[2.2, 51.1], [3.4, 51.1], [3.4, 51.9], [2.2, 51.9], [2.2, 51.1]]],
    },
    "time_start": datetime(2019, 3, 1, 8, 0, tzinfo=UTC),
    "time_end": datetime(2021, 11, 30, 17, 30, tzinfo=UTC),
    "depth_min": 0.0,
    "depth_max": 35.5,
    "platform": "RV Simon Stevin",
    "instrument": "ZooScan",
    "modality": "scanner",
    "research_infrastructure": "LifeWatch Belgium",
    "related_identifiers": [
        {"identifier": "10.14284/435", "identifier_type": "DOI", "relation_type": "IsDerivedFrom"},
        {
            "identifier": "https://ecotaxa.obs-vlfr.fr/prj/1234",
            "identifier_type": "URL",
            "relation_type": "IsSupplementTo",
        },
    ],
    "funding": [
        {
            "funder_name": "Research Foundation Flanders",
            "funder_identifier": "https://doi.org/10.13039/501100003130",
            "award_number": "I002021N",
            "award_title": "LifeWatch",
        }
    ],
    "version": "2.1",
    "doi": "10.14284/999",
}


@pytest.fixture
def full_set(db):
    return services.create_image_set(**FULL, actor=SYSTEM)


@pytest.fixture
def make_set(db):
    counter = iter(range(10**6))

    def make(**fields):
        values = {
            "title": f"Set {next(counter)}",
            "state": "published",
            "access": "open",
            "creators": [{"name": "Doe, Jane"}],
            "instrument": "FlowCam",
            "modality": "flow-imaging",
        }
        values.update(fields)
        return services.create_image_set(**values, actor=SYSTEM)

    return make


def demo_fields() -> dict:

    return dict(DEMO_SETS[0]["fields"])


@pytest.fixture
def demo_set(db):
    return services.create_image_set(**demo_fields(), actor=SYSTEM)


def _pyoai():
    """pyoai's client imports pkg_resources (gone from setuptools 81+) only to name its
    own version in a server-side description; give it the little it asks for."""
    if "pkg_resources" not in sys.modules:
        try:
            import pkg_resources  # noqa: F401, PLC0415 - only to learn whether it exists
        except ImportError:
            stub = types.ModuleType("pkg_resources")
            stub.Requirement = types.SimpleNamespace(parse=lambda name: name)
            stub.working_set = types.SimpleNamespace(find=lambda req: None)
            sys.modules["pkg_resources"] = stub

    # After the stub above: pyoai imports pkg_resources when it loads.
    from oaipmh import client, metadata  # noqa: PLC0415 - needs the stub first

    # pyoai 2.5.0 calls XPathEvaluator(...).evaluate(path), which lxml 6 no longer has
    # (the evaluator is called directly): hand its modules an evaluator that has both.
    class Evaluator:
        def __init__(self, *args, **kwargs):
            self._evaluate = etree.XPathEvaluator(*args, **kwargs)

        def evaluate(self, path, **variables):
            return self._evaluate(path, **variables)

        __call__ = evaluate

    if not hasattr(etree.XPathElementEvaluator, "evaluate"):
        shim = types.ModuleType("lxml.etree.pyoai_compat")
        shim.__dict__.update({k: v for k, v in vars(etree).items() if not k.startswith("__")})
        shim.XPathEvaluator = Evaluator
        client.etree = metadata.etree = shim
    return client


@pytest.fixture
def scythe_client(live_server):
    """oaipmh-scythe against the live server; every response checked by the XSD."""

    responses: list[bytes] = []

    class Validating(Scythe):
        def harvest(self, query):
            response = super().harvest(query)
            body = response.http_response.content
            responses.append(body)
            errors = oai_errors(etree.fromstring(body))
            assert not errors, errors
            return response

    client = Validating(f"{live_server.url}/oai")
    client.responses = responses
    yield client
    client.close()


@pytest.fixture
def pyoai_client(live_server):
    client_module = _pyoai()

    class Validating(client_module.Client):
        def makeRequest(self, **kw):
            text = super().makeRequest(**kw)
            data = text.encode() if isinstance(text, str) else text
            errors = oai_errors(etree.fromstring(data))
            assert not errors, errors
            return text

    from oaipmh.metadata import MetadataRegistry, oai_dc_reader  # noqa: PLC0415 - after _pyoai()

    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    return Validating(f"{live_server.url}/oai", registry)


def day(value: date) -> str:
    return value.strftime("%Y-%m-%d")


def change_public_record(image_set):
    """A change a published set still takes (its metadata is frozen) that keeps it
    public: open becomes an embargo that has already ended, and back."""
    if image_set.access == "open":
        ended = date.today() - timedelta(days=1)
        return services.update_image_set(
            image_set, access="embargoed", embargo_until=ended, actor=SYSTEM
        )
    return services.update_image_set(image_set, access="open", embargo_until=None, actor=SYSTEM)
