"""What an image file is, and what we make of it: type sniffing, pixel size,
EXIF time and GPS, thumbnails.

The type comes from the content, never the name; the name must then agree.
Pillow's decompression-bomb warning is an error here, and every decoding
failure becomes an `IngestError` that names the file.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, cast

from django.conf import settings
from PIL import ExifTags, Image, ImageOps, TiffImagePlugin, UnidentifiedImageError

from catalogue.geometry import valid_latitude, valid_longitude
from catalogue.ingest.errors import IngestError

# The image types we catalogue: media type -> (Pillow format, canonical suffix, accepted suffixes)
IMAGE_TYPES: dict[str, tuple[str, str, frozenset[str]]] = {
    "image/jpeg": ("JPEG", "jpg", frozenset({".jpg", ".jpeg", ".jpe", ".jfif"})),
    "image/png": ("PNG", "png", frozenset({".png"})),
    "image/tiff": ("TIFF", "tif", frozenset({".tif", ".tiff"})),
    "image/webp": ("WEBP", "webp", frozenset({".webp"})),
}
ALL_IMAGE_SUFFIXES = frozenset().union(*(suffixes for _, _, suffixes in IMAGE_TYPES.values()))

THUMBNAIL_SIZES = {"medium": 512, "small": 128}
THUMBNAIL_QUALITY = 85


def sniff(head: bytes) -> str | None:
    """The media type of an allowed image from its first bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "image/tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def describe(head: bytes) -> str:
    """A human name for content we refuse, for the rejection reason."""
    text = head[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    known = [
        (text.startswith((b"<!doctype html", b"<html")) or b"<script" in text, "an HTML document"),
        (b"<svg" in text, "an SVG image (scripts possible)"),
        (text.startswith(b"<?xml"), "an XML document"),
        (head.startswith(b"%PDF"), "a PDF document"),
        (head.startswith((b"GIF87a", b"GIF89a")), "a GIF image (not a catalogued image type)"),
        (head.startswith(b"BM"), "a BMP image (not a catalogued image type)"),
        (head.startswith(b"PK\x03\x04"), "a ZIP archive"),
        (head.startswith(b"\x1f\x8b"), "gzip-compressed data"),
        (head.startswith(b"\x7fELF") or head.startswith(b"MZ"), "an executable"),
        (not head, "an empty file"),
    ]
    for matches, what in known:
        if matches:
            return what
    return "not a JPEG, PNG, TIFF or WebP image"


def check_name(name: str, media_type: str) -> None:
    """Reject a file whose name claims another type than its content."""
    suffix = PurePosixPath(name).suffix.lower()
    accepted = IMAGE_TYPES[media_type][2]
    if suffix and suffix not in accepted:
        label = media_type.split("/")[1].upper()
        raise IngestError(name, f"the name says {suffix!r} but the content is {label}")


# EXIF Orientation (0x0112) values that turn the image by 90 degrees one way or the other.
ORIENTATION = 0x0112
TURNED = {5, 6, 7, 8}


@dataclass
class ProcessedImage:
    media_type: str
    width: int
    height: int
    frames: int
    mode: str
    exif: dict = field(default_factory=dict)
    captured_at: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    depth: float | None = None
    thumbnails: dict[str, bytes] = field(default_factory=dict)
    # Georeferenced and multiband rasters (catalogue.ingest.georaster) only.
    footprint: dict | None = None
    raster: dict = field(default_factory=dict)


def process_image(path: str, name: str, media_type: str) -> ProcessedImage:
    """Open, check and describe an image file; make its thumbnails."""
    pillow_format = IMAGE_TYPES[media_type][0]
    max_pixels = settings.INGEST_MAX_PIXELS
    # Pillow warns above this and refuses above twice it; the warning is an error here.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=[pillow_format]) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise IngestError(
                        name,
                        f"decompression bomb: {width}x{height} = {width * height:,} pixels, "
                        f"over the limit of {max_pixels:,}",
                    )
                frames = getattr(image, "n_frames", 1)
                exif = image.getexif()
                if image.format == "JPEG" and exif.get(ORIENTATION) in TURNED:
                    # Width and height as the image is seen (upright), as thumbnails,
                    # crops and annotation coordinates are (`displayable` turns JPEGs).
                    width, height = height, width
                result = ProcessedImage(
                    media_type=media_type,
                    width=width,
                    height=height,
                    frames=frames,
                    mode=image.mode,
                    exif=exif_to_json(exif),
                    captured_at=exif_time(exif),
                )
                result.latitude, result.longitude, result.depth = exif_position(exif)
                result.thumbnails = make_thumbnails(image)
                return result
    except IngestError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise IngestError(
            name, f"decompression bomb: over the limit of {max_pixels:,} pixels ({error})"
        ) from error
    except UnidentifiedImageError as error:
        raise IngestError(name, f"not a readable {pillow_format} image") from error
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        raise IngestError(name, f"corrupt or truncated image: {error}") from error


