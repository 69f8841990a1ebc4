"""What a parsed sidecar holds, and what is wrong with one: plain records for every format.

Each format's parser (ecotaxa, ifdo, coco, biigle, voc) returns a `Sidecar`; ingestion
matches its `ImageMetadata` to images by file name and its `SetMetadata` to the set, and
hands each image's `AnnotationRecord`s to the curation app (catalogue.signals).

Problems: a parser never stops at the first bad value. It gives every problem to a
`SidecarProblems` collector and carries on with the next value, row or item; at the end
`collector.raise_if_any()` raises one `SidecarRefused` carrying them all::

    problems = SidecarProblems(name)
    for line, row in rows:
        value = row.get("object_time", "")
        if not TIME.fullmatch(value):
            problems.add("is not a time (expected HHMMSS)", line=line,
                         column="object_time", value=value)
    problems.names.update(file_names)       # the images the file lists, readable or not
    problems.raise_if_any()                 # SidecarRefused(name, [...]) when any

A problem that stops the reading of the whole file (not UTF-8, no header) is raised at
once with `problems.fatal(reason)`; it still carries what was collected before.

`SidecarProblem` is (file, line, column, value, reason):
- `line`: the 1-based line of the file (a CSV/TSV row's first physical line; a JSON or
  XML line when the parser knows it), or None when the problem is the whole file's;
- `column`: the column (TSV/CSV) or the field's path in the document ("images[3].width",
  "annotation.bndbox.xmin"), "" when none;
- `value`: the offending value as written, shortened for display (`values.short`
  without quotes), "" when there is none (a missing column);
- `reason`: what is wrong, in words, without repeating the file, line or column.

`SidecarRefused` is an `IngestError` (so every existing `except IngestError` still
holds): `.name` is the file, `.reason` every problem in one text, `.problems` the
records, `.more` how many were counted past `MAX_KEPT_PROBLEMS`, `.names` the image
file names the sidecar lists (so the pipeline leaves those images out: a refused
sidecar imports none of the images it describes) or None when it could not tell (the
pipeline then leaves out the images in the sidecar's folder and below).

How the pipeline reports them: the batch's `rejected` list gets one entry per refused
sidecar, `{"name", "reason", "problems": [as_dict(), ...], "more": n}`, and one entry per
image it held back, `{"name", "reason": "not imported: its sidecar ... was refused"}`.
The API's ingest report returns those entries as they are, the upload page lists each
problem in a table (file, line, column, value, reason), and `manage.py ingest` prints
one line per problem (`--json` prints the entries) and exits 1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from catalogue.ingest.errors import IngestError

ECOTAXA_TSV = "ecotaxa-tsv"
IFDO = "ifdo"
COCO = "coco"
BIIGLE_CSV = "biigle-csv"
PASCAL_VOC = "pascal-voc"
#: The longest label name a label set takes (curation.models.Label.name).
MAX_LABEL_LENGTH = 300
#: Problems kept (and reported one by one) per sidecar; past that they are only counted,
#: so a hostile file cannot fill the report. The reason text names fewer still.
MAX_KEPT_PROBLEMS = 1000
MAX_PROBLEMS_IN_REASON = 50
#: The longest value a problem quotes.
MAX_VALUE_CHARS = 60


@dataclass(frozen=True)
class SidecarProblem:
    """One thing wrong in a sidecar: where (file, line, column), what (value), why."""

    file: str
    line: int | None
    column: str
    value: str
    reason: str

    def text(self) -> str:
        """'line 4, column object_time: '25:61:00' is not a valid time' (no file name)."""
        spot = ", ".join(
            part
            for part in (
                f"line {self.line}" if self.line is not None else "",
                f"column {self.column}" if self.column else "",
            )
            if part
        )
        quoted = f"{self.value!r} " if self.value else ""
        text = f"{quoted}{self.reason}"
        return f"{spot}: {text}" if spot else text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def shown_value(value: Any) -> str:
    """A value as a problem quotes it: text as written, cut to `MAX_VALUE_CHARS`."""
    text = value if isinstance(value, str) else repr(value)
    text = text.strip()
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


class SidecarRefused(IngestError):
    """A sidecar with problems: nothing of it, nor of the images it lists, is imported."""

    def __init__(
        self,
        name: str,
        problems: list[SidecarProblem],
        *,
        more: int = 0,
        names: set[str] | None = None,
    ):
        self.problems = problems
        self.more = more
        self.names = names
        super().__init__(name, problems_reason(problems, more))

    def report_entry(self) -> dict[str, Any]:
        """The sidecar's entry in an ingest batch's `rejected` list."""
        return {
            "name": self.name,
            "reason": self.reason,
            "problems": [problem.as_dict() for problem in self.problems],
            "more": self.more,
        }


def problems_reason(problems: list[SidecarProblem], more: int = 0) -> str:
    """Every problem in one text (the first `MAX_PROBLEMS_IN_REASON`, the rest counted)."""
    total = len(problems) + more
    shown = "; ".join(problem.text() for problem in problems[:MAX_PROBLEMS_IN_REASON])
    left = total - min(len(problems), MAX_PROBLEMS_IN_REASON)
    head = f"{total} problem{'s' if total != 1 else ''}: "
    return head + shown + (f"; and {left} more" if left > 0 else "")


class SidecarProblems:
    """Collects a sidecar's problems while it is read; see the module docstring."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[SidecarProblem] = []
        self.more = 0
        #: The image file names the sidecar lists, filled by the parser as it reads.
        self.names: set[str] = set()
        #: False when the parser cannot tell which images the file describes.
        self.names_known = True

    def add(
        self, reason: str, *, line: int | None = None, column: str = "", value: Any = ""
    ) -> None:
        if len(self.problems) >= MAX_KEPT_PROBLEMS:
            self.more += 1
            return
        shown = "" if value is None or value == "" else shown_value(value)
        self.problems.append(SidecarProblem(self.file, line, column, shown, reason))

    def __len__(self) -> int:
        return len(self.problems) + self.more

    def __bool__(self) -> bool:
        return bool(self.problems) or self.more > 0

    def refused(self) -> SidecarRefused:
        return SidecarRefused(
            self.file,
            list(self.problems),
            more=self.more,
            names=set(self.names) if self.names_known else None,
        )

    def raise_if_any(self) -> None:
        if self:
            raise self.refused()

    def fatal(
        self, reason: str, *, line: int | None = None, column: str = "", value: Any = ""
    ) -> SidecarRefused:
        """The refusal for a problem that stops the reading: `raise problems.fatal(...)`.

        The file's images cannot all be known then, unless the parser listed them first.
        """
        self.add(reason, line=line, column=column, value=value)
        if not self.names:
            self.names_known = False
        return self.refused()


