"""Inference tables: analytics models and their versions (the model card), jobs
that run a version over a selection of images, their batches, predictions and
(for a feature extractor) image embeddings.

Idempotence lives in constraints: a prediction is unique per (image, version,
rank) and an embedding per (image, version), so a redelivered batch writes
nothing twice; a batch counts its
deliveries so a poison batch gives up instead of looping.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Task(models.TextChoices):
    CLASSIFICATION = "classification", "Classification"
    DETECTION = "detection", "Detection"
    # Regions as polygons (a segmenter's masks traced into outlines).
    SEGMENTATION = "segmentation", "Segmentation"
    # A feature extractor: its jobs store one vector per image ("more like this").
    EMBEDDING = "embedding", "Embedding"


class AnalyticsModel(models.Model):
    name = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=300, blank=True)
    task = models.CharField(max_length=32, choices=Task.choices)
    description = models.TextField(blank=True)
    licence = models.CharField(max_length=64, help_text="SPDX id of the weights' licence")
    intended_use = models.TextField(blank=True)
    authors = models.JSONField(default=list, blank=True)  # [{"name", "orcid"?}]
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ModelVersion(models.Model):
    class Framework(models.TextChoices):
        # A linear head (our weights file) on the frozen EfficientNet-Lite0 features.
        LINEAR_PROBE = "linear-probe-efficientnet-lite0", "Linear head on EfficientNet-Lite0"
        TORCHSCRIPT = "torchscript", "TorchScript"
        ONNX = "onnx", "ONNX (ONNX Runtime)"
        DEEPAAS = "deepaas", "Remote AI4OS module (DEEPaaS API)"
        # The ImageNet EfficientNet-Lite0 itself, up to global pooling (embeddings).
        FEATURES = "features-efficientnet-lite0", "EfficientNet-Lite0 features"

    model = models.ForeignKey(AnalyticsModel, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=50)
    framework = models.CharField(max_length=64, choices=Framework.choices)
    # What the predictions say, in the model's output order: the label set's names
    # when the card maps its outputs to a label set.
    labels = models.JSONField(default=list, blank=True)
    # The label set the card maps the outputs to, and the mapping {output: label name}.
    label_set = models.ForeignKey(
        "curation.LabelSet", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    label_map = models.JSONField(default=dict, blank=True)
    # {"size": [h, w], "mean": [..], "std": [..], "channels": "RGB"}
    input_spec = models.JSONField(default=dict, blank=True)
    weights_path = models.CharField(max_length=1000, blank=True)
    weights_sha256 = models.CharField(max_length=64, blank=True)
    # DEEPaaS: {"url": base URL, "name": module name, "timeout": seconds}
    endpoint = models.JSONField(default=dict, blank=True)
    training_data_doi = models.CharField(max_length=200, blank=True)
    training_image_set = models.ForeignKey(
        "catalogue.ImageSet", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    training = models.JSONField(default=dict, blank=True)  # recipe: seeds, epochs, split...
    metrics = models.JSONField(default=dict, blank=True)  # held-out metrics
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model", "-created"]
        constraints = [
            models.UniqueConstraint(fields=["model", "version"], name="modelversion_once"),
        ]
        permissions = [("register_modelversion", "Can register model versions (card and weights)")]

    def __str__(self) -> str:
        return f"{self.model.name} {self.version}"


class InferenceJob(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="jobs")
    # {"image_set": id} | {"search": {query params}} | {"image_ids": [...]}
    selection = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    batch_size = models.PositiveIntegerField(default=32)
    error = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)  # aggregated results per set
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.model_version}): {self.state}"


class JobBatch(models.Model):
    """One task's worth of images; its state and delivery count live here."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (job cancelled)"

    job = models.ForeignKey(InferenceJob, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    image_ids = models.JSONField()
    size = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    deliveries = models.PositiveIntegerField(default=0)
    failed_image_ids = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="jobbatch_once"),
        ]

    def __str__(self) -> str:
        return f"batch {self.number} of job {self.job_id}: {self.state}"


class Prediction(models.Model):
    """What a model version said about an image. Classification writes rank 0 (the
    top class, with the top-k scores); detection writes one row per box, and
    segmentation one per region (polygon and its box), in the model's order. Unique
    per (image, version, rank): redelivery cannot duplicate."""

    image = models.ForeignKey("catalogue.Image", on_delete=models.CASCADE, related_name="+")
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="predictions"
    )
    job = models.ForeignKey(
        InferenceJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="predictions"
    )
    rank = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=300)
    confidence = models.FloatField()
    box = models.JSONField(null=True, blank=True)  # [x0, y0, x1, y1] in image pixels
    # A segmenter's region: [[x, y], ...] in image pixels (`box` is around it).
    polygon = models.JSONField(null=True, blank=True)
    scores = models.JSONField(default=dict, blank=True)  # top-k {label: probability}
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["image", "model_version", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "model_version", "rank"], name="prediction_once"
            ),
        ]
        indexes = [models.Index(fields=["model_version", "label"])]

    def __str__(self) -> str:
        return f"{self.label} {self.confidence:.2f} on image {self.image_id}"


class ImageEmbedding(models.Model):
    """A feature extractor's vector for an image: L2-normalised float32, stored as
    raw little-endian bytes (5 KiB for 1280 features; a JSON list would be ~4x).
    Unique per (image, version), so a redelivered batch writes nothing twice."""

    image = models.ForeignKey("catalogue.Image", on_delete=models.CASCADE, related_name="+")
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="embeddings"
    )
    job = models.ForeignKey(
        InferenceJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="embeddings"
    )
    dimensions = models.PositiveIntegerField()
    vector = models.BinaryField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["image", "model_version"]
        constraints = [
            models.UniqueConstraint(fields=["image", "model_version"], name="imageembedding_once"),
        ]

    def __str__(self) -> str:
        return f"{self.dimensions}-d embedding of image {self.image_id} ({self.model_version_id})"


class PredictionChange(models.Model):
    """A newer version of a model said something else about an image than the
    version before: the queue that validation works through."""

    image = models.ForeignKey("catalogue.Image", on_delete=models.CASCADE, related_name="+")
    model = models.ForeignKey(AnalyticsModel, on_delete=models.CASCADE, related_name="+")
    previous_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    new_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    before = models.JSONField()  # [{"label", "confidence", "box"?}]
    after = models.JSONField()
    reviewed = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "previous_version", "new_version"], name="predictionchange_once"
            ),
        ]

    def __str__(self) -> str:
        return f"image {self.image_id}: {self.previous_version} -> {self.new_version}"


class SetEnrichment(models.Model):
    """Aggregated results of a model version over a set (classes and counts)."""

    image_set = models.ForeignKey(
        "catalogue.ImageSet", on_delete=models.CASCADE, related_name="enrichments"
    )
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    summary = models.JSONField(default=dict)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["image_set", "model_version"], name="setenrichment_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_version} on set {self.image_set_id}"
