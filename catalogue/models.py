"""Catalogue tables: image sets, images and ingest batches.

Field names follow DataCite, Darwin Core and Audubon Core where they have a
term. Lists that are always read and written with their set (creators,
keywords, taxa, related identifiers, funding) are JSON; their shape is checked
in `ImageSet.clean()`. What must always hold is a database constraint.
"""

from __future__ import annotations

import uuid
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from catalogue import geometry
from catalogue.vocabularies import licence_choices, normalise_orcid, normalise_ror
from catalogue.vocabularies.taxa.models import clean_set_taxa


class Access(models.TextChoices):
    OPEN = "open", "Open"
    EMBARGOED = "embargoed", "Embargoed"
    # Zenodo's embargo: the metadata is public once published, the images and files
    # only from `embargo_until` on (catalogue/access.py decides both).
    FILES_EMBARGOED = "files_embargoed", "Files under embargo"
    RESTRICTED = "restricted", "Restricted"


#: The accesses that need an end date (`embargo_until`).
EMBARGOES = (Access.EMBARGOED, Access.FILES_EMBARGOED)


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    # Frozen while its deposit runs; published when it succeeds, a draft again if refused.
    PUBLISHING = "publishing", "Being published"
    PUBLISHED = "published", "Published"


class Modality(models.TextChoices):
    PHOTOGRAPH = "photograph", "Photograph"
    VIDEO_FRAME = "video-frame", "Video frame"
    FLOW_IMAGING = "flow-imaging", "Flow imaging"
    MICROSCOPY = "microscopy", "Microscopy"
    SCANNER = "scanner", "Scanner"
    SAR = "sar", "Synthetic aperture radar"
    SPECTROGRAM = "spectrogram", "Spectrogram"
    MULTISPECTRAL = "multispectral", "Multispectral"
    OTHER = "other", "Other"


# Coverage parts that may be derived from the images when the set does not state them.
COVERAGE_PARTS = ("bbox", "time", "depth")

# A set's descriptive fields, what a curator writes: the API takes them, a new version copies them.
DESCRIPTIVE_FIELDS = (
    "title",
    "description",
    "creators",
    "licence",
    "access",
    "embargo_until",
    "keywords",
    "taxa",
    "west",
    "south",
    "east",
    "north",
    "polygon",
    "time_start",
    "time_end",
    "depth_min",
    "depth_max",
    "platform",
    "platform_uri",
    "instrument",
    "instrument_uri",
    "modality",
    "research_infrastructure",
    "station",
    "related_identifiers",
    "funding",
    "version",
)

# A station's code, as observatories name their sites and fixed cameras ("EMSO-OBSEA",
# an OceanSITES site, a WMO number): letters, digits and . _ - inside, so it stands in
# a URL path as it is (/stations/<code>/timeseries/).
STATION_CODE = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?"


