"""Annotations of a recording as the files bioacoustics and video tools read.

- Audio: a Raven selection table (tab-separated; Raven Pro's default columns
  "Selection", "View", "Channel", "Begin Time (s)", "End Time (s)", "Low Freq (Hz)",
  "High Freq (Hz)", then ours), one selection per annotation on its spectrograms,
  times from the recording's start. Raven, opensoundscape and warbleR/Rraven read
  these columns by name.
- Video: CSV of detections on its frames, each with its video time (seconds from
  the start) and, when the start is known, its UTC time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from catalogue.models import Recording
from catalogue.recordings.axes import annotation_time_frequency
from curation.geometry import bounds
from curation.models import Annotation

RAVEN_COLUMNS = [
    "Selection",
    "View",
    "Channel",
    "Begin Time (s)",
    "End Time (s)",
    "Low Freq (Hz)",
    "High Freq (Hz)",
    "Annotation",
    "Status",
    "Confidence",
    "Image",
]
DETECTION_COLUMNS = [
    "recording",
    "video_time_s",
    "captured_at",
    "label",
    "status",
    "confidence",
    "x0",
    "y0",
    "x1",
    "y1",
    "image",
]


def raven_selection_table(recording: Recording, annotations: Iterable[Annotation]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(RAVEN_COLUMNS)
    number = 0
    for annotation in annotations:
        image = annotation.image
        box = annotation_time_frequency(annotation)
        if box is None:
            continue
        number += 1
        writer.writerow(
            [
                number,
                "Spectrogram 1",
                1,
                f"{box['begin_s']:.6f}",
                f"{box['end_s']:.6f}",
                f"{box['low_hz']:.3f}",
                f"{box['high_hz']:.3f}",
                clean(annotation.label.name),
                annotation.status,
                "" if annotation.confidence is None else f"{annotation.confidence:.4f}",
                image.pk,
            ]
        )
    return out.getvalue()


def video_detections_csv(recording: Recording, annotations: Iterable[Annotation]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DETECTION_COLUMNS)
    for annotation in annotations:
        image = annotation.image
        x0, y0, x1, y1 = bounds(annotation.shape, annotation.coordinates, image.width, image.height)
        writer.writerow(
            [
                recording.file_name,
                f"{image.recording_start:.3f}",
                image.captured_at.isoformat() if image.captured_at else "",
                annotation.label.name,
                annotation.status,
                "" if annotation.confidence is None else f"{annotation.confidence:.4f}",
                *(f"{value:.1f}" for value in (x0, y0, x1, y1)),
                image.pk,
            ]
        )
    return out.getvalue()


def clean(text: str) -> str:
    """A cell of a tab-separated table: no tabs or line breaks inside."""
    return " ".join(text.split())
