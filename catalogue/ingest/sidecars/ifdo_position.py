"""Time, position, depth and coordinate reference system of one iFDO layer (header,
item or list entry), read and validated; v2 and v1 keys (altitude) accepted.

A problem is worded "<where>, field <key>: <reason>", as `ifdo._add` expects.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars.values import check_position, short

_IFDO_POSITION = frozenset(
    {
        "image-datetime",
        "image-latitude",
        "image-longitude",
        "image-depth",
        "image-altitude-meters",  # v2
        "image-altitude",  # v1
    }
)
_CRS_KEY = "image-coordinate-reference-system"
_WGS84 = frozenset(
    {
        "EPSG:4326",
        "EPSG4326",
        "4326",
        "WGS84",
        "URN:OGC:DEF:CRS:EPSG::4326",
        "HTTP://WWW.OPENGIS.NET/DEF/CRS/EPSG/0/4326",
    }
)
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)


def _ifdo_number(value: Any, where: str, key: str, name: str) -> float | None:
    """A JSON/YAML number as float; strings and booleans are type errors."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IngestError(
            name,
            f"{where}, field {key}: expected a number, got {type(value).__name__} {short(value)}",
        )
    number = float(value)
    if not math.isfinite(number):
        raise IngestError(name, f"{where}, field {key}: {short(value)} is not a finite number")
    return number


def _ifdo_datetime(value: Any, where: str, name: str) -> datetime | None:
    """iFDO time, "YYYY-MM-DD HH:MM:SS.ffffff" in UTC or ISO 8601, as an aware UTC datetime."""
    key = "image-datetime"
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATETIME.fullmatch(text):
            raise IngestError(
                name,
                f"{where}, field {key}: {short(value)} is not a date and time "
                "(expected YYYY-MM-DD HH:MM:SS.ffffff or ISO 8601)",
            )
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise IngestError(
                name, f"{where}, field {key}: {short(text)} is not a valid date and time"
            ) from None
    if not isinstance(value, datetime):  # YAML turns a bare date into `date`
        raise IngestError(
            name,
            f"{where}, field {key}: expected a date and time, got "
            f"{type(value).__name__} {short(value)}",
        )
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _ifdo_depth(layer: dict[str, Any], where: str, name: str) -> float | None:
    """Depth from image-depth, else from a negative (v2 or v1) altitude."""
    depth = _ifdo_number(layer.get("image-depth"), where, "image-depth", name)
    if depth is not None:
        return depth
    for key in ("image-altitude-meters", "image-altitude"):
        altitude = _ifdo_number(layer.get(key), where, key, name)
        if altitude is not None:
            return abs(altitude) if altitude <= 0 else None
    return None


def _ifdo_has_depth(layer: dict[str, Any]) -> bool:
    return any(
        layer.get(k) is not None for k in ("image-depth", "image-altitude-meters", "image-altitude")
    )


def _ifdo_position(
    layer: dict[str, Any], where: str, name: str
) -> tuple[datetime | None, float | None, float | None]:
    """Validated time, latitude and longitude of one layer (header, item or entry)."""
    captured_at = _ifdo_datetime(layer.get("image-datetime"), where, name)
    lat = _ifdo_number(layer.get("image-latitude"), where, "image-latitude", name)
    lon = _ifdo_number(layer.get("image-longitude"), where, "image-longitude", name)
    check_position(name, where, "field image-latitude", lat, "field image-longitude", lon)
    return captured_at, lat, lon


def _check_crs(layer: dict[str, Any], where: str, name: str, warnings: list[str]) -> None:
    """Only WGS 84 degrees are understood; other systems are flagged, not converted."""
    crs = layer.get(_CRS_KEY)
    if crs is None:
        return
    if not isinstance(crs, str | int):
        raise IngestError(
            name, f"{where}, field {_CRS_KEY}: expected text, got {type(crs).__name__}"
        )
    if str(crs).strip().upper().replace(" ", "") not in _WGS84:
        warnings.append(
            f"{where}, field {_CRS_KEY}: {short(crs)} is not EPSG:4326; latitude and "
            "longitude were read as WGS 84 degrees"
        )
