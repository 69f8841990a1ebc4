"""Curation tables: label sets and labels, annotations and their review events,
and deposits (a set's publication to a target, step by step)."""

from __future__ import annotations

from uuid import uuid4

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from catalogue.models import Image, ImageSet

COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "a colour as #rrggbb")


class LabelSet(models.Model):
    """A named, versioned vocabulary of labels (BIIGLE's label trees).

    A published version is immutable; the next version is a draft that may add,
    rename, merge or retire labels, each new label naming the labels of the
    version before that it continues (`Label.derived_from`)."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    # Every version of a label set shares its concept.
    concept_uuid = models.UUIDField(default=uuid4, editable=False, db_index=True)
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    description = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    previous_version = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="next_versions",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="label_sets",
    )
    published = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["concept_uuid", "version"], name="labelset_version_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Label(models.Model):
    """One label of a label set: a taxon (WoRMS AphiaID) or a concept that is no
    taxon ("detritus", "bubble", "badfocus")."""

    label_set = models.ForeignKey(LabelSet, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=300)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    aphia_id = models.PositiveIntegerField(null=True, blank=True)
    concept = models.CharField(max_length=100, blank=True, help_text="a non-taxon concept")
    colour = models.CharField(max_length=7, default="#1f77b4", validators=[COLOUR])
    shortcut = models.CharField(max_length=1, blank=True)
    # Retired labels stay (annotations keep them) but take no new annotations.
    retired = models.BooleanField(default=False)
    # The labels of the previous version this one continues: one for a label kept or
    # renamed, several for a merge; the mapping from version to version.
    derived_from = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="successors"
    )

    class Meta:
        ordering = ["label_set", "name"]
        constraints = [
            models.UniqueConstraint(fields=["label_set", "name"], name="label_name_once"),
            models.UniqueConstraint(
                fields=["label_set", "shortcut"],
                condition=~Q(shortcut=""),
                name="label_shortcut_once",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Labelling(models.Model):
    """The label set an image set's annotations use: one per image set, so a
    label from any other label set is refused."""

    image_set = models.OneToOneField(
        ImageSet, primary_key=True, on_delete=models.CASCADE, related_name="labelling"
    )
    label_set = models.ForeignKey(LabelSet, on_delete=models.PROTECT, related_name="labellings")

    def __str__(self) -> str:
        return f"set {self.image_set_id} uses {self.label_set}"


class Shape(models.TextChoices):
    """Annotation geometry; coordinates in image pixels after EXIF orientation
    (see curation/geometry.py for each shape's coordinates)."""

    WHOLE = "whole", "Whole image"
    POINT = "point", "Point"
    CIRCLE = "circle", "Circle"
    BOX = "box", "Box"
    ROTATED_BOX = "rotated_box", "Rotated box"
    POLYGON = "polygon", "Polygon"
    LINE = "line", "Line"


class Status(models.TextChoices):
    PREDICTED = "predicted", "Predicted"
    VALIDATED = "validated", "Validated"
    DUBIOUS = "dubious", "Dubious"
    REJECTED = "rejected", "Rejected"


class Annotation(models.Model):
    """A label on an image (whole or a region), made by a person or a model version."""

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="annotations")
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="annotations")
    shape = models.CharField(max_length=16, choices=Shape.choices, default=Shape.WHOLE)
    coordinates = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PREDICTED)
    confidence = models.FloatField(null=True, blank=True)
    # Who made it: a signed-in person, a model version, or (imports) a name only.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="annotations",
    )
    model_version = models.ForeignKey(
        "inference.ModelVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="annotations",
    )
    annotator = models.CharField(max_length=200, blank=True, help_text="as the source named them")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviewed_annotations",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change: a review naming an older revision is refused (409).
    revision = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["image", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=1),
                name="annotation_confidence_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in Status]),
                name="annotation_status_known",
            ),
            models.CheckConstraint(
                condition=Q(shape__in=[choice.value for choice in Shape]),
                name="annotation_shape_known",
            ),
        ]
        indexes = [
            models.Index(fields=["image", "status"]),
            models.Index(fields=["label", "status"]),
            models.Index(fields=["status", "confidence"]),
        ]

    def __str__(self) -> str:
        return f"{self.label_id} on image {self.image_id} ({self.status})"


class ReviewEvent(models.Model):
    """One change of an annotation (who or which model, when, from -> to): its history.

    `before` and `after` hold the annotation's label id and name, status, shape,
    coordinates and confidence; creation has no `before`, deletion no `after`."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        PREDICT = "predict", "Predicted"
        CHANGE = "change", "Changed"
        VALIDATE = "validate", "Validated"
        DUBIOUS = "dubious", "Marked dubious"
        REJECT = "reject", "Rejected"
        RELABEL = "relabel", "Relabelled"
        DELETE = "delete", "Deleted"
        REVERT = "revert", "Reverted"  # an undo: back to the state before an earlier event

    annotation = models.ForeignKey(
        Annotation, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    # Kept when the annotation is deleted, so the image's history stays whole.
    annotation_uuid = models.UUIDField(db_index=True)
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="review_events")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_events",
    )
    model_version = models.ForeignKey(
        "inference.ModelVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_events",
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["image", "at"])]

    def __str__(self) -> str:
        return f"{self.action} of annotation {self.annotation_uuid} at {self.at:%Y-%m-%d %H:%M}"


class Deposit(models.Model):
    """One publication of one version of a set to one target (a repository, or none:
    the embedded default freezes the set and its landing page is its identifier).

    Persisted step by step, so a worker that dies at any step resumes where it
    stopped and never makes a second record or DOI."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        WAITING = "waiting", "Waiting for the repository"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"

    image_set = models.ForeignKey(ImageSet, on_delete=models.CASCADE, related_name="deposits")
    target = models.CharField(max_length=64, blank=True, help_text="empty: no repository")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    # [{"step", "at", "detail"}], in order: what has been done, for the curator and for resuming.
    steps = models.JSONField(default=list, blank=True)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    remote_id = models.CharField(max_length=200, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    doi = models.CharField(max_length=200, blank=True)
    concept_doi = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    # The remote's own field messages when it refused the record: {field: [messages]}.
    errors = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deposits",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            # Two publish clicks make one deposit: at most one that has not failed per set.
            models.UniqueConstraint(
                fields=["image_set"],
                condition=~Q(state="failed"),
                name="deposit_one_live_per_set",
            ),
            models.CheckConstraint(
                condition=Q(files_done__lte=models.F("files_total")),
                name="deposit_files_done_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"deposit {self.pk} of set {self.image_set_id} to {self.target or 'no target'}"

    def step_done(self, name: str) -> bool:
        return any(step.get("step") == name for step in self.steps)
