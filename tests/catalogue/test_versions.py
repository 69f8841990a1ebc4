"""New versions through the services: a draft of the next version shares the
stored files, points back at the version it follows, and is one per version."""

from __future__ import annotations

import pytest
from lxml import etree

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.errors import NotAllowed, WrongState
from catalogue.formats import datacite
from catalogue.models import Image
from catalogue.services.versions import next_version_label
from tests.catalogue.conftest import real_jpegs, stored_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def first(django_user_model, storage):
    owner = django_user_model.objects.create_user("owner")
    image_set = services.create_image_set(
        title="Diatoms of Lake Constance",
        creators=[{"name": "Doe, Jane"}],
        owner=owner,
        version="1.0",
        doi="10.5072/aquacat.first",
        related_identifiers=[
            {"identifier": "10.1/paper", "identifier_type": "DOI", "relation_type": "IsCitedBy"}
        ],
        actor=SYSTEM,
    )
    services.ingest(image_set, real_jpegs(3), actor=SYSTEM)
    return services.publish_image_set(image_set, actor=SYSTEM)


@pytest.mark.parametrize(
    ("label", "after"), [("1.0", "1.1"), ("v2", "v3"), ("", "2"), ("2026-release", "2027-release")]
)
def test_next_version_label(label, after):
    assert next_version_label(label) == after


def test_a_new_version_shares_the_files_and_points_back(first):
    keys_before = stored_keys()
    draft = services.new_version(first, actor=first.owner)
    assert draft.state == "draft" and draft.previous_version == first
    assert draft.concept_uuid == first.concept_uuid and draft.uuid != first.uuid
    assert draft.version == "1.1" and draft.title == first.title and draft.owner == first.owner
    assert {
        "identifier": "10.5072/aquacat.first",
        "identifier_type": "DOI",
        "relation_type": "IsNewVersionOf",
    } in draft.related_identifiers
    assert draft.related_identifiers[0]["relation_type"] == "IsCitedBy"
    old = list(first.images.order_by("pk").values_list("storage_key", "sha256"))
    new = list(draft.images.order_by("pk").values_list("storage_key", "sha256"))
    assert new == old and len(new) == 3
    assert stored_keys() == keys_before  # not a byte copied
    assert services.new_version(first, actor=first.owner).pk == draft.pk  # one draft at a time


def test_the_draft_takes_new_files_and_its_deletion_keeps_the_shared_ones(first):
    draft = services.new_version(first, actor=first.owner)
    batch = services.ingest(draft, real_jpegs(4)[3:], actor=first.owner)
    assert batch.added == 1 and draft.images.count() == 4
    services.delete_image_set(draft, actor=first.owner)
    assert Image.objects.filter(image_set=first).count() == 3
    for key in first.images.values_list("storage_key", flat=True):
        assert key in stored_keys()


def test_publishing_the_new_version_keeps_the_old_one_readable(first):
    draft = services.new_version(first, actor=first.owner)
    services.publish_image_set(draft, actor=first.owner)
    first.refresh_from_db()
    assert first.state == "published" and list(first.next_versions.all()) == [draft]
    assert services.new_version(draft, actor=first.owner).previous_version == draft
    with pytest.raises(WrongState):  # versions form a line: the next comes from the latest
        services.new_version(first, actor=first.owner)


def test_only_a_published_set_has_a_next_version(first, django_user_model):
    draft = services.new_version(first, actor=first.owner)
    with pytest.raises(WrongState):
        services.new_version(draft, actor=first.owner)
    stranger = django_user_model.objects.create_user("stranger")
    with pytest.raises(NotAllowed):
        services.new_version(first, actor=stranger)


def test_datacite_carries_the_version_relations(first):
    """Validated against DataCite's own XSD, with IsVersionOf the concept DOI and the
    old version IsPreviousVersionOf the new one."""

    first.concept_doi = "10.5072/aquacat.concept"
    first.save(update_fields=["concept_doi"])
    draft = services.new_version(first, actor=first.owner)
    services.publish_image_set(draft, actor=first.owner)
    draft.doi = "10.5072/aquacat.second"
    draft.save(update_fields=["doi"])
    ns = {"d": "http://datacite.org/schema/kernel-4"}

    def relations(image_set):
        root = etree.fromstring(datacite.to_xml(image_set))
        assert not datacite.xml_errors(root), datacite.xml_errors(root)
        return {
            (r.get("relationType"), r.text)
            for r in root.iterfind("d:relatedIdentifiers/d:relatedIdentifier", ns)
        }

    assert {
        ("IsVersionOf", "10.5072/aquacat.concept"),
        ("IsPreviousVersionOf", "10.5072/aquacat.second"),
    } <= relations(first)
    assert {
        ("IsVersionOf", "10.5072/aquacat.concept"),
        ("IsNewVersionOf", "10.5072/aquacat.first"),
    } <= relations(draft)
