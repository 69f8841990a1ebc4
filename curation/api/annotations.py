"""API of annotations: list (the review grid's source), create, read, change and
delete one, its history, bulk review and undo.

Thin: reads go through curation.selectors (a caller sees the annotations of the
sets they may see), writes through curation.services, which check who may
annotate or review (catalogue.access) and that labels and geometry fit; their
refusals become problems (catalogue/api/problems.py): 404 not visible, 403 not
allowed, 409 a published set (frozen) or a change made meanwhile (with
`current`), 400 naming each field. Writes need the "write" scope.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from catalogue import selectors as catalogue_selectors
from catalogue.api.pagination import CursorPagination
from catalogue.api.problems import (
    READ_ERRORS,
    WRITE_ERRORS,
    Missing,
    Unready,
    field_errors,
    problems,
)
from catalogue.api.views import IF_NONE_MATCH, NOT_MODIFIED, ApiMixin, conditional
from catalogue.errors import NotVisible
from curation import geometry, selectors
from curation.api import rows
from curation.api import serializers as s
from curation.api.filters import AnnotationFilter, annotations_matching
from curation.models import Annotation, Label, Shape
from curation.services import annotations as service
from curation.services.review import review, undo

GRID_PAGE_SIZE = 500
REVISION = OpenApiParameter(
    "revision",
    OpenApiTypes.INT,
    description="the revision you saw: a change made meanwhile answers 409 with `current`",
)


class AnnotationPagination(CursorPagination):
    """Cursor pages in the order asked for (`ordering`), up to a review grid's page."""

    largest_page_size = GRID_PAGE_SIZE

    def get_ordering(self, request, queryset, view):
        return ("-sort_key",) if view.ordering.startswith("-") else ("sort_key",)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # Keys are digits (curation.selectors.ordered_annotations); anything else was
        # not made here.
        if cursor is not None and cursor.position is not None and not cursor.position.isdigit():
            raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor


def label_or_none(pk: int | None) -> Label | None:
    return Label.objects.filter(pk=pk).first() if pk is not None else None


def unknown_label(pk: int) -> list[str]:
    return [f"no label with id {pk}"]


@contextmanager
def label_conflicts():
    """A service's refusal of the label alone (from a label set other than the one the
    set's annotations use, or retired) conflicts with their state: 409 naming it. With
    other fields wrong too, the request itself is at fault: 400 naming all."""
    try:
        yield
    except DjangoValidationError as error:
        found = field_errors(error)
        if set(found) == {"label"}:
            raise Unready(found, " ".join(found["label"])) from error
        raise


