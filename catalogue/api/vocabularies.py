"""GET /api/v1/vocabularies/…/: the NVS terms instruments and platforms take, for
type-ahead in forms and for clients that want the URI of a label."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api.parameters import bounded_integer, read_integer
from catalogue.api.problems import READ_ERRORS, problems
from catalogue.api.views import ApiMixin
from catalogue.vocabularies import nvs

# Which collections each vocabulary path searches.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "instruments": nvs.INSTRUMENT.collections,
    "platforms": nvs.PLATFORM.collections,
    "device-categories": ("L05",),
}
MAX_LIMIT = 100


# `label` and `source` are also attributes of DRF fields, which the stubs type; the
# metaclass moves declared fields aside, so these shadow nothing at run time.


class BroaderSerializer(serializers.Serializer):
    uri = serializers.URLField()
    label = serializers.CharField()  # type: ignore[assignment]


class TermSerializer(serializers.Serializer):
    uri = serializers.URLField()
    identifier = serializers.CharField(help_text="SeaDataNet URN, e.g. SDN:L22::TOOL1588")
    collection = serializers.CharField(help_text="NVS collection: L22, L05 or L06")
    label = serializers.CharField(help_text="NVS preferred label")  # type: ignore[assignment]
    definition = serializers.CharField(allow_blank=True)
    deprecated = serializers.BooleanField()
    broader = BroaderSerializer(many=True, help_text="for an L22 device, its L05 categories")
    keywords = serializers.ListField(child=serializers.CharField())


class TermListSerializer(serializers.Serializer):
    results = TermSerializer(many=True)
    source = serializers.DictField(  # type: ignore[assignment]
        help_text="where the terms come from, and their licence"
    )


class VocabularyView(ApiMixin, APIView):
    """Terms of a vocabulary whose label, short names, code or identifier hold every
    word of `q` (all terms without it); a URI or SDN identifier as `q` finds that term."""

    vocabulary = "instruments"

    @extend_schema(
        tags=["vocabularies"],
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="words, a URI or an identifier"),
            bounded_integer("limit", 1, MAX_LIMIT, default=20),
        ],
        responses={200: TermListSerializer, **problems(*READ_ERRORS)},
    )
    def get(self, request):
        limit = read_integer(request.query_params, "limit", 1, MAX_LIMIT, default=20)
        text = request.query_params.get("q", "")[:200]
        found = nvs.search(VOCABULARIES[self.vocabulary], text, limit)
        return Response({"results": [t.as_dict() for t in found], "source": nvs.source()})
