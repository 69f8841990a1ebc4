"""Text and value checks both sidecar formats share: decoding, names, positions.

Every rejection is an `IngestError` naming the file; the reason says where in
it (row and column, item and field) so the person fixing the file finds the spot.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, time
from typing import Any

from catalogue.geometry import valid_latitude, valid_longitude
from catalogue.ingest.errors import IngestError


def decode_text(data: bytes | str, name: str) -> str:
    """UTF-8 text from the upload, BOM dropped; other encodings refused with a hint.

    Guessing an encoding silently corrupts species and place names, so the
    uploader is told which byte on which line is wrong instead.
    """
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    data = bytes(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(
            name, "is UTF-16 text; sidecars must be UTF-8 (re-save the file as UTF-8)"
        )
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise IngestError(
            name,
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} is invalid "
            "(re-save the file as UTF-8)",
        ) from None


def nfc(text: str) -> str:
    """NFC so that names typed on macOS (NFD) match names stored elsewhere."""
    return unicodedata.normalize("NFC", text)


def short(value: Any) -> str:
    """A value for an error message, cut so a hostile file cannot flood the log."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_position(
    name: str, where: str, lat_field: str, lat: float | None, lon_field: str, lon: float | None
) -> None:
    """Latitude/longitude in WGS 84 degrees; anything else is a unit or column mix-up."""
    if lat is not None and not valid_latitude(lat):
        raise IngestError(name, f"{where}, {lat_field}: latitude {lat!r} is out of range [-90, 90]")
    if lon is not None and not valid_longitude(lon):
        raise IngestError(
            name, f"{where}, {lon_field}: longitude {lon!r} is out of range [-180, 180]"
        )


#: Problems named in one refusal; the rest are counted.
MAX_PROBLEMS = 50


def problems_text(problems: list[str]) -> str:
    """Every problem of a file in one reason, so it is fixed in one go."""
    shown = "; ".join(problems[:MAX_PROBLEMS])
    more = len(problems) - MAX_PROBLEMS
    return f"{shown}; and {more} more problem(s)" if more > 0 else shown


# --- cell readers: a value as written, or BadValue with the reason ----------------------


class BadValue(ValueError):
    """A cell that cannot be read; the message is the reason, for a `SidecarProblem`."""


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
#: "43°41 30" (degrees, minutes, seconds: EcoTaxa's own reading) or "43°41.5".
_DEGREES = re.compile(r"([+-]?\d+)\s*°\s*(\d+(?:\.\d+)?)(?:\s+(\d+(?:\.\d+)?))?")
_CLOCK = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?")
_DIGITS_TIME = re.compile(r"(\d{1,6})(\.\d+)?")


def read_number(text: str) -> float | None:
    """A number; empty, "nan" and "na" mean no value (as EcoTaxa reads them)."""
    value = text.strip()
    if not value or value.lower() in ("nan", "na"):
        return None
    if not _NUMBER.fullmatch(value):
        raise BadValue("is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise BadValue("is not a finite number")
    return number


def read_degrees(text: str, limit: float) -> float | None:
    """Decimal degrees, or degrees and minutes as UVP instruments write them
    ("43°41 30" with seconds, "43°41.5" with decimal minutes); within ±`limit`."""
    value = text.strip()
    match = _DEGREES.fullmatch(value)
    if match:
        degrees, minutes, seconds = match.groups()
        whole = float(minutes) + float(seconds or 0) / 60
        if whole >= 60:
            raise BadValue("has 60 or more minutes")
        number = float(degrees) + math.copysign(whole / 60, float(degrees + "1"))
    else:
        number = read_number(value)  # type: ignore[assignment]
        if number is None:
            return None
    if not -limit <= number <= limit:
        raise BadValue(f"is out of range [-{limit:g}, {limit:g}]")
    return number


def read_date(text: str) -> date | None:
    """YYYYMMDD, or YYYY-MM-DD (both as EcoTaxa reads them)."""
    value = text.strip()
    if not value:
        return None
    try:
        if re.fullmatch(r"\d{8}", value):
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
    except ValueError:
        raise BadValue("is not a valid date (expected YYYYMMDD)") from None
    raise BadValue("is not a valid date (expected YYYYMMDD)")


def read_time(text: str) -> time | None:
    """A time of day as EcoTaxa writes it: HHMMSS, or HH:MM:SS (or HH:MM).

    Digits are HHMMSS whose leading zeros were lost (spreadsheets and numeric
    columns drop them): `420` is 00:04:20, `93000` is 09:30:00. EcoTaxa's own
    importer pads three or four digits as HHMM instead (`420` as 04:20:00); its
    documented format is HHMMSS, and that is what an unpadded export means, so we
    read every length as HHMMSS. A fraction of a second may follow the seconds
    (`020139.315`, as UVP instruments write them).
    """
    value = text.strip()
    if not value:
        return None
    reason = "is not a valid time (expected HHMMSS)"
    clock = _CLOCK.fullmatch(value)
    digits = _DIGITS_TIME.fullmatch(value)
    if clock:
        hours, minutes, seconds, fraction = clock.groups()
    elif digits:
        number, fraction = digits.groups()
        number = number.zfill(6)
        hours, minutes, seconds = number[:2], number[2:4], number[4:]
    else:
        raise BadValue(reason)
    micro = round(float(fraction) * 1_000_000) if fraction else 0
    try:
        return time(int(hours), int(minutes), int(seconds or 0), min(micro, 999_999))
    except ValueError:
        raise BadValue(reason) from None


def decode_legacy_text(data: bytes | str, name: str) -> tuple[str, str]:
    """UTF-8 text (BOM dropped), else Windows-1252 as older instrument software writes
    it (UVP6's `43°0 0` latitudes): EcoTaxa reads such files as Latin-1. Returns the
    text and a warning naming the first byte that was not UTF-8 ("" when none)."""
    if isinstance(data, str) or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return decode_text(data, name), ""
    raw = bytes(data).removeprefix(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8"), ""
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        try:
            text, encoding = raw.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:
            text, encoding = raw.decode("latin-1"), "Latin-1"
        return text, (
            f"not UTF-8 (byte 0x{raw[exc.start]:02x} on line {line}); read as {encoding}, "
            "as EcoTaxa reads such files: check accented names"
        )
