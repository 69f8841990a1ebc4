"""iFDO (v2, v1 keys accepted) read into a Sidecar: set header and image items.

Header `image-*` values are defaults for every item; header set fields map to
AquaCat set fields. A licence given by name rather than SPDX id ("CC-BY", "CC BY
4.0", a Creative Commons uri) is read as its SPDX id (catalogue/vocabularies),
with a warning. Every problem of the file is reported at once (the first of
each item and of the header, and every annotation's), each with its path
("image-set-items['a.jpg'].image-latitude").
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars.ifdo_annotations import read_annotations
from catalogue.ingest.sidecars.ifdo_loading import load_ifdo_document
from catalogue.ingest.sidecars.records import (
    IFDO,
    ImageMetadata,
    SetMetadata,
    Sidecar,
    SidecarProblems,
)
from catalogue.ingest.sidecars.values import check_position, nfc, short
from catalogue.vocabularies import licences, nvs

#: Header keys that describe the set, with their AquaCat set field. They are
#: not copied into each image's fields unless the item itself sets them.
_IFDO_SET_FIELDS = {
    "image-set-name": "title",
    "image-set-uuid": "uuid",
    "image-set-handle": "handle",
    "image-abstract": "description",
    "image-license": "licence",
    "image-copyright": "copyright",
    "image-creators": "creators",
    "image-pi": "pi",
    "image-project": "project",
    "image-event": "event",
    "image-platform": "platform",
    "image-sensor": "instrument",
    "image-context": "context",
}
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
#: Keys turned into ImageMetadata attributes rather than kept in `fields`.
#: Altitude stays in `fields`: a positive altitude is information, not a depth.
_IFDO_IMAGE_CONSUMED = frozenset(
    {
        "image-datetime",
        "image-latitude",
        "image-longitude",
        "image-depth",
        "image-annotations",
        # Lookups of the annotations' label and annotator ids, not image metadata.
        "image-annotation-labels",
        "image-annotation-creators",
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
_ORCID = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]")
# "<where>, field <key>: <reason>", as this module and ifdo_annotations word a problem.
_SPOT = re.compile(r"(?P<where>.*?)(?:, field (?P<field>[^:]+))?: (?P<reason>.*)", re.S)
_ITEM = re.compile(r"^item ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")
_CC_URI = re.compile(
    r"creativecommons\.org/(?:licenses/(?P<kind>[a-z-]+)/(?P<version>\d\.\d)"
    r"|publicdomain/(?P<zero>zero)/1\.0)",
    re.I,
)
_CC_NAME = re.compile(r"CC[- ]?(?P<kind>0|BY(?:[- ](?:NC|SA|ND))*)(?:[- ]?(?P<version>\d\.\d))?")
#: The version a Creative Commons name without one is taken to mean: the current one.
_CC_CURRENT = "4.0"


def parse_ifdo(data: bytes | str, *, name: str) -> Sidecar:
    """Read an iFDO (v2, v1 keys accepted) from YAML or JSON.

    Header `image-*` values are defaults for every item (iFDO semantics), so
    position and time come from the item when it sets them and from the header
    otherwise. A list-valued item (video, time series) takes position and time
    from its first entry; the other entries are kept in `fields["timepoints"]`.
    """
    problems = SidecarProblems(name)
    try:
        doc = load_ifdo_document(data, name)
    except IngestError as error:
        at = re.match(r"line (\d+): ", error.reason)
        line = int(at.group(1)) if at else None
        raise problems.fatal(error.reason[at.end() :] if at else error.reason, line=line) from None
    if not isinstance(doc, dict):
        raise problems.fatal("not an iFDO: expected a mapping with image-set-header")
    header = doc.get("image-set-header")
    if header is None:
        raise problems.fatal("not an iFDO: image-set-header is missing")
    if not isinstance(header, dict):
        raise problems.fatal("expected a mapping of image-set-* fields", column="image-set-header")
    items = doc.get("image-set-items")
    if isinstance(items, dict):
        problems.names.update(nfc(k.strip()) for k in items if isinstance(k, str) and k.strip())
    warnings: list[str] = [
        f"top-level key {short(k)} is not part of iFDO and was ignored"
        for k in doc
        if k not in ("image-set-header", "image-set-items")
    ]
    try:
        set_fields = _ifdo_set_fields(header, name, warnings)
    except IngestError as error:
        _add(problems, error.reason)
        set_fields = {}
    defaults = {
        k: v
        for k, v in header.items()
        if k not in _IFDO_SET_FIELDS and not str(k).startswith("image-set-")
    }

    if items is None:
        warnings.append("image-set-items is missing: the sidecar describes no images")
        items = {}
    if not isinstance(items, dict):
        raise problems.fatal("expected a mapping of file name to fields", column="image-set-items")

    images: dict[str, ImageMetadata] = {}
    times: list[datetime] = []
    annotation_problems: list[str] = []
    for key, value in items.items():
        try:
            image = _ifdo_item(key, value, defaults, name, warnings, times, annotation_problems)
        except IngestError as error:
            _add(problems, error.reason)
            continue
        if image.file_name in images:
            warnings.append(
                f"item {short(key)}: same file name as another item after Unicode "
                "normalisation; the first was kept"
            )
            continue
        images[image.file_name] = image
    for text in annotation_problems:
        _add(problems, text)
    problems.raise_if_any()
    if times:
        set_fields["time_start"], set_fields["time_end"] = min(times), max(times)
    return Sidecar(IFDO, SetMetadata(set_fields), images, warnings, name=name)


def _add(problems: SidecarProblems, text: str) -> None:
    """A problem worded "<where>, field <key>: <reason>" added with its path as column."""
    match = _SPOT.fullmatch(text)
    if match is None:
        problems.add(text)
        return
    where, field, reason = match.group("where"), match.group("field"), match.group("reason")
    item = _ITEM.match(where)
    if item:
        where = f"image-set-items[{item.group(1)}]" + where[item.end() :]
    path = where.replace(", entry ", "[entry ").replace(", ", ".")
    path = re.sub(r"\[entry (\d+)", r"[\1]", path)
    problems.add(reason, column=f"{path}.{field}" if field else path)


def spdx_licence(value: str, uri: str | None) -> tuple[str, str]:
    """The SPDX id a licence name (or its Creative Commons uri) stands for, and a
    warning when it had to be read (\"\" when the name was the id); ("", "") when unknown."""
    known = {spdx.upper(): spdx for spdx in licences()}
    text = value.strip()
    if text.upper() in known:
        return known[text.upper()], ""
    found = _CC_URI.search(uri or "")
    if found:
        spdx = "CC0-1.0" if found["zero"] else f"CC-{found['kind'].upper()}-{found['version']}"
        how = f"from its uri {uri!r}"
    else:
        named = _CC_NAME.fullmatch(text.upper().replace("_", "-"))
        if named is None:
            return "", ""
        kind = named["kind"].replace(" ", "-")
        if kind == "0":
            spdx, how = "CC0-1.0", "Creative Commons Zero"
        else:
            version = named["version"] or _CC_CURRENT
            spdx = f"CC-{kind}-{version}"
            how = "its current version" if not named["version"] else "its SPDX id"
    if spdx.upper() not in known:
        return "", ""
    return known[spdx.upper()], f"{text!r} is not an SPDX id; read as {spdx} ({how})"


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


def _ifdo_item(
    key: Any,
    value: Any,
    defaults: dict[str, Any],
    name: str,
    warnings: list[str],
    times: list[datetime],
    problems: list[str],
) -> ImageMetadata:
    """One image-set-items entry, header defaults applied."""
    if not isinstance(key, str) or not key.strip():
        raise IngestError(
            name, f"image-set-items: key {short(key)} is not a file name (quote it in YAML)"
        )
    file_name = nfc(key.strip())
    where = f"item {file_name!r}"
    if value is None:
        entries: list[dict[str, Any]] = [{}]
    elif isinstance(value, dict):
        entries = [value]
    elif isinstance(value, list):
        if not value:
            raise IngestError(name, f"{where}: an empty list describes no image")
        for index, entry in enumerate(value, 1):
            if not isinstance(entry, dict):
                raise IngestError(
                    name, f"{where}, entry {index}: expected a mapping of image-* fields"
                )
        entries = value
    else:
        raise IngestError(name, f"{where}: expected a mapping of image-* fields or a list of them")

    own = entries[0]
    merged = {**defaults, **own}
    captured_at, lat, lon = _ifdo_position(merged, where, name)
    # Depth from whichever layer speaks about it: an item's altitude must not
    # lose to a header's default depth.
    depth = _ifdo_depth(own if _ifdo_has_depth(own) else defaults, where, name)
    _check_crs(own, where, name, warnings)

    annotations = merged.get("image-annotations")
    if annotations is not None and not isinstance(annotations, list | dict):
        raise IngestError(
            name,
            f"{where}, field image-annotations: expected a list of annotations, got "
            f"{type(annotations).__name__}",
        )
    fields = {k: v for k, v in merged.items() if k not in _IFDO_IMAGE_CONSUMED}
    if captured_at is not None:
        times.append(captured_at)
    if len(entries) > 1:
        for index, entry in enumerate(entries[1:], 2):
            entry_where = f"{where}, entry {index}"
            entry_time, _, _ = _ifdo_position(entry, entry_where, name)
            _ifdo_depth(entry, entry_where, name)
            _check_crs(entry, entry_where, name, warnings)
            if entry_time is not None:
                times.append(entry_time)
        fields["timepoints"] = entries[1:]
    return ImageMetadata(
        file_name=file_name,
        captured_at=captured_at,
        latitude=lat,
        longitude=lon,
        depth_min=depth,
        depth_max=depth,
        fields=fields,
        annotation=annotations,
        annotations=read_annotations(annotations, merged, where, problems),
    )


def _text(header: dict[str, Any], key: str, where: str, name: str) -> str | None:
    value = header.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise IngestError(name, f"{where}, field {key}: expected text, got {type(value).__name__}")
    return value.strip() or None


def _named(header: dict[str, Any], key: str, where: str, name: str) -> dict[str, Any] | None:
    """v1 gives a bare name, v2 a {name, uri}; both become {"name", "uri"}."""
    value = header.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return {"name": value.strip(), "uri": None}
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        uri = value.get("uri")
        return {"name": value["name"].strip(), "uri": uri if isinstance(uri, str) else None}
    raise IngestError(name, f"{where}, field {key}: expected a name or {{name, uri}}")


def _person(value: Any, where: str, key: str, name: str) -> dict[str, Any]:
    """v1 {name, orcid} and v2 {name, uri} (an ORCID URL) both become {"name", "orcid", "uri"}."""
    if isinstance(value, str):
        return {"name": value.strip(), "orcid": None, "uri": None}
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        uri = value.get("uri") if isinstance(value.get("uri"), str) else None
        found = _ORCID.search(str(value.get("orcid") or uri or ""))
        return {
            "name": value["name"].strip(),
            "orcid": found.group(0) if found else None,
            "uri": uri,
        }
    raise IngestError(name, f"{where}, field {key}: expected a person as {{name, orcid or uri}}")


def _term_uri(kind: nvs.Kind, named: dict[str, Any], where: str, warnings: list[str]) -> str | None:
    """The NVS term a platform's or sensor's uri names, canonical; None, with a
    warning, for a uri the set's field cannot take (another vocabulary, a handle of
    the institute's own equipment list): the set keeps the name alone."""
    try:
        return nvs.check_uri(kind, named["uri"])
    except nvs.TermError as error:
        warnings.append(
            f"{where}: {error} The set's {kind.label_field} keeps the name "
            f"{named['name']!r} without this uri."
        )
        return None


def _ifdo_set_fields(header: dict[str, Any], name: str, warnings: list[str]) -> dict[str, Any]:
    """The header mapped to AquaCat set fields; the rest kept under "extra"."""
    where = "image-set-header"
    for required in ("image-set-name", "image-set-uuid"):
        if header.get(required) in (None, ""):
            raise IngestError(name, f"{where}: {required} is missing (iFDO requires it)")
    out: dict[str, Any] = {"title": _text(header, "image-set-name", where, name)}
    raw_uuid = header["image-set-uuid"]
    try:
        out["uuid"] = str(uuid.UUID(str(raw_uuid).strip()))
    except ValueError:
        raise IngestError(
            name, f"{where}, field image-set-uuid: {short(raw_uuid)} is not a UUID"
        ) from None
    for key in ("image-set-handle", "image-abstract", "image-copyright"):
        value = _text(header, key, where, name)
        if value is not None:
            out[_IFDO_SET_FIELDS[key]] = value
    licence = _named(header, "image-license", where, name)
    if licence is not None:
        spdx, warning = spdx_licence(licence["name"], licence["uri"])
        if warning:
            warnings.append(f"{where}, field image-license: {warning}")
        elif not spdx:
            warnings.append(
                f"{where}, field image-license: {licence['name']!r} is no SPDX licence id "
                "AquaCat knows; the set's licence is left to be chosen"
            )
        out["licence"] = {**licence, "name": spdx or licence["name"]}
    for key in (
        "image-project",
        "image-event",
        "image-platform",
        "image-sensor",
        "image-context",
    ):
        named = _named(header, key, where, name)
        if named is not None:
            out[_IFDO_SET_FIELDS[key]] = named
            kind = nvs.KINDS.get(_IFDO_SET_FIELDS[key])
            if kind is not None and named["uri"]:
                named["uri"] = _term_uri(kind, named, f"{where}, field {key}", warnings)
    creators = header.get("image-creators")
    if creators is not None:
        if isinstance(creators, dict | str):
            creators = [creators]
        if not isinstance(creators, list):
            raise IngestError(name, f"{where}, field image-creators: expected a list of persons")
        out["creators"] = [_person(c, where, "image-creators", name) for c in creators]
    if header.get("image-pi") is not None:
        out["pi"] = _person(header["image-pi"], where, "image-pi", name)

    captured_at, lat, lon = _ifdo_position(header, where, name)
    depth = _ifdo_depth(header, where, name)
    defaults = {"latitude": lat, "longitude": lon, "depth_min": depth, "depth_max": depth}
    out.update({k: v for k, v in defaults.items() if v is not None})
    if captured_at is not None:
        out["captured_at"] = captured_at
    _check_crs(header, where, name, warnings)
    out["extra"] = {
        k: v for k, v in header.items() if k not in _IFDO_SET_FIELDS and k not in _IFDO_POSITION
    }
    return out
