"""What a client sends to create or change a set, and to upload into it; checked
here for shape, then by the catalogue's services (the model's own rules)."""

from __future__ import annotations

from rest_framework import serializers

from catalogue.api import json_fields as shapes
from catalogue.api import sampling
from catalogue.api.strict import StrictInput
from catalogue.models import DESCRIPTIVE_FIELDS, ImageSet
from catalogue.vocabularies import nvs

WRITABLE_SET_FIELDS = DESCRIPTIVE_FIELDS


class ImageSetWriteSerializer(StrictInput, serializers.ModelSerializer):
    """The fields a client may set; the model's own rules are checked by the service.

    Instrument and platform take NVS terms: a URI outside the allowed collections is a
    field error beside the others; a URI given alone brings its term's label; a label
    given alone brings the URI of the term it names exactly, else it stays free text."""

    creators = shapes.json_field(shapes.CREATORS, required=False)
    keywords = shapes.json_field(shapes.KEYWORDS, required=False)
    taxa = shapes.json_field(shapes.TAXA, required=False)
    related_identifiers = shapes.json_field(shapes.RELATED_IDENTIFIERS, required=False)
    funding = shapes.json_field(shapes.FUNDING, required=False)
    polygon = shapes.json_field(shapes.POLYGON, required=False, allow_null=True)
    platform_uri = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=300,
        help_text="NVS L06 platform category URI (or SDN:L06:: identifier)",
    )
    instrument_uri = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=300,
        help_text="NVS L22 device or L05 device category URI (or SDN identifier)",
    )

    class Meta:
        model = ImageSet
        fields = WRITABLE_SET_FIELDS
        # Constraints are checked by the service's full_clean, with field names; the
        # ranges of the bounding box are stated here too, so the schema carries them.
        validators: list = []
        extra_kwargs = {
            **{side: {"min_value": -180, "max_value": 180} for side in ("west", "east")},
            **{side: {"min_value": -90, "max_value": 90} for side in ("south", "north")},
        }

    def _term_uri(self, kind: nvs.Kind, value: str) -> str:
        try:
            uri = nvs.check_uri(kind, value)
            given_label = self.initial_data.get(kind.label_field, "")
            nvs.fill_label(kind, uri, given_label if isinstance(given_label, str) else "")
        except nvs.TermError as error:
            raise serializers.ValidationError(str(error)) from error
        return uri

    def validate_keywords(self, value) -> list[str]:
        return shapes.keyword_list(value)

    def validate_creators(self, value) -> list[dict]:
        return shapes.list_of_records(value, shapes.CREATORS)

    def validate_taxa(self, value) -> list[dict]:
        return shapes.list_of_records(value, shapes.TAXA)

    def validate_related_identifiers(self, value) -> list[dict]:
        return shapes.list_of_records(value, shapes.RELATED_IDENTIFIERS)

    def validate_funding(self, value) -> list[dict]:
        return shapes.list_of_records(value, shapes.FUNDING)

    def validate_polygon(self, value):
        return shapes.polygon_shape(value)

    def validate_platform_uri(self, value: str) -> str:
        return self._term_uri(nvs.PLATFORM, value)

    def validate_instrument_uri(self, value: str) -> str:
        return self._term_uri(nvs.INSTRUMENT, value)

    def validate(self, attrs: dict) -> dict:
        for kind in nvs.KINDS.values():
            if attrs.get(kind.uri_field):
                try:
                    attrs[kind.label_field] = nvs.fill_label(
                        kind, attrs[kind.uri_field], attrs.get(kind.label_field, "")
                    )
                except nvs.TermError as error:
                    raise serializers.ValidationError({kind.uri_field: [str(error)]}) from error
            elif kind.label_field in attrs and kind.uri_field not in attrs:
                attrs[kind.uri_field] = nvs.term_for_label(kind, attrs[kind.label_field])
        return attrs


class UploadSerializer(StrictInput, serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(),
        min_length=1,
        help_text="image files, archives or sidecars; repeat",
    )
    without_metadata = serializers.BooleanField(
        required=False,
        default=False,
        help_text="import the images of a refused sidecar all the same, without its metadata",
    )
    frame_rate = sampling.frame_rate()
    scene_threshold = sampling.scene_threshold()
