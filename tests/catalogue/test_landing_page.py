"""A set's landing page through Django's client: downloads, identifiers, the
citation, escaping, access, the capped gallery, annotations and enrichments."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from lxml import etree

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.formats.registry import FORMATS
from catalogue.landing.description import identifier_url, relation_label
from catalogue.landing.gallery import GALLERY_SIZE
from inference.services import start_job
from inference.services.batches import process_batch
from tests.catalogue.conftest import ecotaxa_demo_folder, local_storages, real_jpegs
from tests.fair.conftest import FULL
from tests.inference.conftest import make_set, register_shipped

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage(tmp_path):
    with override_settings(STORAGES=local_storages(tmp_path / "media")):
        yield


@pytest.fixture
def full_set(storage, tmp_path):
    image_set = services.create_image_set(
        **{
            **FULL,
            "state": "draft",  # filled, then published below
            "related_identifiers": [
                *FULL["related_identifiers"],
                {
                    "identifier": "10.14284/998",
                    "identifier_type": "DOI",
                    "relation_type": "IsNewVersionOf",
                },
                {
                    "identifier": "https://example.org/protocol.pdf",
                    "identifier_type": "URL",
                    "relation_type": "IsDescribedBy",
                },
            ],
        },
        actor=SYSTEM,
    )
    services.ingest(image_set, real_jpegs(2), actor=SYSTEM)
    return services.publish_image_set(image_set, actor=SYSTEM)


def page(client, image_set, query: str = ""):
    response = client.get(f"/sets/{image_set.uuid}/{query}")
    assert response.status_code == 200
    return response, etree.HTML(response.content)


def gallery_data(html) -> list[dict]:
    return json.loads(html.find(".//script[@id='landing-gallery-data']").text)


def test_every_download_is_offered_and_answers(client, full_set):
    _, html = page(client, full_set)
    hrefs = html.xpath("//section[contains(@class,'downloads')]//a/@href")
    expected = [f"/sets/{full_set.uuid}/metadata.{fmt}" for fmt in FORMATS]
    assert sorted(hrefs) == sorted([*expected, f"/sets/{full_set.uuid}/rocrate.zip"])
    # Human names, not file names.
    labels = html.xpath("//section[contains(@class,'downloads')]//a/text()")
    assert "DataCite XML" in labels and "BibTeX" in labels and "iFDO YAML" in labels
    assert any(label.startswith("RO-Crate") for label in labels)
    for href in hrefs:
        response = client.get(href)
        assert response.status_code == 200, href
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body, href


def test_identifiers_link_to_orcid_ror_worms_doi_and_licence(client, full_set):
    _, html = page(client, full_set)
    links = html.xpath("//a/@href")
    assert "https://orcid.org/0000-0002-1825-0097" in links
    assert "https://ror.org/0496vr396" in links
    assert "https://www.marinespecies.org/aphia.php?p=taxdetails&id=104464" in links
    assert "https://www.marinespecies.org/aphia.php?p=taxdetails&id=1080" in links
    assert "https://doi.org/10.14284/999" in links
    assert "https://creativecommons.org/licenses/by/4.0/" in links
    text = " ".join(html.itertext())
    assert "Flanders Marine Institute (VLIZ)" in text  # the affiliation
    assert "Noctiluca" in text  # a taxon without AphiaID, shown without a link
    # Versions and related identifiers, as links; the version ones first.
    related = html.xpath("//ul[@class='related']/li")
    assert related[0].xpath(".//a/@href") == ["https://doi.org/10.14284/998"]
    assert "Is new version of" in "".join(related[0].itertext())
    assert "https://example.org/protocol.pdf" in links
    assert "https://doi.org/10.14284/435" in links
    assert "version 2.1" in text.lower()


def test_head_keeps_json_ld_and_adds_signposting_link_elements(client, full_set):
    response, html = page(client, full_set)
    head = html.find("head")
    data = json.loads(head.find(".//script[@type='application/ld+json']").text)
    assert data["@type"] == "Dataset"
    rels = [(link.get("rel"), link.get("href"), link.get("type")) for link in head.iter("link")]
    assert ("cite-as", "https://doi.org/10.14284/999", None) in rels
    assert ("license", "https://creativecommons.org/licenses/by/4.0/", None) in rels
    described = {t for rel, _, t in rels if rel == "describedby"}
    assert described == {f.media_type for f in FORMATS.values() if f.describedby}
    assert 'rel="cite-as"' in response["Link"] and 'rel="item"' in response["Link"]


def test_citation_formats_are_all_rendered(client, full_set):
    _, html = page(client, full_set)
    section = html.find(".//section[@data-citation]")
    switch = {a.get("data-format"): a.get("href") for a in section.iterfind(".//nav/a")}
    assert switch == {
        "text": f"/sets/{full_set.uuid}/metadata.txt",
        "bibtex": f"/sets/{full_set.uuid}/metadata.bib",
        "ris": f"/sets/{full_set.uuid}/metadata.ris",
        "csl": f"/sets/{full_set.uuid}/metadata.csl.json",
    }
    panels = {
        div.get("data-panel"): "".join(div.itertext()).strip()
        for div in section.iterfind(".//div[@data-panel]")
    }
    assert panels["text"].startswith("Mortelmans, J.; LifeWatch Belgium (")
    assert "https://doi.org/10.14284/999" in panels["text"]
    assert panels["bibtex"].startswith("@misc{")
    assert panels["ris"].startswith("TY  - DATA")
    assert json.loads(panels["csl"])[0]["DOI"] == "10.14284/999"
    # Only the text is shown without JS; the others are one switch away.
    hidden = [d.get("data-panel") for d in section.iterfind(".//div[@hidden]")]
    assert hidden == ["bibtex", "ris", "csl"]


def test_a_set_without_doi_says_so(client, storage):
    image_set = services.create_image_set(title="Fresh", state="published", actor=SYSTEM)
    _, html = page(client, image_set)
    assert "No DOI yet" in " ".join(html.itertext())
    assert not [a for a in html.xpath("//a/@href") if a.startswith("https://doi.org/")]


def test_html_in_metadata_is_escaped(client, storage):
    nasty = "<script>alert(1)</script>"
    image_set = services.create_image_set(
        title=f"Title {nasty}",
        description='<img src=x onerror="alert(2)">',
        creators=[{"name": "<b>Bold</b>, Eve", "affiliation": "<i>Inst</i>"}],
        keywords=["<u>kw</u>"],
        taxa=[{"scientific_name": "<em>Taxon</em>"}],
        related_identifiers=[
            {
                "identifier": "javascript:alert(3)",
                "identifier_type": "URL",
                "relation_type": "IsNewVersionOf",
            }
        ],
        instrument="<marquee>",
        state="published",
        actor=SYSTEM,
    )
    response = client.get(f"/sets/{image_set.uuid}/")
    body = response.content.decode()
    for raw in (nasty, "<img src=x", "<b>Bold</b>", "<i>Inst</i>", "<u>kw</u>", "<em>Taxon"):
        assert raw not in body
    assert "<marquee>" not in body
    assert "Title &lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;b&gt;Bold&lt;/b&gt;, Eve" in body
    html = etree.HTML(response.content)
    assert not [h for h in html.xpath("//a/@href") if h.lower().startswith("javascript:")]
    assert "javascript:alert(3)" in " ".join(html.itertext())  # shown as text, not a link


def test_hidden_sets_are_404_for_anonymous_and_200_for_the_owner(client, storage):
    owner = get_user_model().objects.create_user("owner")
    for fields in ({"state": "draft"}, {"state": "published", "access": "restricted"}):
        hidden = services.create_image_set(title="Hidden", owner=owner, **fields, actor=SYSTEM)
        client.logout()
        assert client.get(f"/sets/{hidden.uuid}/").status_code == 404
        client.force_login(owner)
        response = client.get(f"/sets/{hidden.uuid}/")
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, max-age=300"
    client.logout()


def test_embargoed_set_shows_its_date_to_the_owner(client, storage):
    owner = get_user_model().objects.create_user("owner")
    image_set = services.create_image_set(
        title="Later",
        owner=owner,
        state="published",
        access="embargoed",
        embargo_until=date(2999, 1, 31),
        actor=SYSTEM,
    )
    assert client.get(f"/sets/{image_set.uuid}/").status_code == 404
    client.force_login(owner)
    _, html = page(client, image_set)
    badges = " ".join(html.find(".//p[@class='landing-badges']").itertext())
    assert "Embargoed until 31 January 2999" in " ".join(badges.split())


def test_gallery_is_paged_never_the_whole_set(client, storage, settings):
    settings.AQUACAT_LANDING_GALLERY_SIZE = 5
    image_set = services.create_image_set(title="Many", actor=SYSTEM)
    batch = services.ingest(image_set, real_jpegs(12), actor=SYSTEM)
    services.publish_image_set(image_set, actor=SYSTEM)
    assert batch.added == 12

    _, html = page(client, image_set)
    thumbs = html.xpath("//ul[@data-gallery]//img")
    assert len(thumbs) == 5 and all(img.get("loading") == "lazy" for img in thumbs)
    assert all(img.get("src").endswith("/small") for img in thumbs)
    assert len(gallery_data(html)) == 5
    assert html.xpath("//nav[@class='pager']//a[@rel='next']/@href") == ["?page=2#gallery"]
    assert "1\u20135 of 12 images" in " ".join(html.itertext())

    _, last = page(client, image_set, "?page=3")
    assert len(last.xpath("//ul[@data-gallery]//img")) == 2
    assert not last.xpath("//a[@rel='next']") and last.xpath("//a[@rel='prev']")
    first_ids = {item["id"] for item in gallery_data(html)}
    assert not first_ids & {item["id"] for item in gallery_data(last)}
    for bad in ("?page=abc", "?page=-4", "?page=99"):
        _, clamped = page(client, image_set, bad)
        assert len(clamped.xpath("//ul[@data-gallery]//img")) in (5, 2)


def test_gallery_default_cap_is_bounded(client, storage):
    assert 12 <= GALLERY_SIZE <= 100


def test_ecotaxa_annotations_reach_the_gallery_and_lightbox(client, storage, tmp_path):
    folder = tmp_path / "images"
    paths = ecotaxa_demo_folder(folder)
    image_set = services.create_image_set(title="Labelled", actor=SYSTEM)
    assert services.ingest(image_set, [folder], actor=SYSTEM).added == 4
    services.publish_image_set(image_set, actor=SYSTEM)

    _, html = page(client, image_set)
    data = {item["path"]: item for item in gallery_data(html)}
    tripos = data[f"Tripos/{paths[0].name}"]
    assert tripos["annotations"] == [
        {"label": "Tripos", "box": None, "status": "validated", "shape": "whole"}
    ]
    assert data["unlabelled.jpg"]["annotations"] == []
    assert tripos["medium"].endswith(f"/files/images/{tripos['id']}/medium")
    assert tripos["exif"] is not None and tripos["width"] > 0
    badges = html.xpath("//ul[@data-gallery]//span[contains(@class,'label')]/text()")
    assert sorted(badges) == ["Ciliophora", "Tripos", "Tripos"]
    # The thumbnail link works without JS and names the label for screen readers.
    link = html.xpath(f"//a[@class='thumb'][@href='{tripos['medium']}']")[0]
    assert "(Tripos)" in link.get("aria-label")
    assert client.get(tripos["medium"]).status_code == 200


def test_ifdo_boxes_become_overlay_boxes(client, storage, tmp_path):
    folder = tmp_path / "dive"
    folder.mkdir()
    source = real_jpegs(1)[0]
    shutil.copy(source, folder / "frame.jpg")
    doc = {
        "image-set-header": {
            "image-set-name": "Dive",
            "image-set-uuid": "7b0c2a35-6c0d-4d8e-9a43-1f9e0d7c0e12",
        },
        "image-set-items": {
            "frame.jpg": {
                "image-annotations": [
                    {
                        "shape": "rectangle",
                        "coordinates": [[5, 10, 25, 10, 25, 30, 5, 30]],
                        "labels": [{"label": "Tripos", "annotator": "Doe, Jane"}],
                    },
                    {"shape": "whole-image", "coordinates": [], "labels": [{"label": "plankton"}]},
                ]
            }
        },
    }
    (folder / "dive_ifdo.json").write_text(json.dumps(doc))
    image_set = services.create_image_set(title="Boxes", actor=SYSTEM)
    assert services.ingest(image_set, [folder], actor=SYSTEM).added == 1
    services.publish_image_set(image_set, actor=SYSTEM)
    image = image_set.images.get()

    _, html = page(client, image_set)
    [item] = gallery_data(html)
    boxed, whole = item["annotations"]
    assert boxed["label"] == "Tripos" and boxed["by"] == "Doe, Jane"
    w, h = image.width, image.height
    assert boxed["box"] == pytest.approx(
        [5 / w * 100, 10 / h * 100, 20 / w * 100, 20 / h * 100], abs=0.01
    )
    assert boxed["status"] == "validated" and boxed["shape"] == "box"
    assert whole == {"label": "plankton", "box": None, "status": "validated", "shape": "whole"}


def test_model_enrichment_with_provenance(client, storage, tmp_path):
    version = register_shipped()
    image_set = make_set(tmp_path, 4)
    job = start_job(version, {"image_set": image_set.pk}, None, batch_size=4)
    for batch in job.batches.all():
        process_batch(batch.pk)

    _, html = page(client, image_set)
    section = html.find(".//section[@aria-labelledby='enrich-heading']")
    card = f"/models/{version.model.name}/{version.version}/"
    assert card in section.xpath(".//a/@href")
    assert client.get(card).status_code == 200
    counts = {
        row.findtext("td"): int(row.findall("td")[1].text)
        for row in section.iterfind(".//tbody/tr")
    }
    assert sum(counts.values()) == 4
    assert section.find(".//time") is not None  # when it ran
    item = gallery_data(html)[0]
    [prediction] = item["predictions"]
    assert prediction["model"] == version.model.name and prediction["version"] == "1.0.0"
    assert 0 < prediction["confidence"] <= 1 and prediction["card"] == card


def test_identifier_links_are_only_ever_http():
    assert identifier_url("10.1/x y", "DOI") == "https://doi.org/10.1/x%20y"
    assert identifier_url("doi:10.1/x", "DOI") == "https://doi.org/10.1/x"
    assert identifier_url("javascript:alert(1)", "URL") is None
    assert identifier_url("data:text/html,x", "URL") is None
    assert identifier_url("urn:nbn:de:1", "URN") is None
    assert identifier_url("20.500.1/abc", "Handle") == "https://hdl.handle.net/20.500.1/abc"
    assert relation_label("IsPreviousVersionOf") == "Is previous version of"
