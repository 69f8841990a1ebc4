"""Stage 2 of an ingest: one candidate file into storage, run in worker processes.

Sniff, hash (sha256, and the CRC-32 that zip packages need, in the same read), skip
a duplicate of an image the set holds, decode (EXIF, GPS, thumbnails), store the
original and thumbnails under the set's prefix, and describe the Image row for the
pipeline's writer. Nothing here touches the
database: rows are written by one writer, through catalogue.services.images.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from catalogue.ingest import georaster, imaging
from catalogue.ingest.errors import IngestError
from catalogue.ingest.outcomes import CHUNK, Candidate, Outcome, discard, rejected
from catalogue.models import ImageSet
from catalogue.recordings.sniffing import sniff as recording_type
from catalogue.recordings.storing import store_recording

logger = logging.getLogger(__name__)


def storage_prefix(image_set: ImageSet) -> str:
    """Everything stored for a set lives under this prefix, and nothing else."""
    return f"sets/{image_set.uuid}/"


@dataclass(frozen=True)
class SetContext:
    """What a worker needs to know of the target set; inherited once per process."""

    set_id: int
    prefix: str
    known: dict[str, str]  # sha256 -> file name, of the images and recordings it holds
    # Recordings (catalogue/recordings/storing.py): the upload's frame sampling, if
    # chosen, and the batch's folder where each recording's content is claimed once.
    frames_chosen: dict | None = None
    recording_claims: str = ""


_context: SetContext | None = None


def use_context(context: SetContext) -> None:
    """Pool initializer (and the inline path): set the target of `ingest_one`."""
    global _context
    _context = context


def ingest_one(item: Candidate | Outcome) -> Outcome:
    """Store one candidate's files and describe its row; pass ready outcomes through."""
    if isinstance(item, Outcome):
        return item
    try:
        if _context is None:  # a caller's bug: use_context sets it before any candidate
            raise RuntimeError("use_context() was not called in this process")
        return store_candidate(_context, item)
    except IngestError as error:
        return rejected(error)
    except Exception as error:  # a bug must not stop the batch; it is logged and reported
        logger.exception("ingest of %s failed", item.name)
        return Outcome(item.name, "rejected", f"internal error: {type(error).__name__}: {error}")
    finally:
        discard(item)


def store_candidate(context: SetContext, candidate: Candidate) -> Outcome:
    """Sniff, hash, decode, store original and thumbnails; the row is left to the writer."""
    name, path = candidate.name, candidate.path
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        head = stream.read(CHUNK)
        media_type = imaging.sniff(head)
        if media_type is None and (recorded := recording_type(head)) is not None:
            return store_recording(
                context.set_id,
                context.prefix,
                context.known,
                name,
                path,
                recorded,
                frames_chosen=context.frames_chosen,
                claims=Path(context.recording_claims) if context.recording_claims else None,
            )
        if media_type is None:
            raise IngestError(name, f"refused: the content is {imaging.describe(head)}")
        imaging.check_name(name, media_type)
        digest.update(head)
        # The CRC-32 that zip packages need (curation.packaging), taken in the same read.
        crc32 = zlib.crc32(head)
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            crc32 = zlib.crc32(chunk, crc32)
    sha256 = digest.hexdigest()
    if sha256 in context.known:
        return Outcome(name, "duplicate", sha256=sha256, same_as=context.known[sha256])

    processed = georaster.process_raster(str(path), name, media_type) or imaging.process_image(
        str(path), name, media_type
    )
    suffix = imaging.IMAGE_TYPES[media_type][1]
    stored: list[str] = []
    try:
        with open(path, "rb") as stream:
            original = default_storage.save(
                f"{context.prefix}originals/{sha256[:2]}/{sha256}.{suffix}", File(stream)
            )
        stored.append(original)
        thumbnails = {}
        for size_name, data in processed.thumbnails.items():
            key = f"{context.prefix}thumbnails/{size_name}/{sha256[:2]}/{sha256}.jpg"
            thumbnails[size_name] = default_storage.save(key, ContentFile(data))
            stored.append(thumbnails[size_name])
    except BaseException:
        delete_stored(stored)
        raise
    row = {
        "image_set_id": context.set_id,
        "file_name": name,
        "storage_key": original,
        "sha256": sha256,
        "crc32": crc32,
        "size": path.stat().st_size,
        "media_type": media_type,
        "width": processed.width,
        "height": processed.height,
        "frames": processed.frames,
        "mode": processed.mode,
        "captured_at": processed.captured_at,
        "latitude": processed.latitude,
        "longitude": processed.longitude,
        "depth": processed.depth,
        "exif": processed.exif,
        "thumbnail_small": thumbnails.get("small", ""),
        "thumbnail_medium": thumbnails.get("medium", ""),
        "footprint": processed.footprint,
        "raster": processed.raster,
    }
    return Outcome(name, "stored", sha256=sha256, row=row, stored=stored)


def delete_stored(keys: list[str]) -> None:
    """Delete stored files of a file that will have no row; failures are only logged."""
    for key in keys:
        try:
            default_storage.delete(key)
        except Exception:  # cleanup must not hide the original error
            logger.exception("could not delete %s after a failed ingest", key)
