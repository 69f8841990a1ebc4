"""A set's labels page: the label set its annotations use and its labels; for those
who may change the set, choosing another label set, making a new one from lines of
text, and adding labels to a draft one.

Who sees the page: the set's owner, curators and staff (Action.SEE_CURATION), and
its reviewers, who label with it. Who changes it: those the set allows EDIT
(curation.services.labels.use_label_set checks it again); adding labels also needs
the label set's owner (or staff), as the service says. A published set's page is
read-only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from catalogue import access
from catalogue import selectors as catalogue_selectors
from catalogue.access import Action
from catalogue.errors import Immutable, NotAllowed
from catalogue.models import ImageSet, TaxonQuestion
from catalogue.services.taxa import answer_question, open_questions
from curation.label_forms import AddLabelsForm, ChooseLabelSetForm, NewLabelSetForm
from curation.models import Annotation, LabelSet
from curation.services import labels as label_services
from curation.services.annotations import label_set_of
from curation.views import frozen_reason

VERSIONS_API = "/api/v1/label-sets/{uuid}/versions/"
ACTIONS = ("choose", "create", "add", "answer")


def set_for_labels(user, uuid) -> ImageSet:
    """The set, for its curators (SEE_CURATION) and its reviewers; hidden sets are
    NotVisible (404), sets the user may see but not curate or review NotAllowed (403)."""
    try:
        return catalogue_selectors.image_set_for(user, Action.SEE_CURATION, uuid=uuid)
    except NotAllowed:
        image_set = catalogue_selectors.image_set_for(user, Action.VIEW, uuid=uuid)
        if not access.allowed(user, Action.REVIEW, image_set):
            raise
        return image_set


def owns_label_set(user, label_set: LabelSet) -> bool:
    return access.is_staff(user) or (access.signed_in(user) and label_set.owner_id == user.pk)


@login_required
@require_http_methods(["GET", "POST"])
def labels(request, uuid):
    image_set = set_for_labels(request.user, uuid)
    label_set = label_set_of(image_set)
    action = request.POST.get("action") if request.method == "POST" else None
    if request.method == "POST":
        if action not in ACTIONS or (action == "add" and label_set is None):
            return HttpResponseBadRequest("Unknown action.")
        access.require(request.user, Action.EDIT, image_set)

    def bound(name: str):
        return request.POST if action == name else None

    choose = ChooseLabelSetForm(
        bound("choose"), prefix="choose", user=request.user, current=label_set
    )
    create = NewLabelSetForm(
        bound("create"),
        prefix="create",
        initial={"name": f"Labels of {image_set.title}"[:200]},
    )
    add = AddLabelsForm(bound("add"), prefix="add", label_set=label_set)

    if action == "answer":
        return answer(request, image_set)
    if action == "choose" and choose.is_valid():
        chosen = choose.cleaned_data["label_set"]
        try:
            label_services.use_label_set(actor=request.user, image_set=image_set, label_set=chosen)
        except ValidationError as error:
            choose.apply_service_errors(error)
        else:
            messages.success(request, f"The set now uses the label set {chosen}.")
            return redirect("curation:labels", uuid=image_set.uuid)
    elif action == "create" and create.is_valid():
        try:
            with transaction.atomic():  # nothing is made if the set refuses it
                made = label_services.create_label_set(
                    actor=request.user,
                    name=create.cleaned_data["name"],
                    labels=create.cleaned_data["labels"],
                )
                label_services.use_label_set(
                    actor=request.user, image_set=image_set, label_set=made
                )
        except ValidationError as error:
            create.apply_service_errors(error)
        else:
            messages.success(request, f"The set now uses the new label set {made}.")
            return redirect("curation:labels", uuid=image_set.uuid)
    elif action == "add" and label_set is not None and add.is_valid():
        try:
            added = label_services.add_labels(
                actor=request.user, label_set=label_set, labels=add.cleaned_data["labels"]
            )
        except ValidationError as error:
            add.apply_service_errors(error)
        except (NotAllowed, Immutable) as refusal:
            add.add_error(None, refusal.reason)
        else:
            messages.success(request, f"{len(added)} label{'' if len(added) == 1 else 's'} added.")
            return redirect("curation:labels", uuid=image_set.uuid)

    may_change = access.permitted(request.user, Action.EDIT, image_set)
    frozen = image_set.state in access.FROZEN_STATES
    rows = list(label_set.labels.order_by(Lower("name"), "pk")) if label_set else []
    context = {
        "image_set": image_set,
        "label_set": label_set,
        "rows": rows,
        "annotations": Annotation.objects.filter(image__image_set=image_set).count(),
        "may_change": may_change,
        "may_add": bool(
            may_change
            and label_set is not None
            and label_set.state == LabelSet.State.DRAFT
            and owns_label_set(request.user, label_set)
        ),
        "reason": frozen_reason(image_set) if frozen else None,
        "change_reason": access.REASONS[Action.EDIT],
        "versions_api": VERSIONS_API.format(uuid=label_set.uuid) if label_set else "",
        "choose": choose,
        "create": create,
        "add": add,
        "may_review": access.allowed(request.user, Action.REVIEW, image_set),
        "taxon_questions": list(open_questions(image_set)),
    }
    return render(request, "curation/labels.html", context)


def answer(request, image_set: ImageSet):
    """A curator's answer to one of the set's taxon questions: an AphiaID, or "no taxon";
    every problem with it is shown, and nothing changes then."""
    question = TaxonQuestion.objects.filter(
        image_set=image_set, pk=request.POST.get("question", "") or 0
    ).first()
    if question is None:
        return HttpResponseBadRequest("No such question for this set.")
    not_taxon = request.POST.get("not_taxon") == "1"
    try:
        answer_question(
            request.user,
            question,
            None if not_taxon else request.POST.get("aphia_id", "").strip(),
            not_taxon=not_taxon,
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{field}: {message}"
            for field, found in error.message_dict.items()
            for message in found
        )
        messages.error(request, f"{question.name}: {problems}")
    else:
        said = "no taxon" if not_taxon else f"AphiaID {question.answer_aphia_id}"
        messages.success(request, f"{question.name} is now {said}; its labels follow.")
    return redirect(
        f"{reverse('curation:labels', kwargs={'uuid': image_set.uuid})}#taxon-questions"
    )
