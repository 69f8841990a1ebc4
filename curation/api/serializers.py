"""What the curation API reads and writes: label sets and labels, annotations, their
history, bulk review and set reviewers.

Lists are built from `.values()` rows by plain functions (curation/api/rows.py); the
Serializer classes here describe the same shapes for the OpenAPI schema, and parse
input before the services check it again with the model's rules.

Fields named `label`, `parent` and `source` are ours: DRF's metaclass moves declared
fields into _declared_fields, so they do not replace the Field attributes of the
same names, which the type stubs cannot tell (hence the ignores).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalogue.api.strict import StrictInput
from curation.api.rows import SOURCE_KINDS
from curation.models import COLOUR, LabelSet, ReviewEvent, Shape, Status
from curation.services.annotations import PERSON_STATUSES
from curation.services.review import ACTIONS, MAX_IDS

# --- schema descriptions of the rows ----------------------------------------------------


class LabelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True, help_text="the parent label's id")  # type: ignore[assignment]
    aphia_id = serializers.IntegerField(allow_null=True, help_text="WoRMS AphiaID")
    concept = serializers.CharField(allow_blank=True, help_text="a concept that is no taxon")
    colour = serializers.CharField(help_text="#rrggbb")
    shortcut = serializers.CharField(allow_blank=True, help_text="one key")
    retired = serializers.BooleanField(help_text="kept for old annotations, closed to new ones")


class LabelSetExportsSerializer(serializers.Serializer):
    csv = serializers.URLField()
    skos = serializers.URLField()


class LabelSetSerializer(serializers.Serializer):
    """A version of a label set."""

    uuid = serializers.UUIDField()
    concept_uuid = serializers.UUIDField(help_text="shared by every version")
    name = serializers.CharField()
    version = serializers.IntegerField()
    # Not a ChoiceField: its enum would collide with the image set's `state` in the
    # schema's enum names (ENUM_NAME_OVERRIDES is a project setting).
    state = serializers.CharField(help_text=f"one of: {', '.join(LabelSet.State.values)}")
    description = serializers.CharField(allow_blank=True)
    previous_version = serializers.URLField(allow_null=True)
    owner = serializers.CharField(allow_null=True, help_text="username")
    published = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()
    url = serializers.URLField()
    exports = LabelSetExportsSerializer()


class LabelSetDetailSerializer(LabelSetSerializer):
    labels = LabelSerializer(many=True)


class AnnotationLabelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    colour = serializers.CharField()


class GeometrySerializer(serializers.Serializer):
    """A shape and its coordinates in image pixels after EXIF orientation, origin top
    left: whole [], point [x, y], circle [x, y, r], box [x0, y0, x1, y1], rotated_box
    [cx, cy, w, h, degrees clockwise], polygon and line [[x, y], ...]."""

    type = serializers.ChoiceField(choices=Shape.choices)
    coordinates = serializers.JSONField()


class SourceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SOURCE_KINDS)
    name = serializers.CharField(
        allow_blank=True, help_text="the person's username, the model's name, or as imported"
    )
    model_version = serializers.CharField(allow_null=True)


class AnnotationSerializer(serializers.Serializer):
    """A label on an image (whole, or a region), with who made it and its review status."""

    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    url = serializers.URLField()
    image = serializers.IntegerField()
    image_set = serializers.IntegerField()
    label = AnnotationLabelSerializer()  # type: ignore[assignment]
    geometry = GeometrySerializer()
    status = serializers.ChoiceField(choices=Status.choices)
    confidence = serializers.FloatField(allow_null=True)
    source = SourceSerializer()  # type: ignore[assignment]
    revision = serializers.IntegerField(help_text="bumped by every change")
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()
    crop = serializers.URLField(help_text="a JPEG of the annotated region")


class EventSerializer(serializers.Serializer):
    """One change of an annotation: who or which model, when, from -> to."""

    id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=ReviewEvent.Action.choices)
    actor = serializers.CharField(allow_null=True, help_text="username")
    model = serializers.CharField(allow_null=True, help_text="the model's name")
    model_version = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()
    before = serializers.DictField(allow_null=True, help_text="null for a creation")
    after = serializers.DictField(allow_null=True, help_text="null for a deletion")


class OutcomeSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField(help_text="already as asked")
    events = serializers.ListField(
        child=serializers.IntegerField(), help_text="review events made (undo takes them)"
    )


class ReviewersSerializer(StrictInput, serializers.Serializer):
    reviewers = serializers.ListField(
        child=serializers.CharField(max_length=150), max_length=1000, help_text="usernames"
    )


class ReviewersAnswerSerializer(ReviewersSerializer):
    can_change = serializers.BooleanField(help_text="whether the caller may change them")


# --- input ----------------------------------------------------------------------------


class LabelInputSerializer(StrictInput, serializers.Serializer):
    name = serializers.CharField(max_length=300)
    parent = serializers.CharField(  # type: ignore[assignment]
        required=False, allow_blank=True, help_text="the parent label's name"
    )
    aphia_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**31 - 1
    )
    concept = serializers.CharField(required=False, allow_blank=True, max_length=100)
    colour = serializers.RegexField(COLOUR.regex, required=False, help_text="#rrggbb")
    shortcut = serializers.CharField(required=False, allow_blank=True, max_length=1)


class LabelSetCreateSerializer(StrictInput, serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    labels = LabelInputSerializer(many=True, required=False, default=list)


class LabelsAddSerializer(StrictInput, serializers.Serializer):
    labels: serializers.ListSerializer = serializers.ListSerializer(
        child=LabelInputSerializer(), min_length=1
    )


class LabelSetVersionSerializer(StrictInput, serializers.Serializer):
    """How the next version differs from this one (each optional)."""

    rename = serializers.DictField(
        child=serializers.CharField(max_length=300), required=False, help_text="old -> new name"
    )
    merge = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(), min_length=1),
        required=False,
        help_text="new name -> the old names it replaces",
    )
    retire = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="names closed to new annotations"
    )
    add = LabelInputSerializer(many=True, required=False, help_text="new labels")


@extend_schema_field(
    {
        "type": "array",
        "items": {"oneOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}}]},
    }
)
class CoordinatesField(serializers.JSONField):
    """Numbers, or [x, y] pairs (polygon, line): how many depends on the shape and the
    image's size, which a schema cannot state; the service names what is wrong."""