def make_thumbnails(image: Image.Image) -> dict[str, bytes]:
    """JPEG thumbnails, largest first, each made from the one before.

    For JPEG, `draft` decodes straight at a reduced scale (1/2 … 1/8), the
    expensive part of the whole ingest; decoding also proves the file is whole.
    """
    largest = max(THUMBNAIL_SIZES.values())
    if image.format == "JPEG":
        image.draft("RGB" if image.mode not in ("L", "CMYK") else image.mode, (largest, largest))
    image.load()
    working = displayable(image)
    thumbnails = {}
    for size_name, size in sorted(THUMBNAIL_SIZES.items(), key=lambda item: -item[1]):
        # Bilinear is a true area filter in Pillow: no aliasing, and cheaper than bicubic.
        working.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
        buffer = io.BytesIO()
        working.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY, optimize=False)
        thumbnails[size_name] = buffer.getvalue()
    return thumbnails


def displayable(image: Image.Image) -> Image.Image:
    """8-bit RGB or L, upright: 16-bit and float data stretched to their own range.

    The image may be changed in place: it is ours, opened for this ingest only.
    """
    if image.format == "JPEG":
        ImageOps.exif_transpose(image, in_place=True)
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = image.convert("F") if image.mode == "F" else image.convert("I")
        # One band after the convert, so the extrema are a single (min, max) pair.
        low, high = cast(tuple[float, float], image.getextrema())
        scale = 255.0 / (high - low) if high > low else 1.0
        return image.point(lambda value: (value - low) * scale).convert("L")
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("L", "RGB"):
        return image
    return image.convert("RGB")


# --- EXIF -----------------------------------------------------------------------

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
SKIPPED_TAGS = {"MakerNote", "UserComment", "PrintImageMatching", "ExifOffset", "GPSInfo"}


def json_value(value):
    if isinstance(value, TiffImagePlugin.IFDRational):
        return float(value) if value.denominator else None
    if isinstance(value, bytes):
        return value.decode("ascii", "replace").strip("\x00")[:200]
    if isinstance(value, tuple):
        return [json_value(item) for item in value]
    if isinstance(value, str):
        return value.strip("\x00")[:500]
    if isinstance(value, int | float) or value is None:
        return value
    return str(value)[:200]


def exif_to_json(exif: Image.Exif) -> dict:
    """Readable EXIF tags (base, Exif and GPS IFDs) as JSON-safe values."""
    out: dict = {}
    sources: list[tuple[Mapping[int, Any], dict[int, str]]] = [(exif, ExifTags.TAGS)]
    for ifd, names in ((EXIF_IFD, ExifTags.TAGS), (GPS_IFD, ExifTags.GPSTAGS)):
        try:
            sources.append((exif.get_ifd(ifd), names))
        except (KeyError, ValueError, TypeError):
            continue
    for tags, names in sources:
        for tag, value in tags.items():
            name = names.get(tag)
            if name and name not in SKIPPED_TAGS:
                out[name] = json_value(value)
    return out


def exif_time(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal (or DateTime), with OffsetTimeOriginal when given, else UTC."""
    try:
        exif_ifd = exif.get_ifd(EXIF_IFD)
    except (KeyError, ValueError, TypeError):
        exif_ifd = {}
    raw = exif_ifd.get(36867) or exif.get(306)
    if not raw:
        return None
    text = json_value(raw)
    try:
        moment = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = json_value(exif_ifd.get(36881) or "")
    if offset:
        try:
            return datetime.strptime(f"{text[:19]} {offset}", "%Y:%m:%d %H:%M:%S %z")
        except ValueError:
            pass
    return moment.replace(tzinfo=UTC)


def exif_position(exif: Image.Exif) -> tuple[float | None, float | None, float | None]:
    """Latitude, longitude and depth (GPS altitude below sea level) from the GPS IFD."""
    try:
        gps = exif.get_ifd(GPS_IFD)
    except (KeyError, ValueError, TypeError):
        return None, None, None

    def degrees(values, ref, positive: str) -> float | None:
        try:
            d, m, s = (float(v) for v in values)
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        value = d + m / 60 + s / 3600
        return value if (json_value(ref) or positive) == positive else -value

    latitude = degrees(gps.get(2), gps.get(1), "N") if 2 in gps else None
    longitude = degrees(gps.get(4), gps.get(3), "E") if 4 in gps else None
    if latitude is not None and not valid_latitude(latitude):
        latitude = None
    if longitude is not None and not valid_longitude(longitude):
        longitude = None
    depth = None
    if 6 in gps and gps.get(5) in (1, b"\x01"):
        try:
            depth = float(gps[6])
        except (TypeError, ValueError, ZeroDivisionError):
            depth = None
    return latitude, longitude, depth
