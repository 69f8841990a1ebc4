"""API of publishing: publish a set (a deposit), follow the deposit, and make the
draft of a published set's next version.

Routed under /api/v1/ by curation/api/urls.py. Thin: the set is found with
catalogue.selectors, the services (curation.services.deposits,
catalogue.services.versions) decide access and state, and their refusals become
problems in catalogue/api/problems.py: 404 not visible, 403 not allowed, 409
wrong state, 400 naming each field.

Publishing needs a token with the "publish" scope (a session carries every
scope); a new version is an ordinary write ("write").
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import selectors, services
from catalogue.access import Action
from catalogue.api import serializers as s
from catalogue.api.problems import (
    READ_ERRORS,
    WRITE_ERRORS,
    Missing,
    Unready,
    field_errors,
    problems,
)
from catalogue.api.strict import StrictInput
from catalogue.api.views import IF_NONE_MATCH, NOT_MODIFIED, ApiMixin, conditional, image_set_detail
from catalogue.errors import FieldError
from curation.models import Deposit
from curation.selectors import deposit_document, deposit_for
from curation.services.deposits import publish

# --- representations ---------------------------------------------------------------


class PublishSerializer(StrictInput, serializers.Serializer):
    target = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=64,
        help_text="a publishing target configured on this portal; default: the only one "
        "configured, or none (the set is frozen and published without a DOI)",
    )


class DepositSetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="the set (API)")


class DepositStepSerializer(serializers.Serializer):
    step = serializers.CharField()
    at = serializers.DateTimeField()
    detail = serializers.CharField(allow_blank=True)


class DepositFilesSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField(help_text="0 until the target knows what it uploads")


class DepositSerializer(serializers.Serializer):
    """One publication of one version of a set to one target, as far as it got."""

    id = serializers.IntegerField()
    image_set = DepositSetSerializer()
    target = serializers.CharField(allow_null=True, help_text="null: no repository, no DOI")
    # DepositStateEnum in the schema (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
    state = serializers.ChoiceField(choices=Deposit.State.choices)
    steps = DepositStepSerializer(many=True, help_text="what has been done, in order")
    files = DepositFilesSerializer()
    remote_id = serializers.CharField(allow_blank=True, help_text="the record's id there")
    remote_url = serializers.CharField(allow_blank=True, help_text="the record's page there")
    doi = serializers.CharField(allow_blank=True)
    concept_doi = serializers.CharField(allow_blank=True, help_text="the DOI of all versions")
    error = serializers.CharField(allow_blank=True, help_text="why it failed, or is waiting")
    # DRF's metaclass moves declared fields into _declared_fields, so this does not
    # replace the Serializer.errors property, which the stubs cannot tell.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="the repository's own messages per field, when it refused the record",
    )
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()


def deposit_data(request, deposit: Deposit) -> dict:
    set_id = deposit.image_set_id
    return {
        **deposit_document(deposit),
        "image_set": {"id": set_id, "url": s.Links(request).image_set(set_id)},
    }


def deposit_url(request, deposit: Deposit) -> str:
    return f"{s.Links(request).api}/deposits/{deposit.pk}/"


def location(codes: list[int], what: str) -> OpenApiParameter:
    return OpenApiParameter(
        "Location", OpenApiTypes.URI, OpenApiParameter.HEADER, description=what, response=codes
    )


# --- views ---------------------------------------------------------------------------


@extend_schema(tags=["publishing"])
class PublishView(ApiMixin, APIView):
    """Publish a draft: the checklist, then a deposit run by a worker."""

    parser_classes = [JSONParser]
    required_scope = "publish"

    @extend_schema(
        operation_id="image_sets_publish",
        request=PublishSerializer,
        parameters=[location([200, 202], "the deposit (API)")],
        responses={
            202: OpenApiResponse(DepositSerializer, description="the deposit, queued or running"),
            200: OpenApiResponse(
                DepositSerializer, description="the set's deposit had already published it"
            ),
            **problems(*WRITE_ERRORS),
        },
        description="Publish a draft set to a target (body optional). A target this portal "
        "does not have answers 404 naming `target`. Every problem of the checklist (creators, "
        "licence, images, what the target refuses) comes back at once as a 409 (the set is "
        "not ready) naming each field, and nothing changes; otherwise the set is frozen and a "
        "deposit is queued: follow it at `Location`. Asking again while it runs answers the "
        "same deposit. 409 for a set already published (or being published) without a "
        "deposit. Needs the `publish` scope.",
    )
    def post(self, request, pk: int):
        image_set = selectors.image_set_for(request.user, Action.VIEW, pk=pk)
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            deposit = publish(
                image_set, actor=request.user, target=body.validated_data.get("target")
            )
        except FieldError as error:  # the target named is not configured here
            raise Missing(error.field, error.reason) from error
        except DjangoValidationError as error:  # the set lacks what publishing needs
            raise Unready(field_errors(error)) from error
        code = (
            status.HTTP_200_OK
            if deposit.state == Deposit.State.PUBLISHED
            else status.HTTP_202_ACCEPTED
        )
        return Response(
            deposit_data(request, deposit),
            status=code,
            headers={"Location": deposit_url(request, deposit)},
        )


@extend_schema(tags=["publishing"])
class DepositView(ApiMixin, APIView):
    """A deposit's state and steps, for those who curate its set."""

    @extend_schema(
        operation_id="deposits_retrieve",
        parameters=[IF_NONE_MATCH],
        responses={200: DepositSerializer, 304: NOT_MODIFIED, **problems(*READ_ERRORS)},
    )
    def get(self, request, pk: int):
        return conditional(request, deposit_data(request, deposit_for(request.user, pk)))


@extend_schema(tags=["publishing"])
class NewVersionView(ApiMixin, APIView):
    """The draft of a published set's next version."""

    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="image_sets_versions_create",
        request=None,
        parameters=[location([201], "the draft (API)")],
        responses={201: s.ImageSetDetailSerializer, **problems(*WRITE_ERRORS)},
        description="Make the draft of the next version of a published set: its metadata "
        "and images (the files are shared, not copied), a version label one up, and a "
        "relation to the version it follows. Asking again answers the same draft, 201 both "
        "times, as InvenioRDM and Zenodo do. 409 for a set that is not published.",
    )
    def post(self, request, pk: int):
        image_set = selectors.image_set_for(request.user, Action.VIEW, pk=pk)
        draft = services.new_version(image_set, actor=request.user)
        data = image_set_detail(request, draft.pk)
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})
