"""Another AquaCat's set (its API detail) as ImageSet fields, and its image rows as
Image fields of an external image: the file, thumbnails and landing page by link."""

from __future__ import annotations

import re
from uuid import UUID

from catalogue.harvest import aquacat
from catalogue.harvest.mapping import (
    Invalid,
    Mapped,
    check,
    licence_of,
    normalise_doi,
    parse_date,
    web_url,
)
from catalogue.models import STATION_CODE

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# Taken as they are: our own schema's fields of the same names.
SET_TEXT = (
    "description",
    "platform",
    "platform_uri",
    "instrument",
    "instrument_uri",
    "modality",
    "research_infrastructure",
    "version",
)
SET_NUMBERS = ("west", "south", "east", "north", "depth_min", "depth_max")
SET_LISTS = ("creators", "keywords", "related_identifiers", "funding", "taxa")
IMAGE_NUMBERS = ("latitude", "longitude", "depth")


def number(value, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{name} is not a number: {value!r}")
    return float(value)


def mapped_set(detail: dict, base_url: str) -> Mapped:
    """A set's API detail as fields; closed unless it is open there (embargoed or
    restricted sets list no images to a visitor); Invalid when it cannot be a set."""
    try:
        uuid = str(UUID(str(detail.get("uuid"))))
    except ValueError as error:
        raise Invalid(f"uuid {detail.get('uuid')!r} is not a UUID") from error
    out = Mapped(
        doi=normalise_doi(str(detail.get("doi") or "")),
        landing_page=aquacat.landing_page(base_url, uuid),
        closed=detail.get("access") != "open",
    )
    f = out.fields
    f["title"] = str(detail.get("title") or "")[:500]
    if not f["title"]:
        raise Invalid("the set has no title")
    for name in SET_TEXT:
        f[name] = str(detail.get(name) or "")
    # The peer's station code, so its sets join a station's series here; one that is
    # not a code (a peer of another version) is left out rather than the set.
    station = str(detail.get("station") or "")
    f["station"] = station if re.fullmatch(STATION_CODE, station) else ""
    for name in SET_NUMBERS:
        f[name] = number(detail.get(name), name)
    for name in SET_LISTS:
        value = detail.get(name) or []
        if not isinstance(value, list):
            raise Invalid(f"{name} is not a list")
        f[name] = value
    f["polygon"] = detail.get("polygon")
    for name in ("time_start", "time_end"):
        stated = detail.get(name)
        f[name] = parse_date(str(stated)) if stated else None
        if stated and f[name] is None:
            raise Invalid(f"{name} is not a date: {stated!r}")
    f["published"] = parse_date(str(detail.get("created") or ""))
    f["licence"] = licence_of("", str(detail.get("licence") or ""))
    check(f)
    return out


# The links of an image row kept as they are: each must be an http(s) URL.
REMOTE_LINKS = ("url", "file_url", "thumbnail_small_url", "thumbnail_medium_url")


def image_fields(row: dict, labels: list[dict], landing_page: str) -> dict:
    """An image row of the remote's list as Image fields (no stored file);
    Invalid naming every problem."""
    problems = []
    if not isinstance(row.get("id"), int):
        problems.append("no id")
    sha256 = str(row.get("sha256") or "")
    if not SHA256_RE.match(sha256):
        problems.append(f"sha256 {sha256!r} is not 64 hex digits")
    whole = {}
    for name in ("size", "width", "height", "frames"):
        value = row.get(name, 1 if name == "frames" else None)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(f"{name} {value!r} is not a whole number")
        whole[name] = value
    place = {}
    for name in IMAGE_NUMBERS:
        try:
            place[name] = number(row.get(name), name)
        except Invalid as invalid:
            problems.append(str(invalid))
    for name, limit in (("latitude", 90), ("longitude", 180)):
        value = place.get(name)
        if value is not None and abs(value) > limit:
            problems.append(f"{name} {value:g} is outside -{limit}..{limit}")
    captured = row.get("captured_at")
    captured_at = parse_date(str(captured)) if captured else None
    if captured and captured_at is None:
        problems.append(f"captured_at is not a date: {captured!r}")
    links = {name: row.get(name) or "" for name in REMOTE_LINKS}
    problems += [
        f"{name} {value!r} is not an http(s) URL"
        for name, value in links.items()
        if value and not (isinstance(value, str) and web_url(value))
    ]
    if problems:
        raise Invalid("; ".join(problems))
    return {
        "file_name": str(row.get("file_name") or row["id"])[:1000],
        "storage_key": "",
        "sha256": sha256,
        "media_type": str(row.get("media_type") or "")[:64],
        "mode": str(row.get("mode") or "")[:16],
        "captured_at": captured_at,
        **whole,
        **place,
        "remote": {
            "id": row["id"],
            "url": links["url"],
            "landing_page": f"{landing_page}#image-{row['id']}",
            "file": links["file_url"],
            "thumbnail_small": links["thumbnail_small_url"],
            "thumbnail_medium": links["thumbnail_medium_url"],
            "labels": labels,
        },
    }
