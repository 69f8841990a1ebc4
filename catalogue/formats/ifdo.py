"""iFDO v2 (image FAIR Digital Object) of a set: header and one item per image.

Written as YAML (the iFDO norm) or JSON, and read back by
`catalogue.ingest.sidecars.parse_ifdo`. The header carries only set fields, so
that nothing of it becomes a per-image default on re-ingest. Each item gives
time (UTC), position and depth, its `image-annotations` and every other free
field of the image unchanged, a depth range included, so an export re-ingested
gives the same image metadata.

Annotations are the image's annotation rows in iFDO 2 terms: a shape
(whole-image, single-pixel, circle, rectangle, polygon, polyline) with its pixel
coordinates, and labels naming the label id, the annotator, when and with what
confidence; the header then lists the labels (`image-annotation-labels`) and
annotators (`image-annotation-creators`) they refer to. An image whose rows are
as its sidecar gave them keeps the sidecar's annotations word for word
(catalogue/formats/annotations.py).

An image derived from a recording (a video frame, a spectrogram segment) is a
still of its own; its place in the recording goes in `image-acquisition-settings`,
iFDO's free dictionary of how the image was taken: the recording's file name, the
start and end in seconds from the recording's start, and the axes that turn its
pixels into time and frequency (catalogue/recordings/axes.py). Its
`image-datetime` is already the frame's or segment's own time when the
recording's start is known.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, NamedTuple

import yaml

from catalogue.formats import annotations as sources
from catalogue.formats import common
from catalogue.models import Image, ImageSet

IFDO_VERSION = "v2.1.0"

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def header(image_set: ImageSet, *, base: str | None = None) -> dict[str, Any]:
    s = image_set
    out: dict[str, Any] = {
        "image-set-ifdo-version": IFDO_VERSION,
        "image-set-name": s.title,
        "image-set-uuid": str(s.uuid),
        "image-set-handle": common.landing_url(s, base),
    }
    if s.description:
        out["image-abstract"] = s.description
    lic = common.licence(s)
    out["image-license"] = {"name": lic["id"], "uri": lic["url"]}
    creators = []
    for creator in s.creators:
        person = {"name": creator["name"]}
        if creator.get("orcid"):
            person["uri"] = common.orcid_url(creator)
        creators.append(person)
    if creators:
        out["image-creators"] = creators
    # iFDO's image-platform and image-sensor are {name, uri}: the NVS term's URI.
    if s.platform or s.platform_uri:
        out["image-platform"] = _context(s.platform, s.platform_uri)
    if s.instrument or s.instrument_uri:
        out["image-sensor"] = _context(s.instrument, s.instrument_uri)
    return out


def _context(name: str, uri: str) -> dict[str, str]:
    return {"name": name or uri, **({"uri": uri} if uri else {})}


class ItemRow(NamedTuple):
    """What `item` reads of an image: read as plain rows, not model instances (making
    2,000 Image objects took most of the time of a whole iFDO)."""

    pk: int
    file_name: str
    captured_at: datetime | None
    latitude: float | None
    longitude: float | None
    depth: float | None
    fields: dict
    recording_name: str | None
    recording_start: float | None
    recording_end: float | None
    recording_axes: dict


# ItemRow's columns, in its order: the recording's name read through its key.
ITEM_COLUMNS = (
    *("pk", "file_name", "captured_at", "latitude", "longitude", "depth", "fields"),
    "recording__file_name",
    "recording_start",
    "recording_end",
    "recording_axes",
)


#: iFDO 2 shape names of the portal's shapes (curation/geometry.py).
SHAPES = {
    "whole": "whole-image",
    "point": "single-pixel",
    "circle": "circle",
    "box": "rectangle",
    "rotated_box": "rectangle",
    "polygon": "polygon",
    "line": "polyline",
}


def coordinates(row: sources.Exported) -> list:
    """One list of pixel coordinates (iFDO: one per video frame; a photo has one)."""
    if row.shape == "whole":
        return []
    if row.outline is not None:  # a box or rotated box as its four corners, a polygon
        return [[value for point in row.outline for value in point]]
    if row.shape == "line":
        return [[float(value) for point in row.coordinates for value in point]]
    return [[float(value) for value in row.coordinates]]  # a point [x, y], a circle [x, y, r]


def annotation(row: sources.Exported) -> dict[str, Any]:
    label: dict[str, Any] = {
        "label": str(row.label.id),
        "annotator": row.person or "unknown",
        "created-at": row.decided.astimezone(UTC).isoformat(),
    }
    if row.confidence is not None:
        label["confidence"] = row.confidence
    return {"shape": SHAPES[row.shape], "coordinates": coordinates(row), "labels": [label]}


def annotation_header(found: sources.SetAnnotations, written: list[list]) -> dict[str, Any]:
    """The labels and annotators the written annotation rows refer to."""
    used = {row.label.id for rows in written for row in rows}
    people = sorted({row.person or "unknown" for rows in written for row in rows})
    labels = []
    for category in found.categories:
        if category.id in used:
            entry = {"id": str(category.id), "name": category.name}
            if category.aphia_id:
                entry["info"] = f"urn:lsid:marinespecies.org:taxname:{category.aphia_id}"
            labels.append(entry)
    return {
        "image-annotation-labels": labels,
        "image-annotation-creators": [{"id": person, "name": person} for person in people],
    }


def item(image: ItemRow | Image, rows: list[sources.Exported] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if image.captured_at is not None:
        when = image.captured_at.astimezone(UTC)
        out["image-datetime"] = when.strftime("%Y-%m-%d %H:%M:%S.%f")
    if image.latitude is not None and image.longitude is not None:
        out["image-latitude"] = image.latitude
        out["image-longitude"] = image.longitude
    if image.depth is not None:
        out["image-depth"] = image.depth
    fields = dict(image.fields or {})
    sidecar = fields.pop("annotation", None)
    if rows is not None:
        out["image-annotations"] = [annotation(row) for row in rows]
    elif isinstance(sidecar, list) and sidecar:
        # iFDO's own annotations, word for word; an EcoTaxa category (a dict) is no
        # iFDO annotation: iFDO requires a list, and its rows are written above.
        out["image-annotations"] = sidecar
    if settings := recording_settings(image):
        out["image-acquisition-settings"] = settings
    for key, value in fields.items():
        out.setdefault(key, value)
    return out


def recording_settings(image: ItemRow | Image) -> dict[str, Any] | None:
    """Where an image derived from a recording lies in it; None for any other image."""
    if isinstance(image, ItemRow):
        name = image.recording_name
    else:
        name = image.recording.file_name if image.recording is not None else None
    if name is None:
        return None
    return {
        "recording": name,
        "recording-start-s": image.recording_start,
        "recording-end-s": image.recording_end,
        "recording-axes": dict(image.recording_axes or {}),
    }


def to_document(image_set: ImageSet, *, base: str | None = None) -> dict[str, Any]:
    images = image_set.images.order_by("file_name", "pk").values_list(*ITEM_COLUMNS)
    found = sources.read(image_set)
    items, written = {}, []
    used: set[str] = set()
    for values in images.iterator(chunk_size=2000):
        image = ItemRow(*values)
        rows = found.of(image, list)
        # Two images of one name stay two items, named as in the deposit's packages.
        items[common.entry_path(image.pk, image.file_name, used)] = item(image, rows)
        if rows is not None:
            written.append(rows)
    head = header(image_set, base=base)
    if written:
        head.update(annotation_header(found, written))
    return {"image-set-header": head, "image-set-items": items}


def to_yaml(image_set: ImageSet, *, base: str | None = None) -> str:
    return yaml.dump(
        to_document(image_set, base=base),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=10**6,
    )


def to_json(image_set: ImageSet, *, base: str | None = None) -> str:
    return json.dumps(to_document(image_set, base=base), ensure_ascii=False, indent=2)