@extend_schema(tags=["annotations"])
class AnnotationViewSet(ApiMixin, viewsets.GenericViewSet):
    """Annotations of the sets the caller may see; a set's owner, curators, reviewers
    and staff change those of its draft."""

    filterset_class = AnnotationFilter
    pagination_class = AnnotationPagination
    serializer_class = s.AnnotationSerializer
    lookup_value_regex = "[0-9]+"
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering = "id"

    def get_queryset(self):
        return selectors.visible_annotations(self.request.user).order_by()

    def row(self, pk) -> dict:
        values = self.get_queryset().filter(pk=pk).values(*rows.ANNOTATION_COLUMNS).first()
        if values is None:
            raise exceptions.NotFound("No annotation with this id (or none you may see).")
        return rows.annotation_row(values, rows.CurationLinks(self.request))

    def annotation(self, pk) -> Annotation:
        return selectors.annotation_for(self.request.user, pk)

    # --- reads -------------------------------------------------------------------------

    @extend_schema(responses={200: s.AnnotationSerializer(many=True), **problems(*READ_ERRORS)})
    def list(self, request):
        annotations = self.filter_queryset(self.get_queryset())
        self.ordering = request.query_params.get("ordering") or "id"
        keyed = selectors.ordered_annotations(annotations, self.ordering)
        page = self.paginate_queryset(keyed.values(*rows.ANNOTATION_COLUMNS, "sort_key"))
        links = rows.CurationLinks(request)
        return self.get_paginated_response([rows.annotation_row(row, links) for row in page])

    @extend_schema(
        parameters=[IF_NONE_MATCH],
        responses={200: s.AnnotationSerializer, 304: NOT_MODIFIED, **problems(*READ_ERRORS)},
    )
    def retrieve(self, request, pk=None):
        return conditional(request, self.row(pk))

    @extend_schema(
        filters=False,
        responses={200: s.EventSerializer(many=True), **problems(*READ_ERRORS)},
        description="Every change of the annotation, oldest first: who (a username) or "
        "which model version, when, and its state before and after.",
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        events = selectors.annotation_history(self.annotation(pk))
        return Response([rows.event_row(event) for event in events])

    # --- writes ------------------------------------------------------------------------

    @extend_schema(
        request=s.AnnotationCreateSerializer,
        responses={201: s.AnnotationSerializer, **problems(*WRITE_ERRORS)},
        description="Annotate an image: a label from the set's label set and a geometry "
        "inside the image (default: the whole image). Validated unless `status` says "
        "dubious. An image or label that does not exist answers 404 naming it; a label "
        "from another label set than the one the set's annotations use, or a retired one, "
        "409 naming `label`; other problems 400, every one named at once.",
    )
    def create(self, request):
        body = s.AnnotationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        image = catalogue_selectors.visible_images(request.user).filter(pk=data["image"]).first()
        label = label_or_none(data["label"])
        geometry_in = data.get("geometry") or {"type": Shape.WHOLE, "coordinates": []}
        missing = {}
        if image is None:
            missing["image"] = ["no image with this id (or none you may see)"]
        if label is None:
            missing["label"] = unknown_label(data["label"])
        if missing:
            # A malformed request is named whole (400); else what it names is not there.
            where = (geometry_in["type"], geometry_in.get("coordinates", []))
            if image is not None and (wrong := geometry.check(*where, image.width, image.height)):
                raise exceptions.ValidationError({**missing, "geometry": wrong})
            raise Missing.fields(missing)
        with label_conflicts():
            annotation = service.create_annotation(
                actor=request.user,
                image=image,
                label=label,
                shape=geometry_in["type"],
                coordinates=geometry_in.get("coordinates", []),
                status=data["status"],
                confidence=data.get("confidence"),
            )
        answer = self.row(annotation.pk)
        return Response(answer, status=status.HTTP_201_CREATED, headers={"Location": answer["url"]})

    @extend_schema(
        request=s.AnnotationChangeSerializer,
        responses={200: s.AnnotationSerializer, **problems(*WRITE_ERRORS)},
        description="Move, reshape or relabel an annotation (a person's change validates "
        "it). With `revision`, a change made meanwhile answers 409 with `current`.",
    )
    def partial_update(self, request, pk=None):
        annotation = self.annotation(pk)
        body = s.AnnotationChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        label = label_or_none(data.get("label"))
        shape_in = data.get("geometry")
        if "label" in data and label is None:
            found = {"label": unknown_label(data["label"])}
            if shape_in is not None:
                image = annotation.image
                where = (
                    shape_in["type"],
                    shape_in.get("coordinates", []),
                    image.width,
                    image.height,
                )
                if geometry_errors := geometry.check(*where):
                    found["geometry"] = geometry_errors
                    raise exceptions.ValidationError(found)
            raise Missing.fields(found)
        with label_conflicts():
            service.change_annotation(
                actor=request.user,
                annotation=annotation,
                revision=data.get("revision"),
                label=label,
                shape=shape_in["type"] if shape_in else None,
                coordinates=shape_in.get("coordinates", []) if shape_in else None,
            )
        return Response(self.row(annotation.pk))

    @extend_schema(
        parameters=[REVISION],
        responses={204: OpenApiResponse(description="deleted"), **problems(*WRITE_ERRORS)},
        description="Delete an annotation; its history stays with the image.",
    )
    def destroy(self, request, pk=None):
        annotation = self.annotation(pk)
        revision = request.query_params.get("revision")
        if revision is not None and not (revision.isdigit() and 0 < int(revision) < 2**31):
            raise exceptions.ValidationError({"revision": ["a whole number from 1"]})
        service.delete_annotation(
            actor=request.user,
            annotation=annotation,
            revision=int(revision) if revision is not None else None,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        filters=False,
        request=s.ReviewSerializer,
        responses={200: s.OutcomeSerializer, **problems(*WRITE_ERRORS)},
        description="Validate, mark dubious, reject or relabel many annotations: `ids`, or "
        "a `filter` with the list's filters (image_set required). All or nothing: an "
        "unknown id or label (404, naming `ids` or `label`), a label from another label set "
        "(409, naming `label`), or any "
        "annotation changed since the `revisions` you saw (409 with `current`) changes "
        "nothing. Asking again changes nothing more: those already as asked count as "
        "`unchanged`.",
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def review(self, request):
        body = s.ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        label = label_or_none(data.get("label"))
        if "label" in data and label is None:
            raise Missing("label", unknown_label(data["label"])[0])
        if "ids" in data:
            ids = data["ids"]
        else:
            matching = annotations_matching(request.user, data["filter"])
            ids = list(matching.order_by("pk").values_list("pk", flat=True))
            if not ids:
                return Response({"changed": 0, "unchanged": 0, "events": []})
        strays = sorted(set(data["revisions"]) - set(ids))
        if strays:
            listed = ", ".join(str(pk) for pk in strays[:20])
            raise exceptions.ValidationError({"revisions": [f"not among those reviewed: {listed}"]})
        try:
            with label_conflicts():
                outcome = review(
                    actor=request.user,
                    ids=ids,
                    action=data["action"],
                    label=label,
                    revisions=data["revisions"],
                )
        except NotVisible as error:
            raise Missing("ids", error.reason) from error
        return Response(outcome.as_dict())

    @extend_schema(
        filters=False,
        request=s.UndoSerializer,
        responses={200: s.OutcomeSerializer, **problems(*WRITE_ERRORS)},
        description="Put annotations back as they were before these review events (the "
        "grid's undo); 404 naming `events` when none of them is a review event; 409 with "
        "`current` when any was changed again since.",
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def undo(self, request):
        body = s.UndoSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            outcome = undo(actor=request.user, event_ids=body.validated_data["events"])
        except NotVisible as error:
            raise Missing("events", error.reason) from error
        except DjangoValidationError as error:  # none of the events is a review to undo
            raise Missing("events", " ".join(error.messages)) from error
        return Response(outcome.as_dict())
