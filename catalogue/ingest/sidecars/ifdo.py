"""iFDO (v2, v1 keys accepted) read into a Sidecar: set header and image items.

Header `image-*` values are defaults for every item; header set fields map to
AquaCat set fields (`ifdo_header`, which also reads a licence given by name as its
SPDX id). Position, time, depth and CRS of each layer are read by `ifdo_position`,
annotations by `ifdo_annotations`; this module reads the document and its items.
Every problem of the file is reported at once (the first of
each item and of the header, and every annotation's), each with its path
("image-set-items['a.jpg'].image-latitude").
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars.ifdo_annotations import read_annotations

# The header and position readers' names, importable from here as before the split.
from catalogue.ingest.sidecars.ifdo_header import _CC_CURRENT as _CC_CURRENT
from catalogue.ingest.sidecars.ifdo_header import _CC_NAME as _CC_NAME
from catalogue.ingest.sidecars.ifdo_header import _CC_URI as _CC_URI
from catalogue.ingest.sidecars.ifdo_header import _IFDO_SET_FIELDS as _IFDO_SET_FIELDS
from catalogue.ingest.sidecars.ifdo_header import _ORCID as _ORCID
from catalogue.ingest.sidecars.ifdo_header import _ifdo_set_fields as _ifdo_set_fields
from catalogue.ingest.sidecars.ifdo_header import _named as _named
from catalogue.ingest.sidecars.ifdo_header import _person as _person
from catalogue.ingest.sidecars.ifdo_header import _term_uri as _term_uri
from catalogue.ingest.sidecars.ifdo_header import _text as _text
from catalogue.ingest.sidecars.ifdo_header import spdx_licence as spdx_licence
from catalogue.ingest.sidecars.ifdo_loading import load_ifdo_document
from catalogue.ingest.sidecars.ifdo_position import _CRS_KEY as _CRS_KEY
from catalogue.ingest.sidecars.ifdo_position import _IFDO_POSITION as _IFDO_POSITION
from catalogue.ingest.sidecars.ifdo_position import _ISO_DATETIME as _ISO_DATETIME
from catalogue.ingest.sidecars.ifdo_position import _WGS84 as _WGS84
from catalogue.ingest.sidecars.ifdo_position import _check_crs as _check_crs
from catalogue.ingest.sidecars.ifdo_position import _ifdo_datetime as _ifdo_datetime
from catalogue.ingest.sidecars.ifdo_position import _ifdo_depth as _ifdo_depth
from catalogue.ingest.sidecars.ifdo_position import _ifdo_has_depth as _ifdo_has_depth
from catalogue.ingest.sidecars.ifdo_position import _ifdo_number as _ifdo_number
from catalogue.ingest.sidecars.ifdo_position import _ifdo_position as _ifdo_position
from catalogue.ingest.sidecars.records import (
    IFDO,
    ImageMetadata,
    SetMetadata,
    Sidecar,
    SidecarProblems,
)
from catalogue.ingest.sidecars.values import nfc, short

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
# "<where>, field <key>: <reason>", as the iFDO modules and ifdo_annotations word a problem.
_SPOT = re.compile(r"(?P<where>.*?)(?:, field (?P<field>[^:]+))?: (?P<reason>.*)", re.S)
_ITEM = re.compile(r"^item ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


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
