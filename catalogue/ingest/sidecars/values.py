"""Text and value checks both sidecar formats share: decoding, names, positions.

Every rejection is an `IngestError` naming the file; the reason says where in
it (row and column, item and field) so the person fixing the file finds the spot.
"""

from __future__ import annotations

import unicodedata
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
