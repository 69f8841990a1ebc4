"""Stage 1 of an ingest: source files expanded into local candidate files.

Remote and uploaded files are spooled to a work folder (size-capped), archives
are opened entry by entry within limits, and sidecars are parsed and set aside
(with every problem of a refused one) to be applied once the images are stored.
Images pass straight through. A UVP6 sample bundle (`<sample>_Images.zip`) met in a
folder or an upload is opened like a folder of that name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.conf import settings

from catalogue.ingest import archives, imaging, sidecars
from catalogue.ingest.errors import IngestError
from catalogue.ingest.outcomes import CHUNK, Candidate, Outcome, discard, rejected
from catalogue.ingest.sources import SourceFile

SIDECAR_SUFFIXES = {".tsv", ".txt", ".yaml", ".yml", ".json", ".csv", ".xml"}
SIDECAR_MAX_BYTES = 50 * 1024 * 1024
#: Sidecars recognised by name alone when empty (their content cannot tell).
EMPTY_SIDECAR_SUFFIXES = {".tsv"}
#: Files instruments write beside their images that hold nothing to catalogue:
#: set aside with a note instead of being refused as "not an image".
COMPANION_FILES = {"compute_vignette.txt": "UVP6 vignette settings"}


class Expander:
    """Turns source files into candidates, opening archives and keeping sidecars.

    The parsed sidecars collect in `sidecars`, in the order they were found, and the
    refused ones, with all their problems, in `refused`.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.sidecars: list[sidecars.Sidecar] = []
        self.refused: list[sidecars.SidecarRefused] = []
        self.notes: list[str] = []  # for the report's warnings
        self.counter = 0
        self.limits = archives.ArchiveLimits(
            max_entries=settings.INGEST_ARCHIVE_MAX_ENTRIES,
            max_total_bytes=settings.INGEST_ARCHIVE_MAX_BYTES,
            max_entry_bytes=settings.INGEST_MAX_FILE_BYTES,
            max_ratio=settings.INGEST_ARCHIVE_MAX_RATIO,
        )

    def expand(self, items: Iterable[SourceFile | IngestError]) -> Iterator[Candidate | Outcome]:
        try:
            for item in items:
                if isinstance(item, IngestError):
                    yield rejected(item)
                    continue
                try:
                    yield from self.expand_file(item)
                except IngestError as error:
                    yield rejected(error)
        except IngestError as error:  # the source itself failed (listing, folder rules)
            yield rejected(error)

    def expand_file(self, item: SourceFile) -> Iterator[Candidate | Outcome]:
        candidate = self.localise(item.name, item.open, item.path)
        with open(candidate.path, "rb") as stream:
            looks_like_image = imaging.sniff(stream.read(16)) is not None
        if looks_like_image:  # the common case: skip the archive and sidecar probes
            yield candidate
        elif archives.is_archive(candidate.path):
            try:
                yield from self.expand_archive(candidate, bundle=_bundle_folder(item.name))
            finally:
                discard(candidate)
        elif self.is_sidecar(candidate):
            discard(candidate)
        else:
            yield candidate

    def expand_archive(self, archive: Candidate, bundle: str = "") -> Iterator[Candidate | Outcome]:
        """The archive's members; those of a bundle named under its folder name."""
        try:
            for entry in archives.iter_archive(
                archive.path, archive_name=archive.name, limits=self.limits
            ):
                if isinstance(entry, IngestError):
                    yield rejected(entry)
                    continue
                if bundle:
                    entry = dataclasses.replace(entry, name=f"{bundle}/{entry.name}")
                try:
                    member = self.localise(entry.name, entry.open, None)
                    if archives.is_archive(member.path):
                        discard(member)
                        raise IngestError(entry.name, "an archive inside an archive")
                    if self.is_sidecar(member):
                        discard(member)
                        continue
                except IngestError as error:
                    yield rejected(error)
                    continue
                yield member
        except IngestError as error:
            yield rejected(error)

    def localise(self, name: str, opener: Callable[[], BinaryIO], path: Path | None) -> Candidate:
        """A local file for `name`: the file itself when local, else a spooled copy."""
        if path is not None:
            return Candidate(name=name, path=path, temporary=False)
        self.counter += 1
        target = self.workdir / f"{self.counter:08d}"
        limit = settings.INGEST_MAX_FILE_BYTES
        written = 0
        try:
            with opener() as stream, open(target, "wb") as out:
                while chunk := stream.read(CHUNK):
                    written += len(chunk)
                    if written > limit:
                        raise IngestError(name, f"larger than the limit of {limit:,} bytes")
                    out.write(chunk)
        except IngestError:
            target.unlink(missing_ok=True)
            raise
        except OSError as error:
            target.unlink(missing_ok=True)
            raise IngestError(name, f"could not be read: {error}") from error
        return Candidate(name=name, path=target, temporary=True)

    def is_sidecar(self, candidate: Candidate) -> bool:
        """Whether the candidate is a sidecar; if so it is parsed and kept in `sidecars`,
        or, refused, in `refused`. An instrument's companion file is set aside too."""
        path = PurePosixPath(candidate.name)
        if path.name.lower() in COMPANION_FILES:
            self.notes.append(
                f"{candidate.name}: {COMPANION_FILES[path.name.lower()]}, not imported"
            )
            return True
        suffix = path.suffix.lower()
        if suffix not in SIDECAR_SUFFIXES:
            return False
        size = candidate.path.stat().st_size
        with open(candidate.path, "rb") as stream:
            head = stream.read(4096)
        if size == 0 and suffix in EMPTY_SIDECAR_SUFFIXES:
            problems = sidecars.SidecarProblems(candidate.name)
            problems.add("the file is empty (0 bytes): it describes no images")
            self.refused.append(problems.refused())
            return True
        if not sidecars.sniff_sidecar(candidate.name, head):
            return False
        if size > SIDECAR_MAX_BYTES:
            problems = sidecars.SidecarProblems(candidate.name)
            self.refused.append(problems.fatal(f"larger than {SIDECAR_MAX_BYTES:,} bytes"))
            return True
        try:
            parsed = sidecars.parse_sidecar(candidate.name, candidate.path.read_bytes())
        except sidecars.SidecarRefused as refusal:
            self.refused.append(refusal)
        except IngestError as error:  # a format that names its problems in one text
            self.refused.append(sidecars.SidecarProblems(candidate.name).fatal(error.reason))
        else:
            self.sidecars.append(parsed)
        return True


def _bundle_folder(name: str) -> str:
    """The folder a UVP6 sample bundle (`<sample>_Images.zip`) stands for, else ""."""
    if not archives.is_image_bundle(name):
        return ""
    return name[: -len(".zip")]
