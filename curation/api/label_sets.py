"""API of label sets: list and read versions, create one, add labels to a draft,
publish it, make the next version (add, rename, merge, retire), and export a
version as CSV or SKOS.

Thin: reads through curation.selectors (published versions are public; a draft
is its owner's, and readable by whoever sees a set that uses it), writes through
curation.services.labels, whose refusals become problems: 403 not the owner, 409
a published version (immutable), 400 naming each field as labels.<n>.<field>.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from catalogue.api.problems import READ_ERRORS, WRITE_ERRORS, Unready, field_errors, problems
from catalogue.api.renderers import dumps
from catalogue.api.views import IF_NONE_MATCH, NOT_MODIFIED, ApiMixin, conditional
from curation import selectors
from curation.api import rows
from curation.api import serializers as s
from curation.api.filters import LabelSetFilter
from curation.label_exports import label_set_csv, label_set_skos
from curation.models import LabelSet
from curation.services import labels as service

UUID_PATTERN = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class TextRenderer(renderers.BaseRenderer):
    """Writes text the view made (an export) as it is; a problem (a dict: the
    exception handler set its content type) as JSON."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode(self.charset) if isinstance(data, str) else dumps(data)


class CSVRenderer(TextRenderer):
    media_type = "text/csv"
    format = "csv"


class SKOSRenderer(TextRenderer):
    media_type = "text/turtle"
    format = "skos"


EXPORT_FORMAT = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["csv", "skos"], description="default csv"
)


@extend_schema(tags=["label sets"])
class LabelSetViewSet(ApiMixin, viewsets.GenericViewSet):
    """Versioned vocabularies of labels; a version's owner and staff change its draft."""

    filterset_class = LabelSetFilter
    serializer_class = s.LabelSetSerializer
    lookup_field = "uuid"
    lookup_value_regex = UUID_PATTERN
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return (
            selectors.visible_label_sets(self.request.user)
            .select_related("owner", "previous_version")
            .order_by()
        )

    def label_set(self, uuid) -> LabelSet:
        return selectors.label_set_for(self.request.user, uuid)

    def detail_data(self, label_set: LabelSet) -> dict:
        return rows.label_set_row(label_set, rows.CurationLinks(self.request), with_labels=True)

    def created(self, label_set: LabelSet) -> Response:
        data = self.detail_data(label_set)
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    # --- reads -------------------------------------------------------------------------

    @extend_schema(responses={200: s.LabelSetSerializer(many=True), **problems(*READ_ERRORS)})
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        links = rows.CurationLinks(request)
        return self.get_paginated_response([rows.label_set_row(row, links) for row in page])

    @extend_schema(
        parameters=[IF_NONE_MATCH],
        responses={200: s.LabelSetDetailSerializer, 304: NOT_MODIFIED, **problems(*READ_ERRORS)},
    )
    def retrieve(self, request, uuid=None):
        return conditional(request, self.detail_data(self.label_set(uuid)))

    @extend_schema(
        filters=False,
        parameters=[EXPORT_FORMAT],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="name,parent,aphia_id,concept,colour,shortcut,retired,version",
            ),
            (200, "text/turtle"): OpenApiResponse(
                OpenApiTypes.STR,
                description="SKOS: a skos:ConceptScheme (owl:versionInfo its version), a "
                "skos:Concept per label, skos:broader for parents, skos:exactMatch to "
                "WoRMS LSIDs",
            ),
            **problems(*READ_ERRORS),
        },
        description="The version as a file: `format=csv` (one row per label) or "
        "`format=skos` (Turtle).",
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[CSVRenderer, SKOSRenderer],
        pagination_class=None,
    )
    def export(self, request, uuid=None):
        if request.query_params.get("format", None) == "":  # else the CSV would answer
            raise exceptions.ValidationError({"format": ["choose csv or skos"]})
        label_set = self.label_set(uuid)
        links = rows.CurationLinks(request)
        kind = request.accepted_renderer.format
        if kind == "skos":
            body = label_set_skos(
                label_set,
                links.label_set(label_set.uuid),
                lambda version: links.label_set(version.uuid),
            )
            extension = "ttl"
        else:
            body = label_set_csv(label_set)
            extension = "csv"
        name = f"{slugify(label_set.name) or 'labels'}-v{label_set.version}.{extension}"
        return Response(body, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    # --- writes ------------------------------------------------------------------------

    @extend_schema(
        request=s.LabelSetCreateSerializer,
        responses={201: s.LabelSetDetailSerializer, **problems(*WRITE_ERRORS)},
        description="A new label set (version 1, a draft), with its first labels; a "
        "label's parent is named by its name.",
    )
    def create(self, request):
        body = s.LabelSetCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.created(service.create_label_set(actor=request.user, **body.validated_data))

    @extend_schema(
        filters=False,
        request=s.LabelsAddSerializer,
        responses={201: s.LabelSetDetailSerializer, **problems(*WRITE_ERRORS)},
        description="Add labels to a draft version (409 once published).",
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def labels(self, request, uuid=None):
        label_set = self.label_set(uuid)
        body = s.LabelsAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        service.add_labels(
            actor=request.user, label_set=label_set, labels=body.validated_data["labels"]
        )
        return self.created(label_set)

    @extend_schema(
        filters=False,
        request=None,
        responses={200: s.LabelSetDetailSerializer, **problems(*WRITE_ERRORS)},
        description="Publish a draft version: from then on it is immutable. 409 for a "
        "published version, or one without labels (`errors` names `labels`).",
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def publish(self, request, uuid=None):
        try:
            label_set = service.publish_label_set(
                actor=request.user, label_set=self.label_set(uuid)
            )
        except DjangoValidationError as error:  # no labels yet: the version's state
            raise Unready(field_errors(error)) from error
        return Response(self.detail_data(label_set))

    @extend_schema(
        filters=False,
        request=s.LabelSetVersionSerializer,
        responses={201: s.LabelSetDetailSerializer, **problems(*WRITE_ERRORS)},
        description="The next version of a published version, as a draft: labels renamed, "
        "merged, retired or added, each new label continuing those it replaces (the "
        "mapping image sets follow when they move to the new version).",
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def versions(self, request, uuid=None):
        label_set = self.label_set(uuid)
        body = s.LabelSetVersionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.created(
            service.new_label_set_version(
                actor=request.user, label_set=label_set, **body.validated_data
            )
        )
