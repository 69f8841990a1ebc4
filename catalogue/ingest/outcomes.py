"""What passes between the ingest stages: a candidate file and what became of it.

Expansion yields a `Candidate` (a local copy of one file) or, for a file refused
on the spot, its `Outcome`; storing turns each candidate into an outcome; the
writer (writing.py) writes the rows with their sidecars and counts every outcome
into the batch report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from catalogue.ingest.errors import IngestError

#: Bytes read at a time when a file is copied or hashed.
CHUNK = 1024 * 1024


@dataclass
class Candidate:
    """A file ready to be ingested: its name in the source and a local copy."""

    name: str
    path: Path
    temporary: bool


@dataclass
class Outcome:
    """What became of one file; `row` and `stored` are set only while it is "stored"."""

    name: str
    # "stored" (files kept, row not yet written) | "added" | "updated" (an image the set
    # holds, corrected by a sidecar) | "duplicate" | "rejected"
    status: str
    reason: str = ""
    sha256: str = ""
    same_as: str = ""
    image_id: int | None = None
    row: dict | None = None  # the Image fields, while "stored"
    stored: list[str] = field(default_factory=list)  # storage keys, while "stored"


def rejected(error: IngestError) -> Outcome:
    """The outcome of a file refused with `error`."""
    return Outcome(error.name, "rejected", error.reason)


def discard(candidate: Candidate) -> None:
    """Delete the candidate's local copy when it is one of ours (spooled or extracted)."""
    if candidate.temporary:
        candidate.path.unlink(missing_ok=True)
