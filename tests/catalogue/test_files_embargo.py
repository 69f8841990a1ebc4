"""Embargo of the files only (Zenodo's embargo): a published set whose files are under
embargo shows its metadata to everybody (landing page, API, search, OAI-PMH,
metadata exports) and its images, originals, thumbnails and image-level exports
only to its owner, curators, reviewers and staff until `embargo_until`; from that
day on to everybody. The date is compared, nothing runs: time is moved here by
moving `timezone.localdate`."""

from __future__ import annotations

import datetime as dt

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from catalogue import access, selectors, services
from catalogue.access import SYSTEM, Action
from catalogue.models import Access, ImageSet
from catalogue.oai.records import oai_identifier
from catalogue.search.documents import documents
from catalogue.search.query import SearchQuery
from curation.repositories.datacite import DataCiteTarget, metadata_private
from curation.services.deposits import publish, run_deposit
from tests.catalogue.conftest import real_jpegs
from tests.conftest import index_all
from tests.curation.annotating import annotate
from tests.curation.conftest import ready_set
from tests.curation.datacite_fake import FakeDataCite
from tests.search.conftest import BACKENDS, drop_backend, make_backend

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
UNTIL = TODAY + dt.timedelta(days=30)
READERS = ("owner", "curator", "reviewer", "staff")
EVERYBODY = ("anonymous", "other", *READERS)
VARIANTS = ("original", "medium", "small")


@pytest.fixture(autouse=True)
def files_settings(local_files_database_search):
    return local_files_database_search


@pytest.fixture
def embargoed(people) -> ImageSet:
    """A published set whose two images are under embargo until UNTIL, indexed."""
    image_set = services.create_image_set(
        title="Zooplankton of the Scheldt estuary",
        description="ZooScan scans, files withheld until the thesis is defended.",
        owner=people["owner"],
        curators=[people["curator"]],
        instrument="ZooScan",
        access=Access.FILES_EMBARGOED,
        embargo_until=UNTIL,
        actor=SYSTEM,
    )
    image_set.reviewers.add(people["reviewer"])
    services.ingest(image_set, real_jpegs(2), actor=SYSTEM)
    services.publish_image_set(image_set, actor=SYSTEM)
    index_all()
    image_set.refresh_from_db()
    return image_set


def client_for(people, who: str) -> Client:
    client = Client()
    if people[who] is not None:
        client.force_login(people[who])
    return client