class GeometryInputSerializer(StrictInput, GeometrySerializer):
    coordinates = CoordinatesField(required=False, help_text="default [] (whole image)")


class AnnotationCreateSerializer(StrictInput, serializers.Serializer):
    image = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    label = serializers.IntegerField(min_value=1, max_value=2**63 - 1)  # type: ignore[assignment]
    geometry = GeometryInputSerializer(required=False)
    status = serializers.ChoiceField(
        choices=sorted(PERSON_STATUSES), required=False, default=Status.VALIDATED
    )
    confidence = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)


class AnnotationChangeSerializer(StrictInput, serializers.Serializer):
    label = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)  # type: ignore[assignment]
    geometry = GeometryInputSerializer(required=False)
    revision = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="the revision you saw: a change made meanwhile answers 409",
    )


class ReviewSerializer(StrictInput, serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        min_length=1,
        max_length=MAX_IDS,
        help_text="the annotations; or give `filter`",
    )
    filter = serializers.DictField(
        required=False,
        help_text="the list's filters (image_set required): every annotation they match",
    )
    action = serializers.ChoiceField(choices=list(ACTIONS))
    label = serializers.IntegerField(  # type: ignore[assignment]
        required=False, min_value=1, max_value=2**63 - 1, help_text="the new label (relabel)"
    )
    revisions = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        help_text="annotation id -> the revision you saw: any changed meanwhile answers 409",
    )

    def validate(self, attrs):
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError({"ids": ["give either ids or filter"]})
        if attrs["action"] == "relabel" and attrs.get("label") is None:
            raise serializers.ValidationError({"label": ["relabel needs the new label"]})
        revisions = {}
        for key, revision in attrs.get("revisions", {}).items():
            if not str(key).isdigit():
                raise serializers.ValidationError({"revisions": [f"{key!r} is not an id"]})
            revisions[int(key)] = revision
        attrs["revisions"] = revisions
        return attrs


class UndoSerializer(StrictInput, serializers.Serializer):
    events = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=MAX_IDS,
        help_text="review events, as a review answered them",
    )
