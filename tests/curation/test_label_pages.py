"""A set's labels page: who reaches it, making a label set from lines of text (bad
lines named by number, nothing made), adding labels to a draft, choosing a label
set (refused while annotations exist), and a published set shown read-only."""

from __future__ import annotations

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from curation.models import Label, Labelling, LabelSet
from curation.services import labels as label_services
from tests.curation.conftest import by_id, client_for, soup, text
from tests.curation.review_data import set_to_review

pytestmark = pytest.mark.django_db


def labels_url(image_set) -> str:
    return f"/curate/sets/{image_set.uuid}/labels"


@pytest.fixture
def bare_set(people):
    """A draft with no label set (nothing imported), curated and reviewed."""
    image_set = services.create_image_set(
        title="Unlabelled copepods",
        creators=[{"name": "Berg, Anna"}],
        licence="CC-BY-4.0",
        owner=people["owner"],
        curators=[people["curator"]],
        actor=SYSTEM,
    )
    image_set.reviewers.add(people["reviewer"])
    return image_set


@pytest.fixture
def to_review(people):
    return set_to_review(
        owner=people["owner"],
        curators=[people["curator"]],
        reviewers=[people["reviewer"]],
        predictions=2,
    )


def errors_of(response, element_id: str) -> list[str]:
    found = by_id(soup(response), element_id)
    return [text(item) for item in found.xpath("./li")] if found is not None else []


@pytest.mark.parametrize(
    ("who", "expected"),
    [("other", 404), ("reviewer", 200), ("curator", 200), ("owner", 200), ("staff", 200)],
)
def test_who_reaches_the_labels_page(people, to_review, who, expected):
    image_set, _, _ = to_review
    response = client_for(people[who]).get(labels_url(image_set))
    assert response.status_code == expected
    if expected == 200:
        page = soup(response)
        assert "North Sea plankton" in text(by_id(page, "label-set-heading"))
        assert text(by_id(page, "label-set-version")) == "1"
        rows = [text(row) for row in page.xpath('//*[@id="labels-table"]/tbody/tr')]
        assert len(rows) == 3 and any("Tripos" in row and "106285" in row for row in rows)
        assert page.xpath('//*[@id="labels-table"]//span[@class="swatch"]')
        changes = by_id(page, "new-label-set") is not None
        assert changes is (who != "reviewer")


def test_a_visitor_is_sent_to_sign_in(to_review):
    image_set, _, _ = to_review
    response = client_for(None).get(labels_url(image_set))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_reviewer_may_not_change_the_label_set(people, bare_set):
    response = client_for(people["reviewer"]).post(
        labels_url(bare_set),
        {"action": "create", "create-name": "Copepods", "create-labels": "Calanus"},
    )
    assert response.status_code == 403
    assert not LabelSet.objects.exists()


def test_a_curator_makes_a_label_set_from_lines(people, bare_set):
    client = client_for(people["curator"])
    page = soup(client.get(labels_url(bare_set)))
    assert "No label set yet" in text(by_id(page, "label-set-heading"))
    response = client.post(
        labels_url(bare_set),
        {
            "action": "create",
            "create-name": "Copepods",
            "create-labels": "Calanus, c, 104464\n\n  Temora , t\ndetritus\n",
        },
    )
    assert response.status_code == 302
    label_set = Labelling.objects.get(image_set=bare_set).label_set
    assert (label_set.name, label_set.owner, label_set.state) == (
        "Copepods",
        people["curator"],
        "draft",
    )
    made = {label.name: (label.shortcut, label.aphia_id) for label in label_set.labels.all()}
    assert made == {"Calanus": ("c", 104464), "Temora": ("t", None), "detritus": ("", None)}

    page = soup(client.get(labels_url(bare_set)))
    assert "Copepods" in text(by_id(page, "label-set-heading"))
    assert by_id(page, "add-labels") is not None
    response = client.post(labels_url(bare_set), {"action": "add", "add-labels": "Oithona, o"})
    assert response.status_code == 302
    assert label_set.labels.filter(name="Oithona", shortcut="o").exists()


def test_every_bad_line_is_named_and_nothing_is_made(people, bare_set):
    response = client_for(people["curator"]).post(
        labels_url(bare_set),
        {
            "action": "create",
            "create-name": "Copepods",
            "create-labels": "Calanus, c\n, x\nTemora, tt\nOithona, c\nAcartia, a, many\n"
            "Calanus\nPseudocalanus, p, 1, 2",
        },
    )
    assert response.status_code == 200
    errors = errors_of(response, "id_create-labels-error")
    assert [error.split(":")[0] for error in errors] == [f"Line {n}" for n in range(2, 8)]
    assert "name is missing" in errors[0]
    assert "one key" in errors[1]
    assert "line 1" in errors[2]
    assert "'many'" in errors[3]
    assert "'Calanus' is on line 1" in errors[4]
    assert "at most three" in errors[5]
    assert not LabelSet.objects.exists() and not Labelling.objects.exists()