class ImageSet(models.Model):
    """A dataset of aquatic images with its descriptive metadata."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    # [{"name", "orcid", "affiliation", "ror"}], in citation order.
    creators = models.JSONField(default=list, blank=True)
    licence = models.CharField(max_length=64, choices=licence_choices, default="CC-BY-4.0")
    access = models.CharField(max_length=16, choices=Access.choices, default=Access.OPEN)
    embargo_until = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_image_sets",
    )
    curators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="curated_image_sets"
    )
    # Reviewers see the set and label, validate or reject its annotations; nothing else.
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="reviewed_image_sets"
    )
    keywords = models.JSONField(default=list, blank=True)
    # [{"aphia_id", "scientific_name", "rank", "lineage": [names, kingdom first]}]
    taxa = models.JSONField(default=list, blank=True)
    # Spatial coverage, WGS84: a bounding box and optionally a GeoJSON polygon.
    west = models.FloatField(null=True, blank=True)
    south = models.FloatField(null=True, blank=True)
    east = models.FloatField(null=True, blank=True)
    north = models.FloatField(null=True, blank=True)
    polygon = models.JSONField(null=True, blank=True)
    time_start = models.DateTimeField(null=True, blank=True)
    time_end = models.DateTimeField(null=True, blank=True)
    depth_min = models.FloatField(null=True, blank=True, help_text="metres, positive down")
    depth_max = models.FloatField(null=True, blank=True, help_text="metres, positive down")
    # Which coverage parts were computed from the images (and may be recomputed).
    derived_coverage = models.JSONField(default=list, blank=True)
    platform = models.CharField(max_length=200, blank=True)
    # NERC Vocabulary Server terms (L06 platform categories; L22 devices), as URIs,
    # with the term's label in platform / instrument.
    platform_uri = models.URLField(max_length=300, blank=True)
    instrument = models.CharField(max_length=200, blank=True)
    instrument_uri = models.URLField(max_length=300, blank=True)
    modality = models.CharField(max_length=32, choices=Modality.choices, blank=True)
    research_infrastructure = models.CharField(max_length=200, blank=True)
    # The station (site, fixed camera) whose images the set holds; the sets sharing a
    # code make one time series (curation/timeseries/).
    station = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        validators=[
            RegexValidator(
                rf"\A{STATION_CODE}\Z",
                "A station code: 1 to 64 letters, digits, '.', '_' or '-', beginning and "
                "ending with a letter or digit (e.g. EMSO-OBSEA).",
            )
        ],
        help_text="the station or site code the set's images come from, e.g. EMSO-OBSEA",
    )
    # [{"identifier", "identifier_type", "relation_type"}] as in DataCite.
    related_identifiers = models.JSONField(default=list, blank=True)
    # [{"funder_name", "funder_identifier", "award_number", "award_title"}]
    funding = models.JSONField(default=list, blank=True)
    version = models.CharField(max_length=50, blank=True)
    doi = models.CharField(max_length=200, blank=True)
    # Versions, as Zenodo has them: every version of a set shares its concept (and the
    # concept DOI, which resolves to the latest); each names the version it follows.
    concept_uuid = models.UUIDField(default=uuid4, editable=False, db_index=True)
    concept_doi = models.CharField(max_length=200, blank=True)
    previous_version = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="next_versions",
    )
    published = models.DateTimeField(null=True, blank=True, editable=False)
    # External sets (catalogue/harvest/): a record of another catalogue, read-only here.
    harvest_source = models.ForeignKey(
        "catalogue.HarvestSource",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.CASCADE,
        related_name="image_sets",
    )
    # The record's identifier at its source (the OAI-PMH identifier, a record id).
    remote_identifier = models.CharField(max_length=500, blank=True, editable=False)
    remote_landing_page = models.URLField(max_length=1000, blank=True, editable=False)
    # The source's datestamp of the record as last harvested.
    remote_datestamp = models.DateTimeField(null=True, blank=True, editable=False)
    # When the source deleted (or withdrew) the record: kept, out of search.
    remote_deleted = models.DateTimeField(null=True, blank=True, editable=False)
    # The files its source lists, by link (nothing copied):
    # [{"key", "size", "checksum", "media_type", "url"}]
    remote_files = models.JSONField(default=list, blank=True, editable=False)
    # Bumped by every write; search documents carry it as their external version.
    revision = models.PositiveBigIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(south__isnull=True) | Q(south__gte=-90, south__lte=90),
                name="imageset_south_range",
            ),
            models.CheckConstraint(
                condition=Q(north__isnull=True) | Q(north__gte=-90, north__lte=90),
                name="imageset_north_range",
            ),
            models.CheckConstraint(
                condition=Q(west__isnull=True) | Q(west__gte=-180, west__lte=180),
                name="imageset_west_range",
            ),
            models.CheckConstraint(
                condition=Q(east__isnull=True) | Q(east__gte=-180, east__lte=180),
                name="imageset_east_range",
            ),
            models.CheckConstraint(
                condition=Q(south__isnull=True) | Q(north__isnull=True) | Q(south__lte=F("north")),
                name="imageset_south_le_north",
            ),
            models.CheckConstraint(
                condition=Q(time_start__isnull=True)
                | Q(time_end__isnull=True)
                | Q(time_start__lte=F("time_end")),
                name="imageset_time_order",
            ),
            models.CheckConstraint(
                condition=Q(depth_min__isnull=True)
                | Q(depth_max__isnull=True)
                | Q(depth_min__lte=F("depth_max")),
                name="imageset_depth_order",
            ),
            models.CheckConstraint(
                condition=~Q(access__in=EMBARGOES) | Q(embargo_until__isnull=False),
                name="imageset_embargo_has_date",
            ),
            models.UniqueConstraint(
                fields=["harvest_source", "remote_identifier"],
                condition=Q(harvest_source__isnull=False),
                name="imageset_remote_record_once",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "access"]),
            # OAI-PMH harvests page on (datestamp, identifier): catalogue/oai/records.py
            models.Index(fields=["updated", "uuid"], name="imageset_oai_keyset"),
            # One DOI, one entry in search: its copies are found by DOI.
            models.Index(fields=["doi"], name="imageset_doi"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_external(self) -> bool:
        """A harvested record of another catalogue: read-only here."""
        return self.harvest_source_id is not None

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        bbox = [self.west, self.south, self.east, self.north]
        if any(v is not None for v in bbox) and any(v is None for v in bbox):
            errors.setdefault("west", []).append("a bounding box needs west, south, east, north")
        if self.access in EMBARGOES and not self.embargo_until:
            errors.setdefault("embargo_until", []).append("an embargoed set needs its end date")
        try:
            self.creators = [clean_creator(c, i) for i, c in enumerate(self.creators or [])]
        except ValidationError as error:
            errors.setdefault("creators", []).extend(error.messages)
        if not isinstance(self.keywords, list) or not all(
            isinstance(k, str) for k in self.keywords
        ):
            errors.setdefault("keywords", []).append("keywords must be a list of strings")
        if not isinstance(self.taxa or [], list):
            errors.setdefault("taxa", []).append("taxa must be a list")
        else:
            self.taxa, taxa_problems = clean_set_taxa(self.taxa or [])
            if taxa_problems:
                errors.setdefault("taxa", []).extend(taxa_problems)
        if self.polygon is not None and not geometry.is_polygon(self.polygon):
            errors.setdefault("polygon", []).append(
                "polygon must be a GeoJSON Polygon of closed rings in WGS84"
            )
        if errors:
            raise ValidationError(errors)


def clean_creator(creator: dict, index: int) -> dict:
    label = f"creator {index + 1}"
    if not isinstance(creator, dict) or not str(creator.get("name", "")).strip():
        raise ValidationError(f"{label} needs a name")
    cleaned = {"name": str(creator["name"]).strip()}
    if creator.get("orcid"):
        cleaned["orcid"] = normalise_orcid(str(creator["orcid"]), f"{label} orcid").strip()
    if creator.get("affiliation"):
        cleaned["affiliation"] = str(creator["affiliation"]).strip()
    if creator.get("ror"):
        cleaned["ror"] = normalise_ror(str(creator["ror"]), f"{label} ror")
    return cleaned


class Image(models.Model):
    """One image file of a set: where it is stored, what it is, where and when it was taken."""

    image_set = models.ForeignKey(ImageSet, on_delete=models.CASCADE, related_name="images")
    file_name = models.CharField(max_length=1000, help_text="name within the source, NFC")
    # Versions of a set share their originals and thumbnails: a new version's rows name
    # the same keys (under the first set's prefix), so no byte is copied.
    storage_key = models.CharField(max_length=1000, db_index=True)
    sha256 = models.CharField(max_length=64)
    crc32 = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="CRC-32 of the original, for zip packages"
    )
    size = models.PositiveBigIntegerField()
    media_type = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    frames = models.PositiveIntegerField(default=1)
    mode = models.CharField(max_length=16, blank=True, help_text="Pillow mode, e.g. RGB, I;16")
    captured_at = models.DateTimeField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    depth = models.FloatField(null=True, blank=True, help_text="metres, positive down")
    exif = models.JSONField(default=dict, blank=True)
    thumbnail_small = models.CharField(max_length=1000, blank=True)
    thumbnail_medium = models.CharField(max_length=1000, blank=True)
    # Free per-image fields, as EcoTaxa's object_/sample_/acq_/process_ columns.
    fields = models.JSONField(default=dict, blank=True)
    # An image of an external set (catalogue/harvest/aquacat.py): its file stays at the
    # source (no storage_key), linked: {"id", "url", "landing_page", "file",
    # "thumbnail_small", "thumbnail_medium", "labels": [{"name", "aphia_id"}]}.
    remote = models.JSONField(default=dict, blank=True, editable=False)
    # A georeferenced raster's ground footprint: a GeoJSON Polygon or MultiPolygon
    # (split at the antimeridian) in WGS 84, read at ingest (catalogue/ingest/georaster).
    footprint = models.JSONField(null=True, blank=True, editable=False)
    # A raster's own description, read at ingest: {"crs", "transform" | "gcps",
    # "bands": [{"description", "dtype", "nodata"}], "scaling": {...}} (georaster).
    raster = models.JSONField(default=dict, blank=True, editable=False)
    # An image derived from a recording (catalogue/recordings/): a spectrogram segment or
    # a video frame, its place in the recording (seconds from its start) and the axes
    # that turn its pixels into time and frequency (recordings/axes.py).
    recording = models.ForeignKey(
        "catalogue.Recording",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.CASCADE,
        related_name="images",
    )
    recording_start = models.FloatField(null=True, blank=True, editable=False)
    recording_end = models.FloatField(null=True, blank=True, editable=False)
    recording_axes = models.JSONField(default=dict, blank=True, editable=False)
    # Bumped by every change after ingest (sidecars, enrichment): see search documents.
    revision = models.PositiveBigIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["image_set", "file_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["image_set", "sha256"], name="image_sha256_once_per_set"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="image_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="image_longitude_range",
            ),
        ]
        indexes = [models.Index(fields=["image_set", "captured_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.sha256[:12]})"


class IngestBatch(models.Model):
    """One run of ingestion into a set: its progress while it runs, its report after."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    image_set = models.ForeignKey(ImageSet, on_delete=models.CASCADE, related_name="ingests")
    source = models.CharField(max_length=1000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(default=0, help_text="files seen so far")
    added = models.PositiveIntegerField(default=0)
    duplicates = models.JSONField(default=list, blank=True)  # [{"name", "sha256", "same_as"}]
    rejected = models.JSONField(default=list, blank=True)  # [{"name", "reason"[, "problems"]}]
    # Images already in the set that a sidecar of this batch corrected: [{"name", "image_id"}]
    updated = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started"]

    def __str__(self) -> str:
        return f"ingest {self.pk} into {self.image_set_id}: {self.status}"


class SearchOutbox(models.Model):
    """A row changed and its search document must be rewritten (or deleted).

    Written in the same transaction as the change, so the index can never miss
    a committed write; the indexing task consumes it (catalogue/search/outbox.py).
    """

    class Kind(models.TextChoices):
        SET = "set", "Image set"
        IMAGE = "image", "Image"
        SET_IMAGES = "set-images", "Every image of a set"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


from catalogue.fixity.models import *  # noqa: E402, F403 - fixity checks
from catalogue.harvest.models import *  # noqa: E402, F403 - harvest sources and runs
from catalogue.oai.models import *  # noqa: E402, F403 - OAI-PMH tombstones
from catalogue.recordings.models import *  # noqa: E402, F403 - audio and video recordings
from catalogue.search.dbindex import *  # noqa: E402, F403 - models of the database search index
from catalogue.uploads.models import *  # noqa: E402, F403 - resumable uploads
from catalogue.vocabularies.taxa.models import *  # noqa: E402, F403 - taxa and their questions
