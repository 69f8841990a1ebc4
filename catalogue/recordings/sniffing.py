"""What a recording file is, from its first bytes; the name must then agree.

Audio: WAV (RIFF/WAVE, and RF64 for files past 4 GiB) and FLAC. Video: the ISO
base media file format (MP4, MOV) with a video brand, Matroska/WebM and AVI.
ISO files of image brands (HEIC, AVIF) are not video and are left to the images.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from catalogue.ingest.errors import IngestError

# media type -> (kind, canonical suffix, accepted suffixes)
RECORDING_TYPES: dict[str, tuple[str, str, frozenset[str]]] = {
    "audio/wav": ("audio", "wav", frozenset({".wav", ".wave"})),
    "audio/flac": ("audio", "flac", frozenset({".flac"})),
    "video/mp4": ("video", "mp4", frozenset({".mp4", ".m4v"})),
    "video/quicktime": ("video", "mov", frozenset({".mov", ".qt"})),
    "video/x-matroska": ("video", "mkv", frozenset({".mkv", ".webm"})),
    "video/x-msvideo": ("video", "avi", frozenset({".avi"})),
}

# Brands of ISO files that are still images, not video (HEIF, AVIF).
IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}


def sniff(head: bytes) -> str | None:
    """The media type of a recording from its first bytes (16 or more), else None."""
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/x-matroska"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in IMAGE_BRANDS:
            return None
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    return None


def kind_of(media_type: str) -> str:
    return RECORDING_TYPES[media_type][0]


def suffix_of(media_type: str) -> str:
    return RECORDING_TYPES[media_type][1]


def check_name(name: str, media_type: str) -> None:
    """Refuse a file whose name claims another type than its content."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix and suffix not in RECORDING_TYPES[media_type][2]:
        label = RECORDING_TYPES[media_type][1].upper()
        raise IngestError(name, f"the name says {suffix!r} but the content is {label}")
