"""A set's versions on its landing page, and `/sets/<uuid>/latest/`: only versions
the visitor may see are listed, and "latest" is the newest of those."""

from __future__ import annotations

import lxml.html
import pytest

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet
from tests.catalogue.conftest import real_jpegs
from tests.curation.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def files_and_search(local_files_database_search):
    return local_files_database_search


def soup(response):
    return lxml.html.fromstring(response.content.decode())


def text(node) -> str:
    return " ".join(node.text_content().split())


def first_version(people, **fields) -> ImageSet:
    values = {
        "title": "Skagerrak copepods",
        "creators": [{"name": "Berg, Anna"}],
        "licence": "CC-BY-4.0",
        "access": "open",
        "version": "1",
        **fields,
    }
    image_set = services.create_image_set(owner=people["owner"], actor=SYSTEM, **values)
    services.ingest(image_set, real_jpegs(1), actor=SYSTEM)
    return services.publish_image_set(image_set, actor=SYSTEM)


def next_version(image_set: ImageSet, **changes) -> ImageSet:
    draft = services.new_version(image_set, actor=SYSTEM)
    if changes:
        services.update_image_set(draft, actor=SYSTEM, **changes)
    return services.publish_image_set(draft, actor=SYSTEM)


def versions_list(page) -> list[tuple[str, bool, str]]:
    """(text, is current, link) of each listed version."""
    return [
        (
            " ".join(text(li).split()),
            li.get("aria-current") == "page",
            (li.xpath("./a/@href") or [""])[0],
        )
        for li in page.xpath("//ol[contains(@class, 'all-versions')]/li")
    ]


def newer_notice(page):
    found = page.xpath("//*[contains(@class, 'newer-version')]")
    return found[0] if found else None


def test_a_set_with_one_version_lists_no_versions(people):
    v1 = first_version(people)
    services.new_version(v1, actor=SYSTEM)  # a draft is not a version yet
    for who in ("anonymous", "owner"):
        page = soup(client_for(people[who]).get(f"/sets/{v1.uuid}/"))
        assert versions_list(page) == []
        assert newer_notice(page) is None


def test_an_older_version_lists_every_version_and_points_at_the_newer(people):
    v1 = first_version(people, doi="10.5072/aquacat.v1")
    v2 = next_version(v1, description="Now with more images.")
    v3 = next_version(v2)
    client = client_for(None)
    page = soup(client.get(f"/sets/{v1.uuid}/"))
    listed = versions_list(page)
    assert [(current, href) for _text, current, href in listed] == [
        (False, f"/sets/{v3.uuid}/"),
        (False, f"/sets/{v2.uuid}/"),
        (True, ""),
    ]
    assert listed[0][0].startswith("Version 3")
    assert listed[1][0].startswith("Version 2")
    assert listed[2][0].startswith("Version 1 (this page)")
    assert "DOI 10.5072/aquacat.v1" in listed[2][0]
    assert page.xpath(
        "//ol[contains(@class, 'all-versions')]//a[@href=$u]",
        u="https://doi.org/10.5072/aquacat.v1",
    )
    assert page.xpath("//ol[contains(@class, 'all-versions')]/li[1]//time/@datetime")
    notice = newer_notice(page)
    assert "A newer version of this set exists" in text(notice)
    assert notice.xpath(".//a/@href") == [f"/sets/{v3.uuid}/"]

    newest = soup(client.get(f"/sets/{v3.uuid}/"))
    assert newer_notice(newest) is None
    assert [current for _t, current, _h in versions_list(newest)] == [True, False, False]
    middle = soup(client.get(f"/sets/{v2.uuid}/"))
    assert newer_notice(middle).xpath(".//a/@href") == [f"/sets/{v3.uuid}/"]


def test_versions_the_visitor_may_not_see_are_not_listed(people):
    v1 = first_version(people)
    v2 = next_version(v1, access="restricted")
    anonymous = soup(client_for(None).get(f"/sets/{v1.uuid}/"))
    assert versions_list(anonymous) == []
    assert newer_notice(anonymous) is None
    assert f"/sets/{v2.uuid}/" not in lxml.html.tostring(anonymous).decode()
    owner = soup(client_for(people["owner"]).get(f"/sets/{v1.uuid}/"))
    assert [href for _t, _c, href in versions_list(owner)] == [f"/sets/{v2.uuid}/", ""]
    assert newer_notice(owner).xpath(".//a/@href") == [f"/sets/{v2.uuid}/"]


def test_latest_redirects_to_the_newest_version_the_visitor_may_see(people):
    v1 = first_version(people)
    v2 = next_version(v1)
    client = client_for(None)
    for start in (v1, v2):
        response = client.get(f"/sets/{start.uuid}/latest/")
        assert response.status_code == 302
        assert response["Location"] == f"/sets/{v2.uuid}/"
        assert "private" in response["Cache-Control"]
    v3 = next_version(v2, access="restricted")
    assert client.get(f"/sets/{v1.uuid}/latest/")["Location"] == f"/sets/{v2.uuid}/"
    owner = client_for(people["owner"])
    assert owner.get(f"/sets/{v1.uuid}/latest/")["Location"] == f"/sets/{v3.uuid}/"
    # The landing page links to it once there are versions.
    page = soup(client.get(f"/sets/{v1.uuid}/"))
    assert page.xpath("//a[@href=$u]", u=f"/sets/{v1.uuid}/latest/")


def test_latest_of_a_hidden_set_or_one_never_published_is_404(people):
    hidden = first_version(people, access="restricted")
    assert client_for(None).get(f"/sets/{hidden.uuid}/latest/").status_code == 404
    assert client_for(people["other"]).get(f"/sets/{hidden.uuid}/latest/").status_code == 404
    assert client_for(people["owner"]).get(f"/sets/{hidden.uuid}/latest/").status_code == 302
    draft = services.create_image_set(title="Draft", owner=people["owner"], actor=SYSTEM)
    assert client_for(people["owner"]).get(f"/sets/{draft.uuid}/latest/").status_code == 404
    assert client_for(None).get(f"/sets/{draft.uuid}/latest/").status_code == 404
    assert client_for(None).post(f"/sets/{hidden.uuid}/latest/").status_code == 405