def test_a_label_set_is_chosen(people, bare_set):
    other = label_services.create_label_set(
        actor=people["other"], name="Zooplankton", labels=[{"name": "Calanus"}]
    )
    label_services.publish_label_set(actor=people["other"], label_set=other)
    hidden = label_services.create_label_set(actor=people["other"], name="Someone's draft")
    client = client_for(people["curator"])
    page = soup(client.get(labels_url(bare_set)))
    choices = page.xpath('//select[@name="choose-label_set"]/option/@value')
    assert str(other.pk) in choices and str(hidden.pk) not in choices
    response = client.post(labels_url(bare_set), {"action": "choose", "choose-label_set": other.pk})
    assert response.status_code == 302
    assert Labelling.objects.get(image_set=bare_set).label_set == other
    response = client.post(
        labels_url(bare_set), {"action": "choose", "choose-label_set": hidden.pk}
    )
    assert response.status_code == 200
    assert errors_of(response, "id_choose-label_set-error")
    assert Labelling.objects.get(image_set=bare_set).label_set == other


def test_another_label_set_is_refused_while_annotations_exist(people, to_review):
    image_set, _, _ = to_review
    used = Labelling.objects.get(image_set=image_set).label_set
    mine = label_services.create_label_set(
        actor=people["curator"], name="Mine", labels=[{"name": "Calanus"}]
    )
    client = client_for(people["curator"])
    response = client.post(labels_url(image_set), {"action": "choose", "choose-label_set": mine.pk})
    assert response.status_code == 200
    errors = errors_of(response, "id_choose-label_set-error")
    assert errors and "only a later version" in errors[0]
    assert Labelling.objects.get(image_set=image_set).label_set == used

    response = client.post(
        labels_url(image_set),
        {"action": "create", "create-name": "Fresh", "create-labels": "Temora"},
    )
    assert response.status_code == 200
    refusal = soup(response).xpath('//form[@id="new-label-set"]/div/ul[@class="errorlist"]')
    assert "only a later version" in text(refusal[0])
    assert not LabelSet.objects.filter(name="Fresh").exists()
    assert Labelling.objects.get(image_set=image_set).label_set == used


def test_a_published_label_set_needs_a_new_version(people, to_review):
    image_set, _, _ = to_review
    used = Labelling.objects.get(image_set=image_set).label_set
    label_services.publish_label_set(actor=people["owner"], label_set=used)
    response = client_for(people["owner"]).get(labels_url(image_set))
    page = soup(response)
    assert by_id(page, "add-labels") is None
    note = text(by_id(page, "new-version-note"))
    assert f"/api/v1/label-sets/{used.uuid}/versions/" in note
    refused = client_for(people["owner"]).post(
        labels_url(image_set), {"action": "add", "add-labels": "Oithona"}
    )
    assert refused.status_code == 200
    assert not Label.objects.filter(name="Oithona").exists()


def test_labels_of_someone_elses_draft_are_added_by_its_owner_only(people, to_review):
    image_set, _, _ = to_review  # the owner's label set
    client = client_for(people["curator"])
    assert by_id(soup(client.get(labels_url(image_set))), "add-labels") is None
    response = client.post(labels_url(image_set), {"action": "add", "add-labels": "Oithona"})
    assert response.status_code == 200
    assert "owner" in text(soup(response).xpath('//form[@id="add-labels"]/div/ul')[0])
    assert not Label.objects.filter(name="Oithona").exists()


def test_a_published_set_is_read_only(people, to_review):
    image_set, _, _ = to_review
    services.publish_image_set(image_set, actor=SYSTEM)
    for who in ("curator", "reviewer"):
        response = client_for(people[who]).get(labels_url(image_set))
        assert response.status_code == 200
        page = soup(response)
        assert "Read-only" in text(page.xpath('//*[@class="notice"]')[0])
        assert by_id(page, "labels-table") is not None
        assert not page.xpath("//main//form[@method='post']")
    refused = client_for(people["curator"]).post(
        labels_url(image_set),
        {"action": "create", "create-name": "Late", "create-labels": "Calanus"},
    )
    assert refused.status_code == 409
    assert not LabelSet.objects.filter(name="Late").exists()


def test_the_pages_link_to_the_labels_page(people, bare_set):
    client = client_for(people["curator"])
    url = labels_url(bare_set)
    for page_url in ("/curate/", f"/curate/sets/{bare_set.uuid}/review"):
        page = soup(client.get(page_url))
        assert page.xpath("//a[@href=$url]", url=url), page_url
