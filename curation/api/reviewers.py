"""API of a set's reviewers: who may review and annotate its annotations besides
its owner and curators. Its owner, curators and staff see and change the list
(catalogue.access, Action.MANAGE_REVIEWERS); the service reindexes the set, since
reviewers see it before it is public."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import access, selectors, services
from catalogue.access import Action
from catalogue.api.problems import READ_ERRORS, WRITE_ERRORS, Missing, problems
from catalogue.api.views import ApiMixin
from catalogue.models import ImageSet
from curation.api import serializers as s


def reviewers_of(request, image_set: ImageSet) -> dict:
    names = image_set.reviewers.order_by("username").values_list("username", flat=True)
    return {
        "reviewers": list(names),
        "can_change": access.permitted(request.user, Action.MANAGE_REVIEWERS, image_set),
    }


@extend_schema(tags=["image sets"])
class ReviewersView(ApiMixin, APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="image_sets_reviewers_retrieve",
        responses={200: s.ReviewersAnswerSerializer, **problems(403, *READ_ERRORS)},
    )
    def get(self, request, pk: int):
        image_set = selectors.image_set_for(request.user, Action.MANAGE_REVIEWERS, pk=pk)
        return Response(reviewers_of(request, image_set))

    @extend_schema(
        operation_id="image_sets_reviewers_update",
        request=s.ReviewersSerializer,
        responses={200: s.ReviewersAnswerSerializer, **problems(*WRITE_ERRORS)},
        description="Replace the set's reviewers (usernames; an empty list removes them all); "
        "404 naming `reviewers` for a username no account has.",
    )
    def put(self, request, pk: int):
        image_set = selectors.image_set_for(request.user, Action.MANAGE_REVIEWERS, pk=pk)
        body = s.ReviewersSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wanted = set(body.validated_data["reviewers"])
        users = list(get_user_model().objects.filter(username__in=wanted))
        unknown = sorted(wanted - {user.get_username() for user in users})
        if unknown:
            raise Missing.fields({"reviewers": [f"no user named {name!r}" for name in unknown]})
        services.set_reviewers(image_set, users, actor=request.user)
        return Response(reviewers_of(request, image_set))
