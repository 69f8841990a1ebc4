"""The annotations API through Django's test client: the access matrix with reviewers
on draft and published sets, list filters and cursor pages by confidence, create,
change and delete, bulk review by ids and by filter, undo, history, a set's
reviewers, and every bad input named by its field with nothing half-applied."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from aquacat import tokens
from catalogue import services
from catalogue.access import SYSTEM
from curation.models import Annotation, ReviewEvent
from curation.services import annotations, labels
from inference.models import AnalyticsModel, ModelVersion
from tests.conftest import index_all
from tests.curation.conftest import ready_set

pytestmark = pytest.mark.django_db

API = "/api/v1/annotations/"
ROLES = ["anonymous", "other", "reviewer", "curator", "owner", "staff"]
MEMBERS = {"reviewer", "curator", "owner", "staff"}


def client_for(people, who: str) -> APIClient:
    client = APIClient()
    if people[who] is not None:
        client.force_login(people[who])
    return client


def make_labelled_set(people, *, images: int = 3, name: str = "North Sea plankton"):
    image_set = ready_set(people, images=images)
    services.set_reviewers(image_set, [people["reviewer"]], actor=SYSTEM)
    label_set = labels.create_label_set(
        actor=people["curator"],
        name=name,
        labels=[
            {"name": "Tripos", "aphia_id": 106285, "shortcut": "t"},
            {"name": "Ciliophora", "aphia_id": 11, "shortcut": "c"},
            {"name": "detritus", "concept": "detritus", "colour": "#888888"},
        ],
    )
    labels.use_label_set(actor=SYSTEM, image_set=image_set, label_set=label_set)
    return image_set, {label.name: label for label in label_set.labels.all()}


@pytest.fixture
def labelled(people):
    return make_labelled_set(people)


def images_of(image_set):
    return list(image_set.images.order_by("pk"))


def predict(image_set, label, confidences, **fields) -> list[Annotation]:
    """Predicted whole-image annotations, one per confidence, cycling over the images."""
    images = images_of(image_set)
    return [
        Annotation.objects.create(
            image=images[index % len(images)], label=label, confidence=confidence, **fields
        )
        for index, confidence in enumerate(confidences)
    ]


def box_in(image, margin: int = 1) -> dict:
    return {"type": "box", "coordinates": [margin, margin, image.width - 1, image.height - 1]}


# --- the access matrix -------------------------------------------------------------------


@pytest.fixture
def both_states(people):
    """A draft and a published set, each with annotations, the same people in roles."""
    draft, draft_labels = make_labelled_set(people)
    published, published_labels = make_labelled_set(people, name="Published labels")
    rows = {
        "draft": predict(draft, draft_labels["Tripos"], [0.5, 0.6, 0.7]),
        "published": predict(published, published_labels["Tripos"], [0.5, 0.6, 0.7]),
    }
    services.publish_image_set(published, actor=SYSTEM)
    return {
        "draft": (draft, draft_labels, rows["draft"]),
        "published": (published, published_labels, rows["published"]),
    }


# What each role gets on a draft: members may do everything, others see nothing.
DRAFT = {
    "anonymous": {"list": 0, "read": 404, "create": 401, "change": 401, "review": 401},
    "other": {"list": 0, "read": 404, "create": 404, "change": 404, "review": 404},
}
# On a published (open) set everybody reads; members are refused writes with 409.
PUBLISHED = {
    "anonymous": {"list": 3, "read": 200, "create": 401, "change": 401, "review": 401},
    "other": {"list": 3, "read": 200, "create": 403, "change": 403, "review": 403},
}
MEMBER = {
    "draft": {"list": 3, "read": 200, "create": 201, "change": 200, "review": 200, "delete": 204},
    "published": {
        "list": 3,
        "read": 200,
        "create": 409,
        "change": 409,
        "review": 409,
        "delete": 409,
    },
}


def expected(who: str, state: str) -> dict:
    if who in MEMBERS:
        return MEMBER[state]
    table = DRAFT if state == "draft" else PUBLISHED
    return {**table[who], "delete": table[who]["change"]}


@pytest.mark.parametrize("state", ["draft", "published"])
@pytest.mark.parametrize("who", ROLES)
def test_access_matrix(people, both_states, who, state):
    image_set, named, rows = both_states[state]
    want = expected(who, state)
    client = client_for(people, who)
    listed = client.get(API, {"image_set": image_set.pk})
    assert listed.status_code == 200
    assert len(listed.json()["results"]) == want["list"]
    target = rows[0]
    assert client.get(f"{API}{target.pk}/").status_code == want["read"]
    assert client.get(f"{API}{target.pk}/history/").status_code == want["read"]
    image = images_of(image_set)[0]
    created = client.post(
        API,
        {"image": image.pk, "label": named["Ciliophora"].pk, "geometry": box_in(image)},
        format="json",
    )
    assert created.status_code == want["create"], created.content
    changed = client.patch(f"{API}{target.pk}/", {"label": named["detritus"].pk}, format="json")
    assert changed.status_code == want["change"], changed.content
    reviewed = client.post(
        f"{API}review/", {"ids": [rows[1].pk], "action": "reject"}, format="json"
    )
    assert reviewed.status_code == want["review"], reviewed.content
    deleted = client.delete(f"{API}{rows[2].pk}/")
    assert deleted.status_code == want["delete"], deleted.content
    for response in (created, changed, reviewed, deleted):
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json"
    # Whatever was refused left nothing behind.
    kept = Annotation.objects.filter(image__image_set=image_set)
    if want["create"] != 201:
        assert kept.count() == 3
        assert set(kept.values_list("status", flat=True)) == {"predicted"}


def test_a_read_only_token_may_not_write(people, labelled):
    image_set, named = labelled
    row = predict(image_set, named["Tripos"], [0.5])[0]
    _, secret = tokens.create_token(user=people["curator"], name="reader", scopes=["read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(f"{API}{row.pk}/").status_code == 200
    refused = client.post(f"{API}review/", {"ids": [row.pk], "action": "validate"}, format="json")
    assert refused.status_code == 403
    assert Annotation.objects.get(pk=row.pk).status == "predicted"


# --- reading -----------------------------------------------------------------------------


def test_an_item_carries_geometry_source_and_crop(people, labelled):
    image_set, named = labelled
    image = images_of(image_set)[0]
    made = annotations.create_annotation(
        actor=people["reviewer"],
        image=image,
        label=named["Tripos"],
        shape="polygon",
        coordinates=[[1, 1], [20, 1], [10, 15]],
    )
    item = client_for(people, "owner").get(f"{API}{made.pk}/").json()
    assert item["geometry"] == {"type": "polygon", "coordinates": [[1, 1], [20, 1], [10, 15]]}
    assert item["label"] == {"id": named["Tripos"].pk, "name": "Tripos", "colour": "#1f77b4"}
    assert item["source"] == {"kind": "person", "name": "reviewer", "model_version": None}
    assert (item["image"], item["image_set"], item["status"]) == (
        image.pk,
        image_set.pk,
        "validated",
    )
    assert item["crop"].endswith(f"/curate/annotations/{made.pk}/crop.jpg")
    assert item["revision"] == 1 and item["uuid"] == str(made.uuid)


@pytest.fixture
def model_version(db):
    model = AnalyticsModel.objects.create(
        name="plankton-resnet", task="classification", licence="MIT"
    )
    return ModelVersion.objects.create(model=model, version="1.1", framework="torch")


def test_list_filters(people, labelled, model_version):
    image_set, named = labelled
    other_set, other_named = make_labelled_set(people, name="Other labels")
    by_model = predict(image_set, named["Tripos"], [0.9, 0.2], model_version=model_version)
    imported = predict(image_set, named["Ciliophora"], [None], annotator="EcoTaxa user")
    drawn = annotations.create_annotation(
        actor=people["curator"], image=images_of(image_set)[1], label=named["detritus"]
    )
    predict(other_set, other_named["Tripos"], [0.5])
    client = client_for(people, "curator")

    def ids(**params) -> set[int]:
        response = client.get(API, params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    everything = {row.pk for row in by_model + imported} | {drawn.pk}
    assert ids(image_set=image_set.pk) == everything
    assert ids(image_set=str(image_set.uuid)) == everything
    assert ids(image_set=f"{image_set.pk},{other_set.uuid}") == everything | ids(
        image_set=other_set.pk
    )
    assert ids(image_set=image_set.pk, source="model") == {row.pk for row in by_model}
    assert ids(image_set=image_set.pk, source="import") == {imported[0].pk}
    assert ids(image_set=image_set.pk, source="person") == {drawn.pk}
    assert ids(model="plankton-resnet") == {row.pk for row in by_model}
    assert ids(image_set=image_set.pk, label=named["Ciliophora"].pk) == {imported[0].pk}
    assert ids(image_set=image_set.pk, status="validated") == {drawn.pk}
    assert ids(image_set=image_set.pk, status="validated,predicted") == everything
    assert ids(image_set=image_set.pk, confidence_min=0.5) == {by_model[0].pk}
    assert ids(image_set=image_set.pk, confidence_min=0.1, confidence_max=0.3) == {by_model[1].pk}
    # Bounds apply as given: a least above the greatest matches nothing (no 400).
    assert ids(image_set=image_set.pk, confidence_min=0.8, confidence_max=0.2) == set()
    assert ids(image=images_of(image_set)[1].pk) == {by_model[1].pk, drawn.pk}
    item = next(
        row
        for row in client.get(API, {"model": "plankton-resnet"}).json()["results"]
        if row["id"] == by_model[0].pk
    )
    assert item["source"] == {"kind": "model", "name": "plankton-resnet", "model_version": "1.1"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"changed": "null"}, "changed"),
        ({"confidence_min": "1.5"}, "confidence_min"),
        ({"confidence_max": "-0.1"}, "confidence_max"),
        ({"confidence_min": "high"}, "confidence_min"),
        ({"status": "approved"}, "status"),
        ({"source": "robot"}, "source"),
        ({"image_set": "not-a-set"}, "image_set"),
        ({"ordering": "label"}, "ordering"),
        ({"label": "0"}, "label"),
    ],
)
def test_bad_list_filters_name_the_field(people, params, field):
    response = client_for(people, "staff").get(API, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == [field]


def walk(client, url: str) -> list[dict]:
    rows = []
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.content
        rows += page.json()["results"]
        url = page.json()["next"]
    return rows


def test_pages_by_confidence_keep_ties_and_unknowns_in_order(people, labelled):
    image_set, named = labelled
    confidences = [0.5, None, 0.9, 0.5, None, 0.5, 0.1, None, 0.9]
    rows = predict(image_set, named["Tripos"], confidences)
    client = client_for(people, "reviewer")
    base = f"{API}?image_set={image_set.pk}&page_size=2"

    def key(row):
        return (-1 if row.confidence is None else row.confidence, row.pk)

    ascending = [row.pk for row in sorted(rows, key=key)]
    assert [r["id"] for r in walk(client, f"{base}&ordering=confidence")] == ascending
    descending = list(reversed(ascending))
    assert [r["id"] for r in walk(client, f"{base}&ordering=-confidence")] == descending
    assert [r["id"] for r in walk(client, base)] == sorted(row.pk for row in rows)
    forged = client.get(f"{API}?cursor=cD1hYmM%3D")  # position "abc"
    assert forged.status_code == 404


def test_a_grid_page_holds_500(people, labelled):
    image_set, named = labelled
    predict(image_set, named["Tripos"], [0.5] * 501)
    client = client_for(people, "reviewer")
    page = client.get(API, {"image_set": image_set.pk, "page_size": 500}).json()
    assert len(page["results"]) == 500 and page["next"]


# --- writing one -------------------------------------------------------------------------


def test_create_change_delete_with_history(people, labelled):
    image_set, named = labelled
    image = images_of(image_set)[0]
    client = client_for(people, "reviewer")
    made = client.post(
        API,
        {"image": image.pk, "label": named["Tripos"].pk, "geometry": box_in(image, 2)},
        format="json",
    )
    assert made.status_code == 201, made.content
    item = made.json()
    assert made["Location"] == item["url"]
    assert item["status"] == "validated" and item["geometry"]["type"] == "box"
    point = {"type": "point", "coordinates": [3, 4]}
    changed = client.patch(
        item["url"],
        {"label": named["Ciliophora"].pk, "geometry": point, "revision": 1},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["geometry"] == point and changed.json()["revision"] == 2
    history = client.get(f"{item['url']}history/").json()
    assert [event["action"] for event in history] == ["create", "change"]
    assert history[1]["actor"] == "reviewer" and history[1]["model"] is None
    assert history[1]["before"]["label_name"] == "Tripos"
    assert history[1]["after"]["label_name"] == "Ciliophora"
    assert history[0]["before"] is None
    stale = client.delete(f"{item['url']}?revision=1")
    assert stale.status_code == 409
    assert stale.json()["current"][0]["revision"] == 2
    assert client.delete(f"{item['url']}?revision=x").status_code == 400
    assert client.delete(f"{item['url']}?revision=2").status_code == 204
    assert not Annotation.objects.filter(pk=item["id"]).exists()
    kept = ReviewEvent.objects.filter(annotation_uuid=item["uuid"]).order_by("pk")
    assert [event.action for event in kept] == ["create", "change", "delete"]


def test_history_names_the_model_version(people, labelled, model_version):
    image_set, named = labelled
    row = predict(image_set, named["Tripos"], [0.7], model_version=model_version)[0]
    ReviewEvent.objects.create(
        annotation=row,
        annotation_uuid=row.uuid,
        image=row.image,
        action="predict",
        model_version=model_version,
        after={"label_name": "Tripos", "status": "predicted"},
    )
    history = client_for(people, "owner").get(f"{API}{row.pk}/history/").json()
    assert history[0]["action"] == "predict"
    assert (history[0]["model"], history[0]["model_version"], history[0]["actor"]) == (
        "plankton-resnet",
        "1.1",
        None,
    )


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "box", "coordinates": [0, 0, 100_000, 10]}, "outside the image"),
        ({"type": "polygon", "coordinates": [[0, 0], [10, 10], [10, 0], [0, 10]]}, "not simple"),
        ({"type": "box", "coordinates": [10, 10, 5, 5]}, "x0 < x1"),
        ({"type": "point", "coordinates": "here"}, "2 numbers"),
    ],
)
def test_bad_geometry_is_named(people, labelled, geometry, message):
    image_set, named = labelled
    image = images_of(image_set)[0]
    response = client_for(people, "curator").post(
        API, {"image": image.pk, "label": named["Tripos"].pk, "geometry": geometry}, format="json"
    )
    assert response.status_code == 400
    assert message in response.json()["errors"]["geometry"][0]
    assert not Annotation.objects.exists()


def test_label_problems_are_named_with_geometry_at_once(people, labelled):
    image_set, named = labelled
    image = images_of(image_set)[0]
    elsewhere = labels.create_label_set(
        actor=people["other"], name="Elsewhere", labels=[{"name": "x"}]
    )
    client = client_for(people, "curator")
    outside = {"type": "point", "coordinates": [image.width + 5, 1]}
    foreign = client.post(
        API,
        {"image": image.pk, "label": elsewhere.labels.get().pk, "geometry": outside},
        format="json",
    ).json()["errors"]
    assert "from the label set Elsewhere v1" in foreign["label"][0]
    assert "outside the image" in foreign["geometry"][0]
    unknown = client.post(
        API, {"image": image.pk, "label": 987654, "geometry": outside}, format="json"
    ).json()["errors"]
    assert set(unknown) == {"label", "geometry"}
    nowhere = client.post(API, {"image": 987654, "label": 987654}, format="json").json()["errors"]
    assert set(nowhere) == {"image", "label"}
    wrong_types = client.post(API, {"image": "one", "geometry": {"type": "blob"}}, format="json")
    assert set(wrong_types.json()["errors"]) == {"image", "label", "geometry.type"}
    assert not Annotation.objects.exists()
    row = predict(image_set, named["Tripos"], [0.5])[0]
    patch = client.patch(
        f"{API}{row.pk}/",
        {"label": 987654, "geometry": {"type": "box", "coordinates": [0, 0, 1e9, 1]}},
        format="json",
    )
    assert patch.status_code == 400 and set(patch.json()["errors"]) == {"label", "geometry"}
    row.refresh_from_db()
    assert (row.label_id, row.revision) == (named["Tripos"].pk, 1)


# --- bulk review -------------------------------------------------------------------------


def test_review_by_ids_counts_is_idempotent_and_undoes(people, labelled):
    image_set, named = labelled
    rows = predict(image_set, named["Tripos"], [0.3, 0.6, 0.9])
    ids = [row.pk for row in rows]
    client = client_for(people, "reviewer")
    first = client.post(f"{API}review/", {"ids": ids, "action": "validate"}, format="json")
    assert first.status_code == 200, first.content
    assert (first.json()["changed"], first.json()["unchanged"]) == (3, 0)
    assert len(first.json()["events"]) == 3
    again = client.post(f"{API}review/", {"ids": ids, "action": "validate"}, format="json").json()
    assert (again["changed"], again["unchanged"], again["events"]) == (0, 3, [])
    relabel = client.post(
        f"{API}review/",
        {"ids": ids[:2], "action": "relabel", "label": named["Ciliophora"].pk},
        format="json",
    ).json()
    assert relabel["changed"] == 2
    assert set(Annotation.objects.filter(pk__in=ids[:2]).values_list("label", flat=True)) == {
        named["Ciliophora"].pk
    }
    undone = client.post(f"{API}undo/", {"events": relabel["events"]}, format="json")
    assert undone.status_code == 200 and undone.json()["changed"] == 2
    assert set(Annotation.objects.filter(pk__in=ids).values_list("label", flat=True)) == {
        named["Tripos"].pk
    }
    history = client.get(f"{API}{ids[0]}/history/").json()
    assert [event["action"] for event in history] == ["validate", "relabel", "revert"]


def test_review_by_filter(people, labelled):
    image_set, named = labelled
    other_set, other_named = make_labelled_set(people, name="Other labels")
    low = predict(image_set, named["Tripos"], [0.1, 0.2])
    high = predict(image_set, named["Tripos"], [0.8, 0.95])
    elsewhere = predict(other_set, other_named["Tripos"], [0.9])
    client = client_for(people, "curator")
    response = client.post(
        f"{API}review/",
        {"filter": {"image_set": [image_set.pk], "confidence_min": 0.5}, "action": "validate"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == 2
    statuses = dict(Annotation.objects.values_list("pk", "status"))
    assert {statuses[row.pk] for row in high} == {"validated"}
    assert {statuses[row.pk] for row in low + elsewhere} == {"predicted"}
    nothing = client.post(
        f"{API}review/",
        {"filter": {"image_set": str(image_set.uuid), "status": "dubious"}, "action": "reject"},
        format="json",
    ).json()
    assert (nothing["changed"], nothing["unchanged"]) == (0, 0)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"filter": {"confidence_min": 0.5}}, {"filter.image_set"}),
        ({"filter": {"image_set": 1, "colour": "red"}}, {"filter.colour"}),
        ({"filter": {"image_set": 1, "confidence_min": 2}}, {"filter.confidence_min"}),
        ({"filter": {"image_set": 1, "status": {"x": 1}}}, {"filter.status"}),
        ({"ids": [1], "filter": {"image_set": 1}}, {"ids"}),
        ({}, {"ids"}),
        ({"ids": []}, {"ids"}),
        ({"ids": ["one"]}, {"ids.0"}),
    ],
)
def test_bad_review_requests_name_the_field(people, labelled, body, fields):
    response = client_for(people, "curator").post(
        f"{API}review/", {"action": "validate", **body}, format="json"
    )
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == fields


def test_a_bulk_review_is_all_or_nothing(people, labelled):
    image_set, named = labelled
    rows = predict(image_set, named["Tripos"], [0.3, 0.6, 0.9])
    ids = [row.pk for row in rows]
    client = client_for(people, "reviewer")

    def unchanged():
        assert set(Annotation.objects.values_list("status", flat=True)) == {"predicted"}
        assert not ReviewEvent.objects.exists()

    missing = client.post(
        f"{API}review/", {"ids": [*ids, 987654], "action": "reject"}, format="json"
    )
    assert missing.status_code == 404
    assert "987654" in missing.json()["errors"]["ids"][0]
    unchanged()
    elsewhere = labels.create_label_set(
        actor=people["other"], name="Elsewhere", labels=[{"name": "x"}]
    )
    foreign = client.post(
        f"{API}review/",
        {"ids": ids, "action": "relabel", "label": elsewhere.labels.get().pk},
        format="json",
    )
    assert foreign.status_code == 409 and "label" in foreign.json()["errors"]
    unknown = client.post(
        f"{API}review/", {"ids": ids, "action": "relabel", "label": 987654}, format="json"
    )
    assert unknown.status_code == 404 and list(unknown.json()["errors"]) == ["label"]
    no_label = client.post(f"{API}review/", {"ids": ids, "action": "relabel"}, format="json")
    assert no_label.status_code == 400 and list(no_label.json()["errors"]) == ["label"]
    unchanged()
    # Somebody else rejects one meanwhile: a review based on what was seen before is refused.
    seen = {str(row.pk): row.revision for row in rows}
    client_for(people, "curator").post(
        f"{API}review/", {"ids": [ids[1]], "action": "reject"}, format="json"
    )
    stale = client.post(
        f"{API}review/", {"ids": ids, "action": "validate", "revisions": seen}, format="json"
    )
    assert stale.status_code == 409
    assert stale["Content-Type"] == "application/problem+json"
    current = stale.json()["current"]
    assert [(entry["id"], entry["status"], entry["revision"]) for entry in current] == [
        (ids[1], "rejected", 2)
    ]
    statuses = dict(Annotation.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == ["predicted", "rejected", "predicted"]
    stray = client.post(
        f"{API}review/",
        {"ids": ids[:1], "action": "validate", "revisions": {"987654": 1}},
        format="json",
    )
    assert stray.status_code == 400 and list(stray.json()["errors"]) == ["revisions"]


def test_undo_of_unknown_events_is_named(people, labelled):
    client = client_for(people, "reviewer")
    response = client.post(f"{API}undo/", {"events": [987654]}, format="json")
    assert response.status_code == 404 and list(response.json()["errors"]) == ["events"]
    assert client.post(f"{API}undo/", {"events": []}, format="json").status_code == 400


# --- a set's reviewers ---------------------------------------------------------------------


def test_reviewers_are_managed_and_see_the_draft_in_search(people):
    image_set, named = make_labelled_set(people)
    services.set_reviewers(image_set, [], actor=SYSTEM)
    predict(image_set, named["Tripos"], [0.5])
    url = f"/api/v1/image-sets/{image_set.pk}/reviewers/"
    newcomer = people["other"]
    index_all()
    as_other = client_for(people, "other")
    search = "/api/v1/search/?q=Phytoplankton&kind=set"
    assert as_other.get(search).json()["total"] == 0
    assert as_other.get(url).status_code == 404
    assert as_other.put(url, {"reviewers": ["other"]}, format="json").status_code == 404
    curator = client_for(people, "curator")
    assert curator.get(url).json() == {"reviewers": [], "can_change": True}
    refused = curator.put(url, {"reviewers": ["other", "nobody", "ghost"]}, format="json")
    assert refused.status_code == 404
    assert refused.json()["errors"]["reviewers"] == [
        "no user named 'ghost'",
        "no user named 'nobody'",
    ]
    assert not image_set.reviewers.exists()
    saved = curator.put(url, {"reviewers": [newcomer.username]}, format="json")
    assert saved.status_code == 200 and saved.json()["reviewers"] == ["other"]
    index_all()
    assert as_other.get(search).json()["total"] == 1
    assert len(as_other.get(API, {"image_set": image_set.pk}).json()["results"]) == 1
    assert as_other.get(url).status_code == 403  # a reviewer does not manage reviewers
    services.publish_image_set(image_set, actor=SYSTEM)
    assert curator.put(url, {"reviewers": []}, format="json").status_code == 200
