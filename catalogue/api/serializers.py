"""What the API reads and writes.

Output rows are built from `.values()` by plain functions (`set_row`,
`image_row`): a list page of 100 sets through a ModelSerializer costs several
times the query itself. The Serializer classes below describe the same shapes
for the OpenAPI schema (and the schema tests check that the two agree). Input is
read by catalogue/api/set_input.py, then the catalogue's services.
"""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from catalogue.models import Access, State

# --- output rows -----------------------------------------------------------------

SET_FIELDS = (
    "id",
    "uuid",
    "title",
    "description",
    "creators",
    "licence",
    "access",
    "embargo_until",
    "state",
    "keywords",
    "platform",
    "platform_uri",
    "instrument",
    "instrument_uri",
    "modality",
    "research_infrastructure",
    "station",
    "west",
    "south",
    "east",
    "north",
    "time_start",
    "time_end",
    "depth_min",
    "depth_max",
    "version",
    "doi",
    "created",
    "updated",
)
SET_DETAIL_FIELDS = (
    *SET_FIELDS,
    "taxa",
    "polygon",
    "related_identifiers",
    "funding",
    "derived_coverage",
    "revision",
    "owner_id",
)
IMAGE_FIELDS = (
    "id",
    "image_set_id",
    "file_name",
    "sha256",
    "size",
    "media_type",
    "width",
    "height",
    "frames",
    "mode",
    "captured_at",
    "latitude",
    "longitude",
    "depth",
    "created",
    "thumbnail_small",
    "thumbnail_medium",
    "remote",
)
IMAGE_DETAIL_FIELDS = (
    *IMAGE_FIELDS,
    "exif",
    "fields",
    "footprint",
    "raster",
    "recording_id",
    "recording_start",
    "recording_end",
    "recording_axes",
    "revision",
)


class Links:
    """Absolute URLs, built by string formatting from one `build_absolute_uri` per request."""

    def __init__(self, request):
        self.base = request.build_absolute_uri("/").rstrip("/")
        self.api = self.base + reverse("api:image-set-list").rsplit("/image-sets/", 1)[0]
        self.files = self.base + reverse("catalogue:image-original", args=[0]).rsplit("/0/", 1)[0]

    def image_set(self, pk) -> str:
        return f"{self.api}/image-sets/{pk}/"

    def image(self, pk) -> str:
        return f"{self.api}/images/{pk}/"

    def recording(self, pk) -> str:
        return f"{self.api}/recordings/{pk}/"

    def file(self, pk, variant: str) -> str:
        return f"{self.files}/{pk}/{variant}"


def set_row(row: dict, links: Links) -> dict:
    pk = row["id"]
    row["url"] = links.image_set(pk)
    row["images_url"] = f"{links.api}/images/?image_set={pk}"
    return row


def image_row(row: dict, links: Links) -> dict:
    pk = row["id"]
    small = row.pop("thumbnail_small")
    medium = row.pop("thumbnail_medium")
    row["image_set"] = row.pop("image_set_id")
    row["url"] = links.image(pk)
    row["image_set_url"] = links.image_set(row["image_set"])
    if "recording_id" in row:  # the detail: a spectrogram segment's or a frame's recording
        row["recording"] = row.pop("recording_id")
        row["recording_url"] = links.recording(row["recording"]) if row["recording"] else None
    remote = row.pop("remote")
    if remote and not medium:  # a harvested image not copied here: its source's files
        row["file_url"] = remote.get("file") or None
        row["thumbnail_small_url"] = remote.get("thumbnail_small") or None
        row["thumbnail_medium_url"] = remote.get("thumbnail_medium") or None
        return row
    row["file_url"] = links.file(pk, "original")
    row["thumbnail_small_url"] = links.file(pk, "small") if small else None
    row["thumbnail_medium_url"] = links.file(pk, "medium") if medium else None
    return row


# --- schema descriptions of the rows ---------------------------------------------


