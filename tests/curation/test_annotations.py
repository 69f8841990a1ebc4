"""Annotations through the services: geometry and label checks, bulk review
(all or nothing, idempotent, stale revisions refused), undo, history, roles and
frozen published versions, and the next version's copies."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.errors import Changed, Immutable, NotAllowed, NotVisible
from curation.models import Annotation, ReviewEvent, Shape, Status
from curation.services import annotations, labels, review
from tests.curation.conftest import ready_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def labelled(people):
    image_set = ready_set(people, images=3)
    image_set.reviewers.add(people["reviewer"])
    label_set = labels.create_label_set(
        actor=people["curator"],
        name="North Sea plankton",
        labels=[
            {"name": "Tripos", "aphia_id": 106285, "shortcut": "t"},
            {"name": "Ciliophora", "aphia_id": 11, "shortcut": "c"},
            {"name": "detritus", "concept": "detritus", "colour": "#888888"},
        ],
    )
    labels.use_label_set(actor=people["curator"], image_set=image_set, label_set=label_set)
    return image_set, {label.name: label for label in label_set.labels.all()}


def first_image(image_set):
    return image_set.images.order_by("pk").first()


def test_a_person_draws_a_box_and_it_is_validated_with_history(people, labelled):
    image_set, named = labelled
    image = first_image(image_set)
    box = [1, 2, image.width - 1, image.height - 2]
    made = annotations.create_annotation(
        actor=people["reviewer"], image=image, label=named["Tripos"], shape="box", coordinates=box
    )
    assert (made.status, made.created_by, made.coordinates) == (
        "validated",
        people["reviewer"],
        box,
    )
    event = ReviewEvent.objects.get(annotation=made)
    assert event.action == "create" and event.after["label_name"] == "Tripos"


def test_every_geometry_and_label_problem_is_named_at_once(people, labelled):
    image_set, _ = labelled
    image = first_image(image_set)
    other = labels.create_label_set(actor=people["other"], name="Elsewhere", labels=[{"name": "x"}])
    with pytest.raises(ValidationError) as refused:
        annotations.create_annotation(
            actor=people["curator"],
            image=image,
            label=other.labels.get(),
            shape="box",
            coordinates=[0, 0, image.width + 50, 10],
        )
    problems = refused.value.message_dict
    assert "from the label set Elsewhere v1" in problems["label"][0]
    assert "outside the image" in problems["geometry"][0]
    assert not Annotation.objects.exists()


def test_a_polygon_that_crosses_itself_is_refused(people, labelled):
    image_set, named = labelled
    bowtie = [[0, 0], [10, 10], [10, 0], [0, 10]]
    with pytest.raises(ValidationError) as refused:
        annotations.create_annotation(
            actor=people["curator"],
            image=first_image(image_set),
            label=named["Tripos"],
            shape=Shape.POLYGON,
            coordinates=bowtie,
        )
    assert "not simple" in refused.value.message_dict["geometry"][0]


def predicted(image_set, named, count=3):
    made = []
    for index, image in enumerate(image_set.images.order_by("pk")[:count]):
        made.append(
            Annotation.objects.create(
                image=image, label=named["Tripos"], confidence=0.5 + index / 10
            )
        )
    return made


def test_bulk_review_is_idempotent_and_keeps_history(people, labelled):
    image_set, named = labelled
    rows = predicted(image_set, named)
    ids = [row.pk for row in rows]
    outcome = review.review(actor=people["reviewer"], ids=ids, action="validate")
    assert (outcome.changed, outcome.unchanged) == (3, 0)
    again = review.review(actor=people["reviewer"], ids=ids, action="validate")
    assert (again.changed, again.unchanged) == (0, 3)
    relabelled = review.review(
        actor=people["curator"], ids=ids[:1], action="relabel", label=named["Ciliophora"]
    )
    assert relabelled.changed == 1
    history = list(ReviewEvent.objects.filter(annotation=rows[0]).values_list("action", flat=True))
    assert history == ["validate", "relabel"]
    assert Annotation.objects.get(pk=ids[0]).label == named["Ciliophora"]


def test_a_stale_review_changes_nothing_and_answers_the_current_state(people, labelled):
    image_set, named = labelled
    rows = predicted(image_set, named)
    review.review(actor=people["curator"], ids=[rows[0].pk], action="reject")
    seen = {row.pk: row.revision for row in rows}  # revision 1: before the rejection
    with pytest.raises(Changed) as refused:
        review.review(actor=people["reviewer"], ids=list(seen), action="validate", revisions=seen)
    assert [entry["status"] for entry in refused.value.current] == ["rejected"]
    assert set(Annotation.objects.values_list("status", flat=True)) == {"predicted", "rejected"}


def test_undo_puts_back_what_a_review_changed(people, labelled):
    image_set, named = labelled
    rows = predicted(image_set, named)
    outcome = review.review(actor=people["reviewer"], ids=[r.pk for r in rows], action="dubious")
    review.undo(actor=people["reviewer"], event_ids=outcome.events)
    assert set(Annotation.objects.values_list("status", flat=True)) == {"predicted"}
    assert ReviewEvent.objects.filter(action="revert").count() == 3


@pytest.mark.parametrize(
    ("role", "error"), [("other", NotVisible), ("anonymous", NotVisible), ("reviewer", None)]
)
def test_only_the_sets_roles_review(people, labelled, role, error):
    image_set, named = labelled
    rows = predicted(image_set, named, 1)
    if error is None:
        assert review.review(actor=people[role], ids=[rows[0].pk], action="reject").changed == 1
    else:
        with pytest.raises(error):
            review.review(actor=people[role], ids=[rows[0].pk], action="reject")


def test_a_reviewer_may_not_edit_the_sets_metadata(people, labelled):
    image_set, _ = labelled
    with pytest.raises(NotAllowed):
        services.update_image_set(image_set, actor=people["reviewer"], title="Mine now")


def test_published_annotations_are_frozen_and_the_next_version_carries_them(people, labelled):
    image_set, named = labelled
    rows = predicted(image_set, named)
    services.publish_image_set(image_set, actor=SYSTEM)
    image_set.refresh_from_db()
    with pytest.raises(Immutable):
        review.review(actor=people["curator"], ids=[rows[0].pk], action="validate")
    with pytest.raises(Immutable):
        annotations.delete_annotation(actor=people["curator"], annotation=rows[0])
    draft = services.new_version(image_set, actor=people["curator"])
    copies = Annotation.objects.filter(image__image_set=draft)
    assert copies.count() == 3
    assert review.review(actor=people["reviewer"], ids=[copies[0].pk], action="validate").changed
    assert Annotation.objects.get(pk=rows[0].pk).status == Status.PREDICTED
