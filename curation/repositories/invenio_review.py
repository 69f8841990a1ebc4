"""Publishing into an InvenioRDM community (the target's `community` option, a
slug or id): the draft's review is set to the community and submitted. A
community whose curators include the token's user and whose review policy lets
them (or a new version of a record it already holds) publishes the record at
once; otherwise the request waits for the community's curators, and so does the
deposit (retried until they decide: accepted, it is published; declined, it
fails and the set is a draft again).

Steps: "review submitted" (with the request's id and status), then "review
accepted"; a new version of a record already in the community is published
directly ("publish requested"). The request is read before it is submitted
again, so a resumed deposit never submits twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalogue.formats.common import landing_url
from curation.repositories.base import TargetError, TransientTargetError

if TYPE_CHECKING:
    from curation.repositories.invenio import InvenioTarget

REVIEW_SUBMITTED = "review submitted"
REVIEW_ACCEPTED = "review accepted"
PUBLISH_REQUESTED = "publish requested"
OPEN = {"created", "submitted"}


class AwaitingReview(TransientTargetError):
    """The community has not decided yet: the deposit waits, and is tried again."""


def community_of(target: InvenioTarget) -> dict:
    found = target.read(f"/communities/{target.community}")
    if found is None:
        raise TargetError(
            f"{target.name} has no community {target.community!r}",
            {"community": [f"no community {target.community!r} on {target.name}"]},
        )
    return found


def submit(target: InvenioTarget, run, record_id: str, community: dict) -> dict:
    """The draft's community-submission request, submitted (once)."""
    review = target.read(f"/records/{record_id}/draft/review")
    if (
        review is None
        or review.get("receiver", {}).get("community") != community["id"]
        or review.get("status") not in OPEN
    ):
        review = target.json(
            "PUT",
            f"/records/{record_id}/draft/review",
            {"receiver": {"community": community["id"]}, "type": "community-submission"},
        )
    if review.get("status") == "created":
        content = f"<p>Deposited by AquaCat: {landing_url(run.image_set)}</p>"
        review = target.json(
            "POST",
            f"/records/{record_id}/draft/actions/submit-review",
            {"payload": {"content": content, "format": "html"}},
        )
    return review


def publish_in_community(target: InvenioTarget, run, record_id: str) -> None:
    """Returns once the record is published in the community; raises AwaitingReview
    while its curators have not decided, TargetError when they declined."""
    if run.done(REVIEW_ACCEPTED) or run.done(PUBLISH_REQUESTED):
        return
    community = community_of(target)
    slug = community.get("slug") or community["id"]
    request_id = run.data(REVIEW_SUBMITTED).get("request")
    if not request_id:
        if target.is_published(record_id):
            return  # accepted before this deposit was resumed
        draft = target.json("GET", f"/records/{record_id}/draft")
        if community["id"] in draft.get("parent", {}).get("communities", {}).get("ids", []):
            target.publish(record_id)  # a new version of a record the community holds
            run.record(PUBLISH_REQUESTED, f"already in the community {slug!r}")
            return
        request = submit(target, run, record_id, community)
        request_id = request["id"]
        run.record(
            REVIEW_SUBMITTED,
            f"to the community {slug!r}: {request.get('status')}",
            data={"request": request_id},
        )
    request = target.json("GET", f"/requests/{request_id}")
    status = request.get("status")
    page = request.get("links", {}).get("self_html", "")
    if status == "accepted":
        run.record(REVIEW_ACCEPTED, f"by the community {slug!r}")
        return
    if status in OPEN:
        raise AwaitingReview(f"awaiting the review of the community {slug!r} ({page})")
    raise TargetError(
        f"the community {slug!r} did not take the record: its request is {status}",
        {"community": [f"{slug}: the submission request was {status} ({page})"]},
    )