class CreatorSerializer(serializers.Serializer):
    name = serializers.CharField()
    orcid = serializers.CharField(required=False)
    affiliation = serializers.CharField(required=False)
    ror = serializers.CharField(required=False)


class ImageSetSerializer(serializers.Serializer):
    """An image set as listed."""

    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    creators = CreatorSerializer(many=True)
    licence = serializers.CharField(help_text="SPDX identifier")
    access = serializers.ChoiceField(choices=Access.choices)
    embargo_until = serializers.DateField(allow_null=True)
    state = serializers.ChoiceField(choices=State.choices)
    keywords = serializers.ListField(child=serializers.CharField())
    platform = serializers.CharField(allow_blank=True)
    platform_uri = serializers.CharField(
        allow_blank=True, help_text="NVS L06 platform category URI"
    )
    instrument = serializers.CharField(allow_blank=True)
    instrument_uri = serializers.CharField(
        allow_blank=True, help_text="NVS L22 device or L05 device category URI"
    )
    modality = serializers.CharField(allow_blank=True)
    research_infrastructure = serializers.CharField(allow_blank=True)
    station = serializers.CharField(
        allow_blank=True, help_text="station code; the sets sharing it make one time series"
    )
    west = serializers.FloatField(allow_null=True)
    south = serializers.FloatField(allow_null=True)
    east = serializers.FloatField(allow_null=True)
    north = serializers.FloatField(allow_null=True)
    time_start = serializers.DateTimeField(allow_null=True)
    time_end = serializers.DateTimeField(allow_null=True)
    depth_min = serializers.FloatField(allow_null=True, help_text="metres, positive down")
    depth_max = serializers.FloatField(allow_null=True, help_text="metres, positive down")
    version = serializers.CharField(allow_blank=True)
    doi = serializers.CharField(allow_blank=True)
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()
    url = serializers.URLField()
    images_url = serializers.URLField()


class ImageSetDetailSerializer(ImageSetSerializer):
    """An image set with all its metadata."""

    taxa = serializers.ListField(child=serializers.DictField())
    polygon = serializers.JSONField(allow_null=True, help_text="GeoJSON Polygon, WGS84")
    related_identifiers = serializers.ListField(child=serializers.DictField())
    funding = serializers.ListField(child=serializers.DictField())
    derived_coverage = serializers.ListField(child=serializers.CharField())
    revision = serializers.IntegerField()
    owner = serializers.CharField(allow_null=True, help_text="username")
    curators = serializers.ListField(child=serializers.CharField(), help_text="usernames")
    can_edit = serializers.BooleanField(help_text="whether the caller may change this set")


class ImageSerializer(serializers.Serializer):
    """An image as listed, with absolute links to its file and thumbnails."""

    id = serializers.IntegerField()
    image_set = serializers.IntegerField()
    file_name = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    media_type = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    frames = serializers.IntegerField()
    mode = serializers.CharField(allow_blank=True)
    captured_at = serializers.DateTimeField(allow_null=True)
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    depth = serializers.FloatField(allow_null=True)
    created = serializers.DateTimeField()
    url = serializers.URLField()
    image_set_url = serializers.URLField()
    file_url = serializers.URLField(allow_null=True)
    thumbnail_small_url = serializers.URLField(allow_null=True)
    thumbnail_medium_url = serializers.URLField(allow_null=True)


