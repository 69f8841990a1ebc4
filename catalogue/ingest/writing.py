"""Stage 3 of an ingest: image rows written, each sidecar with the images it describes.

Stored files are held, not written, until every sidecar of the batch is known (a
sidecar may come after its images, in a folder or an archive). Then:

- a refused sidecar (every problem named) is reported, and the files it describes
  are not imported (their stored files deleted), unless the curator asked for the
  images without their metadata;
- each accepted sidecar is written in one transaction with its new images, the
  corrections to images already in the set (a file sent again with the same content,
  or a name the set holds) and its annotations; when that is refused, nothing of it
  or of its new images stays;
- the files no sidecar describes are written in batches.

Every file ends as one outcome in the report: added, updated (a corrected image
already in the set), duplicate or rejected.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from catalogue.ingest.errors import IngestError
from catalogue.ingest.matching import NameIndex, folder_of, under
from catalogue.ingest.outcomes import Outcome
from catalogue.ingest.sidecars import ImageMetadata, Sidecar, SidecarProblems, SidecarRefused
from catalogue.ingest.storing import SetContext, delete_stored
from catalogue.models import Image, ImageSet
from catalogue.recordings.services import write_recordings
from catalogue.recordings.storing import is_recording
from catalogue.services.images import add_image, add_images, write_sidecar


class RowWriter:
    """The one writer of image rows (SQLite has a single writer, PostgreSQL few round
    trips); a row and its files go together: a file without a row is deleted."""

    BATCH_ROWS = 200

    def __init__(self, context: SetContext, progress: Any) -> None:
        self.progress = progress
        self.taken = dict(context.known)  # sha256 -> file name, rows written or held
        self.held: dict[str, list[Outcome]] = {}  # name -> stored files awaiting their row
        self.repeats: dict[str, Outcome] = {}  # name -> a file the set already holds
        self.twins: dict[str, list[Outcome]] = {}  # sha256 -> later files of held content
        self.set_images: dict[str, Image] | None = None  # sha256 -> row, once needed
        self.set_names = NameIndex([])
        self.recordings: list[Outcome] = []  # stored recordings (catalogue/recordings/)

    # --- while files are stored -------------------------------------------------------

    def add(self, outcome: Outcome) -> None:
        if is_recording(outcome):  # written in finish(), each with its derived images
            self.recordings.append(outcome)
            self.progress.seen(outcome)
        elif outcome.status == "duplicate" and outcome.name not in self.repeats:
            # Content the set holds: a sidecar of the batch may correct its image.
            self.repeats[outcome.name] = outcome
            self.progress.seen(outcome)
        elif outcome.status != "stored":
            self.progress.record(outcome)
        elif outcome.sha256 in self.taken:  # the same content, stored twice in this batch
            delete_stored(outcome.stored)
            self.twins.setdefault(outcome.sha256, []).append(outcome)
            self.progress.seen(outcome)
        else:
            self.taken[outcome.sha256] = outcome.name
            self.held.setdefault(outcome.name, []).append(outcome)
            self.progress.seen(outcome)

    # --- once every sidecar is known ---------------------------------------------------

    def finish(
        self,
        image_set: ImageSet,
        found: list[Sidecar],
        refused: list[SidecarRefused],
        *,
        without_metadata: bool = False,
    ) -> list[str]:
        """Apply the sidecars, write the rest, settle every held file; the warnings."""
        warnings: list[str] = []
        for refusal in refused:
            warnings += self.refuse(refusal, without_metadata=without_metadata)
        if found:
            self.load_set(image_set)
        for sidecar in found:
            warnings += self.apply(image_set, sidecar, without_metadata=without_metadata)
        self.write_rest()
        for outcome in write_recordings(self.recordings):
            self.progress.settle(outcome)
        self.recordings = []
        for outcome in self.repeats.values():
            self.progress.settle(outcome)
        for sha256, twins in self.twins.items():
            for twin in twins:
                self.progress.settle(duplicate(twin, self.taken[sha256]))
        self.repeats, self.twins = {}, {}
        return warnings

    def refuse(self, refusal: SidecarRefused, *, without_metadata: bool) -> list[str]:
        """Report a refused sidecar and leave out the files it describes."""
        self.progress.reject_sidecar(refusal.report_entry())
        folder = folder_of(refusal.name)
        names = [*self.held, *(twin.name for twins in self.twins.values() for twin in twins)]
        if refusal.names is None:
            described = [name for name in names if under(name, folder)]
        else:
            index = NameIndex(names)
            described = sorted({n for entry in refusal.names for n in index.find(entry, folder)})
        if without_metadata:
            return (
                [
                    f"{refusal.name}: refused; {len(described)} image(s) it describes imported "
                    "without its metadata, as asked"
                ]
                if described
                else []
            )
        left_out = [o for name in described for o in self.held.pop(name, [])]
        self.hold_back(left_out, refusal, set(described))
        for sha256, twins in list(self.twins.items()):  # of content that goes in
            for twin in [twin for twin in twins if twin.name in described]:
                twins.remove(twin)
                self.progress.settle(not_imported(twin, refusal))
            if not twins:
                del self.twins[sha256]
        return []

    def hold_back(self, outcomes: list[Outcome], refusal: IngestError, names: set[str]) -> None:
        """Leave out the files a refused sidecar describes. A file of the same content
        that it does not describe takes the stored copy and goes in in its place."""
        for outcome in outcomes:
            twins = self.twins.pop(outcome.sha256, [])
            heirs = [twin for twin in twins if twin.name not in names]
            for twin in [twin for twin in twins if twin.name in names] + [outcome]:
                self.progress.settle(not_imported(twin, refusal))
            if not heirs:
                delete_stored(outcome.stored)
                del self.taken[outcome.sha256]
                continue
            heir, *others = heirs
            row = {**(outcome.row or {}), "file_name": heir.name}
            stored = Outcome(
                heir.name, "stored", sha256=heir.sha256, row=row, stored=outcome.stored
            )
            self.held.setdefault(heir.name, []).append(stored)
            self.taken[outcome.sha256] = heir.name
            if others:
                self.twins[outcome.sha256] = others

    def load_set(self, image_set: ImageSet) -> None:
        images = list(image_set.images.all())
        self.set_images = {image.sha256: image for image in images}
        self.set_names = NameIndex(image.file_name for image in images)

    def apply(self, image_set: ImageSet, sidecar: Sidecar, *, without_metadata: bool) -> list[str]:
        """Write one sidecar with the files it describes, in one transaction."""
        warnings = [f"{sidecar.name}: {warning}" for warning in sidecar.warnings]
        new, existing, repeats = self.targets(sidecar, warnings)
        if not new and not existing:
            return warnings
        try:
            inserted, corrected = write_sidecar(image_set, sidecar, new=new, existing=existing)
        except (IngestError, ValidationError) as error:
            refusal = as_refusal(sidecar.name, error)
            self.load_set(image_set)  # the rows in memory took the undone changes
            self.progress.reject_sidecar(refusal.report_entry())
            if not without_metadata:
                left_out = list({id(o): o for o in self.outcomes_of(new)}.values())
                for outcome in left_out:
                    self.unhold(outcome)
                self.hold_back(left_out, refusal, {o.name for o in left_out})
            return warnings
        except IntegrityError:
            # Another batch wrote some of the same content meanwhile: write the new files
            # alone (finding which), then apply the sidecar to the rows the set now holds.
            self.write_each(self.outcomes_of(new))
            self.load_set(image_set)
            return self.apply(image_set, sidecar, without_metadata=without_metadata)
        self.settle_written(new, inserted, corrected, repeats)
        return warnings

    def targets(
        self, sidecar: Sidecar, warnings: list[str]
    ) -> tuple[
        list[tuple[dict[str, Any], ImageMetadata]],
        list[tuple[Image, ImageMetadata]],
        dict[int, Outcome],
    ]:
        """What each entry of the sidecar stands for: a held file (a new row), a file the
        set already holds (a correction), or an image of the set by its name."""
        folder = folder_of(sidecar.name)
        held, repeated = NameIndex(self.held), NameIndex(self.repeats)
        assert self.set_images is not None  # finish() loads the set before any apply()
        new: list[tuple[dict[str, Any], ImageMetadata]] = []
        existing: list[tuple[Image, ImageMetadata]] = []
        repeats: dict[int, Outcome] = {}
        by_name: dict[str, Image] = {}
        for entry, metadata in sidecar.images.items():
            if names := held.find(entry, folder):
                new += [(o.row or {}, metadata) for n in names for o in self.held[n]]
            elif names := repeated.find(entry, folder):
                for name in names:
                    image = self.set_images.get(self.repeats[name].sha256)
                    if image is not None:
                        existing.append((image, metadata))
                        repeats[image.pk] = self.repeats[name]
            elif names := self.set_names.find(entry, folder):
                by_name = by_name or {i.file_name: i for i in self.set_images.values()}
                existing += [(by_name[name], metadata) for name in names]
            else:
                warnings.append(f"{sidecar.name}: no image named {entry!r} in this set")
        return new, existing, repeats

    def outcomes_of(self, new: list[tuple[dict[str, Any], ImageMetadata]]) -> list[Outcome]:
        rows = {id(row) for row, _ in new}
        return [o for outcomes in self.held.values() for o in outcomes if id(o.row) in rows]

    def settle_written(
        self,
        new: list[tuple[dict[str, Any], ImageMetadata]],
        inserted: list[Image],
        corrected: list[Image],
        repeats: dict[int, Outcome],
    ) -> None:
        assert self.set_images is not None
        by_sha = {image.sha256: image for image in inserted}
        for outcome in {id(o): o for o in self.outcomes_of(new)}.values():
            self.unhold(outcome)
            self.progress.settle(added(outcome, by_sha[outcome.sha256].pk))
        for image in inserted:  # later sidecars of the batch may correct them
            self.set_images[image.sha256] = image
            self.set_names.add(image.file_name)
        for image in corrected:
            repeat = repeats.get(image.pk)
            if repeat is not None:
                self.repeats.pop(repeat.name, None)
                self.progress.settle(
                    Outcome(repeat.name, "updated", sha256=repeat.sha256, image_id=image.pk)
                )
            else:
                self.progress.updated(image.file_name, image.pk)

    def write_rest(self) -> None:
        """Write the held files no sidecar took, in batches."""
        pending = [o for outcomes in self.held.values() for o in outcomes]
        self.held = {}
        for start in range(0, len(pending), self.BATCH_ROWS):
            batch = pending[start : start + self.BATCH_ROWS]
            try:
                written = add_images([o.row or {} for o in batch])
            except IntegrityError:
                self.write_each(batch)
                continue
            for outcome, image in zip(batch, written, strict=True):
                self.progress.settle(added(outcome, image.pk))

    def unhold(self, outcome: Outcome) -> None:
        held = self.held.get(outcome.name, [])
        if outcome in held:
            held.remove(outcome)
        if not held:
            self.held.pop(outcome.name, None)

    def write_each(self, outcomes: list[Outcome]) -> None:
        """Write rows one by one, finding those whose content another batch wrote."""
        for outcome in outcomes:
            self.unhold(outcome)
            try:
                image = add_image(outcome.row or {})
            except IntegrityError:
                delete_stored(outcome.stored)
                row = outcome.row or {}
                same = Image.objects.filter(
                    image_set_id=row.get("image_set_id"), sha256=outcome.sha256
                ).first()
                self.progress.settle(duplicate(outcome, same.file_name if same else ""))
                continue
            self.progress.settle(added(outcome, image.pk))

    def abandon(self) -> None:
        """On failure: delete the files of rows that will never be written."""
        for outcomes in [*self.held.values(), self.recordings]:
            for outcome in outcomes:
                delete_stored(outcome.stored)
        self.held, self.recordings = {}, []


def as_refusal(name: str, error: IngestError | ValidationError) -> SidecarRefused:
    """A sidecar refused when applied (its annotations, its set header), as problem
    records: one per problem the refusal names."""
    if isinstance(error, SidecarRefused):
        return error
    problems = SidecarProblems(name)
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field_name, messages in error.message_dict.items():
            for message in messages:
                problems.add(message, column=field_name)
    elif isinstance(error, ValidationError):
        for message in error.messages:
            problems.add(message)
    else:  # the curation import names its problems in one text, "; " between them
        for reason in error.reason.split("; "):
            problems.add(reason)
    return problems.refused()


def not_imported(outcome: Outcome, refusal: IngestError) -> Outcome:
    reason = f"not imported: its sidecar {refusal.name} was refused (see its problems)"
    return Outcome(outcome.name, "rejected", reason, sha256=outcome.sha256)


def duplicate(outcome: Outcome, same_as: str) -> Outcome:
    return Outcome(outcome.name, "duplicate", sha256=outcome.sha256, same_as=same_as)


def added(outcome: Outcome, image_id: int) -> Outcome:
    return Outcome(outcome.name, "added", sha256=outcome.sha256, image_id=image_id)
