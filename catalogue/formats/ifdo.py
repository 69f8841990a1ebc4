"""iFDO v2 (image FAIR Digital Object) of a set: header and one item per image.

Written as YAML (the iFDO norm) or JSON, and read back by
`catalogue.ingest.sidecars.parse_ifdo`. The header carries only set fields, so
that nothing of it becomes a per-image default on re-ingest. Each item gives
time (UTC), position and depth, the annotation as ingest kept it
(`image-annotations`) and every other free field of the image unchanged, a
depth range included, so an export re-ingested gives the same image metadata.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import yaml

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
    if s.platform:
        out["image-platform"] = {"name": s.platform}
    if s.instrument:
        out["image-sensor"] = {"name": s.instrument}
    return out


def item(image: Image) -> dict[str, Any]:
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
    annotation = fields.pop("annotation", None)
    if annotation:
        out["image-annotations"] = annotation
    for key, value in fields.items():
        out.setdefault(key, value)
    return out


def to_document(image_set: ImageSet, *, base: str | None = None) -> dict[str, Any]:
    items = {image.file_name: item(image) for image in image_set.images.order_by("file_name", "pk")}
    return {"image-set-header": header(image_set, base=base), "image-set-items": items}


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