class ImageDetailSerializer(ImageSerializer):
    exif = serializers.DictField()
    # DRF's metaclass moves declared fields into _declared_fields, so this does not
    # replace the Serializer.fields property, which the stubs cannot tell.
    fields = serializers.DictField()  # type: ignore[assignment]
    footprint = serializers.JSONField(
        allow_null=True,
        help_text="a georeferenced raster's ground footprint: GeoJSON Polygon or "
        "MultiPolygon (split at the antimeridian), WGS84",
    )
    raster = serializers.DictField(
        help_text="a raster's CRS, georeferencing, bands (description, dtype, nodata, "
        "colour, units) and the display scaling of its thumbnails; empty for photographs"
    )
    recording = serializers.IntegerField(
        allow_null=True, help_text="the recording this spectrogram segment or frame comes from"
    )
    recording_url = serializers.URLField(allow_null=True)
    recording_start = serializers.FloatField(
        allow_null=True, help_text="seconds from the recording's start"
    )
    recording_end = serializers.FloatField(allow_null=True)
    recording_axes = serializers.DictField(
        help_text="what the pixels are: seconds and hertz per pixel of a spectrogram, a "
        "frame's video time; empty for photographs"
    )
    revision = serializers.IntegerField()


# --- ingest reports -------------------------------------------------------------------


class DuplicateSerializer(serializers.Serializer):
    name = serializers.CharField()
    sha256 = serializers.CharField()
    same_as = serializers.CharField(allow_null=True, required=False)


class SidecarProblemSerializer(serializers.Serializer):
    """One problem of a refused sidecar (catalogue.ingest.sidecars.records.SidecarProblem)."""

    file = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()


class RejectedSerializer(serializers.Serializer):
    name = serializers.CharField()
    reason = serializers.CharField()
    problems = SidecarProblemSerializer(
        many=True, required=False, help_text="a refused sidecar: every problem, one by one"
    )
    more = serializers.IntegerField(required=False, help_text="problems counted, not listed")


class UpdatedSerializer(serializers.Serializer):
    name = serializers.CharField()
    image_id = serializers.IntegerField()


class IngestReportSerializer(serializers.Serializer):
    batch = serializers.IntegerField()
    status = serializers.CharField()
    total = serializers.IntegerField()
    added = serializers.IntegerField()
    updated = UpdatedSerializer(many=True, help_text="images of the set a sidecar corrected")
    duplicates = DuplicateSerializer(many=True)
    rejected = RejectedSerializer(many=True)
    warnings = serializers.ListField(child=serializers.JSONField())
    image_set_url = serializers.URLField()
    images_url = serializers.URLField()


def ingest_report(batch, links: Links) -> dict:
    return {
        "batch": batch.pk,
        "status": batch.status,
        "total": batch.total,
        "added": batch.added,
        "updated": batch.updated,
        "duplicates": batch.duplicates,
        "rejected": batch.rejected,
        "warnings": batch.warnings,
        "image_set_url": links.image_set(batch.image_set_id),
        "images_url": f"{links.api}/images/?image_set={batch.image_set_id}",
    }


# --- search --------------------------------------------------------------------------


class FacetValueSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text="a string, number or boolean")
    count = serializers.IntegerField()


class HitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["set", "image"])
    score = serializers.FloatField(allow_null=True)
    document = serializers.DictField(help_text="the indexed document")
    highlights = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    url = serializers.URLField()
    matched_taxa = serializers.ListField(
        child=serializers.CharField(), help_text="names of the query's taxa this hit holds"
    )


class SearchResultSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    hits = HitSerializer(many=True)
    facets = serializers.DictField(child=FacetValueSerializer(many=True))
    next_page = serializers.CharField(allow_null=True, help_text="pass back as `after`")
    next = serializers.URLField(allow_null=True, help_text="the next page's URL")
    matched_taxa = serializers.ListField(
        child=serializers.DictField(),
        help_text="taxa the text names: text, aphia_id, name, rank, via, vernacular, label",
    )
    taxon_tree = serializers.ListField(
        child=serializers.DictField(),
        help_text="the taxon facet as a tree: value, count, rank, aphia_id, vernacular, children",
    )


class SuggestionsSerializer(serializers.Serializer):
    suggestions = serializers.ListField(child=serializers.CharField())
    taxa = serializers.ListField(
        child=serializers.DictField(),
        help_text="taxa: aphia_id, name, rank, vernacular, typed, count, label",
    )
