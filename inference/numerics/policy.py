"""What counts as "the same results", and where the choice is kept. Free of torch:
web processes queue a verification after registering a version, and the card
page reads the record.

A version's numerics are verified per device against fp32 on a held-out sample
(inference/numerics/verify.py). A variant (bf16 autocast, channels-last, batch
size) is kept only when, on every image of the sample:

- classifiers: the top-1 class is fp32's, no class probability moves by more
  than MAX_SCORE_DRIFT (half a calibration bin of the card: its bins are 0.1
  wide), and no prediction crosses its class's bulk-validation threshold (the
  decision curators take on scores, checked exactly);
- detectors: every box at or above the card's score threshold has a partner of
  the same class with IoU >= MIN_BOX_IOU and a score within MAX_SCORE_DRIFT, and
  no box appears or vanishes at the threshold;
- embedders: the cosine between the variant's vector and fp32's is at least
  MIN_COSINE;
- segmenters: each label's mask (scores at or above the card's
  `mask_threshold`) overlaps fp32's with IoU >= MIN_MASK_IOU, and the masks
  trace to as many polygons as fp32's on every image.

Otherwise the runner stays in fp32. ONNX versions have no bf16 in ONNX Runtime's
CPU build: their variants are ONNX Runtime's graph optimisation levels (fusions,
and at `all` the blocked memory layout of its CPU convolutions, as channels-last
is torch's), compared with the graph as written (`off`), which they keep when no
level passes. The record lives in the version's
`metrics["numerics"]`, keyed by device (`cpu`, `cuda:<name>`); a device without
a record runs fp32.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from kombu.exceptions import OperationalError

from inference.models import ModelVersion

MAX_SCORE_DRIFT = 0.05
MIN_BOX_IOU = 0.9
MIN_COSINE = 0.999
MIN_MASK_IOU = 0.98  # a few border pixels of a region may flip, not its shape
TOP1_AGREEMENT = 1.0  # every image of the sample: one flipped class is one too many

RECORD_KEY = "numerics"
VERIFY_TASK = "inference.verify_numerics"


@dataclass(frozen=True)
class Numerics:
    precision: str = "fp32"  # or "bf16" (autocast)
    channels_last: bool = True
    batch_size: int = 32
    graph_optimization: str = ""  # ONNX Runtime's level for ONNX versions; "" for torch

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Numerics:
        return cls(
            precision=str(data.get("precision", "fp32")),
            channels_last=bool(data.get("channels_last", True)),
            batch_size=int(data.get("batch_size", 32)),
            graph_optimization=str(data.get("graph_optimization") or ""),
        )

    def kind(self) -> str:
        """The variant apart from its batch size, as a curator reads it."""
        if self.graph_optimization:
            return f"graph optimisation {self.graph_optimization}"
        return self.precision


FP32 = Numerics()


def thresholds() -> dict:
    return {
        "top1_agreement": TOP1_AGREEMENT,
        "max_score_drift": MAX_SCORE_DRIFT,
        "min_box_iou": MIN_BOX_IOU,
        "min_cosine": MIN_COSINE,
        "min_mask_iou": MIN_MASK_IOU,
    }


def recorded(version: ModelVersion, device_key: str) -> Numerics | None:
    """The numerics verified for this version on this kind of device, if any."""
    entry = ((version.metrics or {}).get(RECORD_KEY) or {}).get(device_key)
    if not isinstance(entry, dict) or not isinstance(entry.get("chosen"), dict):
        return None
    return Numerics.from_dict(entry["chosen"])


def measured_speed(version: ModelVersion) -> float | None:
    """Images per second of the verified numerics, on the slowest device recorded
    (a job's tasks may go to any worker); None before verification."""
    speeds = []
    for entry in ((version.metrics or {}).get(RECORD_KEY) or {}).values():
        if not isinstance(entry, dict) or not isinstance(entry.get("chosen"), dict):
            continue
        chosen = Numerics.from_dict(entry["chosen"])
        for row in entry.get("variants") or []:
            if isinstance(row, dict) and Numerics.from_dict(row) == chosen:
                speeds.append(float(row.get("images_per_s") or 0.0))
    return min(speeds) if speeds and min(speeds) > 0 else None


def unverified_versions() -> QuerySet[ModelVersion]:
    """Versions with no numerics record on any device (load_demo queues these)."""
    return ModelVersion.objects.exclude(metrics__has_key=RECORD_KEY).order_by("pk")


def broker_reachable() -> bool:
    """Whether a task sent now reaches the broker (one quick try, no retries)."""
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except (OperationalError, OSError):
        return False
    return True


def queue_verification(version: ModelVersion) -> None:
    """Ask an inference worker to verify the version's numerics once the
    registration is committed (sent by name: no torch in this process)."""
    queue = settings.INFERENCE_QUEUE or settings.CELERY_TASK_DEFAULT_QUEUE
    transaction.on_commit(
        lambda: current_app.send_task(VERIFY_TASK, args=[version.pk], queue=queue)
    )