@dataclass
class AnnotationRecord:
    """One label on one image as a sidecar states it, already in the portal's terms:
    a shape and pixel coordinates as curation/geometry.py defines them ("whole",
    "point", "circle", "box", "rotated_box", "polygon", "line") and a review status
    ("predicted", "validated", "dubious"). Whether the geometry fits the image is
    checked when the image is known, by the curation import."""

    label: str
    where: str  # the spot in the sidecar, for messages: "row 4", "item 'a.jpg', annotation 2"
    shape: str = "whole"
    coordinates: list[Any] = field(default_factory=list)
    status: str = "validated"
    confidence: float | None = None
    annotator: str = ""
    created_at: datetime | None = None  # timezone-aware


@dataclass
class ImageMetadata:
    """What a sidecar says about one image file."""

    file_name: str  # as written in the sidecar (relative path or base name), NFC
    captured_at: datetime | None = None  # timezone-aware; UTC when no zone given
    latitude: float | None = None
    longitude: float | None = None
    depth_min: float | None = None  # metres, positive down
    depth_max: float | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    # EcoTaxa: {"category", "status"[, "person", "date"]}; iFDO: image-annotations
    # exactly as given (a list in iFDO v2), hence list as well as dict.
    annotation: dict[str, Any] | list[Any] | None = None
    # The same annotations as records, one per label, for the annotation rows.
    annotations: list[AnnotationRecord] = field(default_factory=list)


@dataclass
class SetMetadata:
    """What a sidecar says about the whole set (the iFDO header); EcoTaxa gives none."""

    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sidecar:
    """One parsed sidecar: its format, set header, images by file name, warnings."""

    format: str  # ECOTAXA_TSV | IFDO | COCO | BIIGLE_CSV | PASCAL_VOC
    set_metadata: SetMetadata
    images: dict[str, ImageMetadata]
    warnings: list[str] = field(default_factory=list)
    name: str = ""  # the sidecar's file name, set by parse_sidecar