def after_the_date(monkeypatch) -> None:
    """The day after the embargo ends."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: UNTIL)


def test_the_policy_tells_metadata_and_files_apart(people, embargoed, monkeypatch):
    assert access.is_public(embargoed) and access.metadata_open(embargoed)
    assert not access.files_public(embargoed) and not access.files_open(embargoed)
    for who in EVERYBODY:
        assert access.allowed(people[who], Action.VIEW, embargoed), who
        reads = who in READERS
        assert access.allowed(people[who], Action.READ_FILES, embargoed) == reads, who
        assert selectors.visible_images(people[who]).filter(image_set=embargoed).count() == (
            2 if reads else 0
        )
    assert ImageSet.objects.filter(access.public_filter(), pk=embargoed.pk).exists()
    assert not ImageSet.objects.filter(access.files_public_filter(), pk=embargoed.pk).exists()
    after_the_date(monkeypatch)
    assert access.files_public(embargoed)
    assert selectors.visible_images(None).filter(image_set=embargoed).count() == 2


def test_an_embargo_of_the_files_needs_its_date(people):
    with pytest.raises(ValidationError) as refused:
        services.create_image_set(
            title="No date", owner=people["owner"], access=Access.FILES_EMBARGOED, actor=SYSTEM
        )
    assert "embargo_until" in refused.value.message_dict


@pytest.mark.parametrize("who", EVERYBODY)
def test_files_are_withheld_until_the_date_then_open(people, embargoed, who, monkeypatch):
    client = client_for(people, who)
    images = list(embargoed.images.order_by("pk"))
    reads = who in READERS
    for image in images:
        for variant in VARIANTS:
            response = client.get(f"/files/images/{image.pk}/{variant}")
            assert response.status_code == (200 if reads else 404), (who, variant)
            if reads:
                assert response["Cache-Control"].startswith("private")
    after_the_date(monkeypatch)
    for image in images:
        for variant in VARIANTS:
            response = client.get(f"/files/images/{image.pk}/{variant}")
            assert response.status_code == 200, (who, variant)
            assert response["Cache-Control"].startswith("public")
            assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_the_landing_page_shows_the_metadata_and_says_until_when(people, embargoed):
    page = client_for(people, "anonymous").get(f"/sets/{embargoed.uuid}/")
    assert page.status_code == 200
    html = page.content.decode()
    text = " ".join(lxml.html.fromstring(html).text_content().split())
    assert embargoed.title in text and "ZooScan" in text
    assert f"Files under embargo until {UNTIL.day} {UNTIL:%B %Y}" in text
    assert "2 images" in text
    # No thumbnail, file link, file name or image-level export.
    assert "/files/images/" not in html and "/files/images/" not in page["Link"]
    for image in embargoed.images.all():
        assert image.file_name.rsplit("/", 1)[-1] not in html
    assert "rocrate.zip" not in html and "metadata.ecotaxa.tsv" not in html
    assert "metadata.datacite.xml" in html
    assert page["Cache-Control"].startswith("private")
    # Its owner sees the gallery, and no embargo note.
    owner = client_for(people, "owner").get(f"/sets/{embargoed.uuid}/").content.decode()
    assert "/files/images/" in owner and "rocrate.zip" in owner
    assert "are withheld until then" not in owner


def test_the_landing_page_opens_on_the_date(people, embargoed, monkeypatch):
    after_the_date(monkeypatch)
    page = client_for(people, "anonymous").get(f"/sets/{embargoed.uuid}/")
    html = page.content.decode()
    assert "Files under embargo until" not in html and "Open (embargo ended)" in html
    assert "/files/images/" in html and "rocrate.zip" in html
    assert not page.get("Cache-Control", "").startswith("private")


def test_downloads_metadata_yes_files_no(people, embargoed, monkeypatch):
    anonymous = client_for(people, "anonymous")
    base = f"/sets/{embargoed.uuid}"
    for fmt in ("datacite.xml", "dc.xml", "jsonld", "dcat.ttl", "txt"):
        assert anonymous.get(f"{base}/metadata.{fmt}").status_code == 200, fmt
    for fmt in ("ecotaxa.tsv", "ifdo.json", "coco.json"):
        assert anonymous.get(f"{base}/metadata.{fmt}").status_code == 404, fmt
    assert anonymous.get(f"{base}/rocrate.zip").status_code == 404
    linkset = anonymous.get(f"{base}/linkset")
    assert linkset.status_code == 200 and "/files/images/" not in linkset.content.decode()
    datacite = anonymous.get(f"{base}/metadata.datacite.xml").content.decode()
    assert f'dateType="Available">{UNTIL.isoformat()}<' in datacite
    assert "embargoedAccess" in datacite
    owner = client_for(people, "owner")
    assert owner.get(f"{base}/metadata.ecotaxa.tsv").status_code == 200
    assert owner.get(f"{base}/rocrate.zip").status_code == 200
    after_the_date(monkeypatch)
    assert anonymous.get(f"{base}/metadata.coco.json").status_code == 200
    assert anonymous.get(f"{base}/rocrate.zip").status_code == 200
    assert "/files/images/" in anonymous.get(f"{base}/linkset").content.decode()


def test_the_api_shows_the_set_and_withholds_its_images(people, embargoed, monkeypatch):
    anonymous = client_for(people, "anonymous")
    detail = anonymous.get(f"/api/v1/image-sets/{embargoed.pk}/")
    assert detail.status_code == 200
    assert detail.json()["access"] == "files_embargoed"
    assert detail.json()["embargo_until"] == UNTIL.isoformat()
    listed = anonymous.get("/api/v1/image-sets/").json()
    assert embargoed.pk in [row["id"] for row in listed["results"]]
    images = anonymous.get(f"/api/v1/images/?image_set={embargoed.pk}").json()
    assert images["results"] == []
    image = embargoed.images.order_by("pk").first()
    assert anonymous.get(f"/api/v1/images/{image.pk}/").status_code == 404
    owned = client_for(people, "owner").get(f"/api/v1/images/?image_set={embargoed.pk}").json()
    assert len(owned["results"]) == 2
    after_the_date(monkeypatch)
    images = anonymous.get(f"/api/v1/images/?image_set={embargoed.pk}").json()
    assert len(images["results"]) == 2


def test_search_finds_the_set_but_not_its_images(people, embargoed, monkeypatch):
    anonymous = client_for(people, "anonymous")
    sets = anonymous.get("/api/v1/search/", {"q": "Scheldt"}).json()
    assert [hit["id"] for hit in sets["hits"]] == [embargoed.pk]
    images = anonymous.get("/api/v1/search/", {"kind": "image", "image_set": embargoed.pk})
    assert images.json()["hits"] == []
    page = anonymous.get("/search/", {"q": "Scheldt"}).content.decode()
    assert embargoed.title in page and "Files under embargo" in page
    assert "/files/images/" not in page  # no thumbnails on its card
    grid = anonymous.get("/images/", {"image_set": embargoed.pk}).content.decode()
    assert "/files/images/" not in grid
    owner = client_for(people, "owner")
    owned = owner.get("/api/v1/search/", {"kind": "image", "image_set": embargoed.pk}).json()
    assert len(owned["hits"]) == 2
    assert "/files/images/" in owner.get("/search/", {"q": "Scheldt"}).content.decode()
    after_the_date(monkeypatch)
    images = anonymous.get("/api/v1/search/", {"kind": "image", "image_set": embargoed.pk})
    assert len(images.json()["hits"]) == 2
    assert "/files/images/" in anonymous.get("/search/", {"q": "Scheldt"}).content.decode()


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_every_search_backend_applies_the_policy(people, embargoed, backend_name):
    """The database index's and the engine's filter forms agree with the object check:
    the set's document is public, its images' documents only after the date."""
    backend = make_backend(backend_name)
    backend.setup()
    try:
        assert backend.index("set", list(documents("set", [embargoed.pk]))) == []
        image_ids = sorted(embargoed.images.values_list("pk", flat=True))
        assert backend.index("image", list(documents("image", image_ids))) == []
        backend.refresh()
        for who in EVERYBODY:
            visibility = access.visibility_of(people[who])
            found = backend.search(SearchQuery(kind="set").validate(), visibility)
            assert embargoed.pk in found.ids(), who
            hits = backend.search(SearchQuery(kind="image").validate(), visibility)
            expected = image_ids if who in READERS else []
            assert sorted(set(hits.ids()) & set(image_ids)) == expected, who
        later = access.visibility_of(None, today=UNTIL)
        hits = backend.search(SearchQuery(kind="image").validate(), later)
        assert sorted(set(hits.ids()) & set(image_ids)) == image_ids
    finally:
        drop_backend(backend)


def test_oai_pmh_harvests_its_metadata(people, embargoed):
    anonymous = client_for(people, "anonymous")
    identifier = oai_identifier(embargoed.uuid)
    record = anonymous.get(
        "/oai", {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": identifier}
    ).content.decode()
    assert "idDoesNotExist" not in record and embargoed.title in record
    assert "embargoedAccess" in record
    listed = anonymous.get("/oai", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    assert identifier in listed.content.decode()


def test_the_edit_form_offers_the_files_embargo(people):
    image_set = services.create_image_set(title="To embargo", owner=people["owner"], actor=SYSTEM)
    client = client_for(people, "owner")
    page = lxml.html.fromstring(client.get(f"/curate/sets/{image_set.uuid}/edit").content)
    radio = page.xpath('//input[@name="access"][@value="files_embargoed"]')
    assert radio and "Files under embargo" in radio[0].getparent().text_content()
    form = next(f for f in page.forms if f.get("id") == "set-form")
    data = dict(form.form_values())
    data["access"] = "files_embargoed"
    data["embargo_until"] = ""
    refused = client.post(f"/curate/sets/{image_set.uuid}/edit", data)
    assert refused.status_code == 200 and "end date" in refused.content.decode()
    data["embargo_until"] = UNTIL.isoformat()
    assert client.post(f"/curate/sets/{image_set.uuid}/edit", data).status_code == 302
    image_set.refresh_from_db()
    assert (image_set.access, image_set.embargo_until) == ("files_embargoed", UNTIL)


@pytest.fixture
def datacite(settings):
    server = FakeDataCite().start()
    settings.PUBLISH_TARGETS = {
        "dc": {
            "kind": "datacite",
            "url": server.url,
            "repository_id": server.repository_id,
            "password": server.password,
            "prefix": "10.5072",
            "timeout": 5,
        }
    }
    yield server
    server.stop()


def test_a_set_whose_files_are_under_embargo_gets_a_doi(people, datacite):
    """Its metadata is public once published, so DataCite may have it; a wholly
    embargoed set is still refused before anything is sent."""
    hidden = ready_set(people, images=1, access="embargoed", embargo_until=UNTIL)
    assert metadata_private(hidden)
    target = DataCiteTarget("dc", prefix="10.5072", repository_id="x", password="y")
    assert "access" in target.refuses(hidden)
    image_set = ready_set(people, images=1, access="files_embargoed", embargo_until=UNTIL)
    assert not metadata_private(image_set) and "access" not in target.refuses(image_set)
    deposit = run_deposit(publish(image_set, actor=people["owner"], target="dc").pk)
    assert deposit.state == "published", (deposit.error, deposit.errors)
    image_set.refresh_from_db()
    assert image_set.state == "published" and image_set.doi
    attributes = datacite.dois[image_set.doi]["attributes"]
    assert {"date": UNTIL.isoformat(), "dateType": "Available"} in attributes["dates"]
    # Published, its metadata is public and its files are not.
    anonymous = client_for(people, "anonymous")
    assert anonymous.get(f"/sets/{image_set.uuid}/").status_code == 200
    image = image_set.images.get()
    assert anonymous.get(f"/files/images/{image.pk}/original").status_code == 404


def test_annotations_and_their_crops_are_read_as_the_files(people, monkeypatch):
    image_set = services.create_image_set(
        title="Annotated, files under embargo",
        owner=people["owner"],
        access=Access.FILES_EMBARGOED,
        embargo_until=UNTIL,
        actor=SYSTEM,
    )
    services.ingest(image_set, real_jpegs(1), actor=SYSTEM)
    annotation = annotate(image_set.images.get(), "Calanus")
    services.publish_image_set(image_set, actor=SYSTEM)
    detail = f"/api/v1/annotations/{annotation.pk}/"
    crop = f"/curate/annotations/{annotation.pk}/crop.jpg"
    anonymous, owner = client_for(people, "anonymous"), client_for(people, "owner")
    assert anonymous.get(detail).status_code == 404
    assert anonymous.get(crop).status_code == 404
    assert owner.get(detail).status_code == 200
    response = owner.get(crop)
    assert response.status_code == 200 and response["Cache-Control"].startswith("private")
    after_the_date(monkeypatch)
    assert anonymous.get(detail).status_code == 200
    assert anonymous.get(crop).status_code == 200
