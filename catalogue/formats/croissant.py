"""Croissant 1.0 (MLCommons) of a set: the set as a machine-learning dataset.

`distribution` lists every image as a `cr:FileObject` (its original URL, media
type and SHA-256). Record sets, with their records written inline (`data`):

    images       one per image: file name, URL, SHA-256, size in pixels, split
    labels       the labels the annotations use: name, AphiaID, WoRMS LSID
    annotations  one per validated annotation: image, label, shape, box
    splits       the split names the images carry (train, val, test), as
                 Croissant's cr:TrainingSplit, cr:ValidationSplit, cr:TestSplit

Splits come from the image's `sample_split` (EcoTaxa) or `split` field. Only
validated annotations are examples: predictions and dubious labels are not.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.urls import reverse

from catalogue.formats import annotations as sources
from catalogue.formats import citation, common
from catalogue.models import Image, ImageSet

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
#: The context every Croissant 1.0 document carries (the specification's own).
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
SEMANTIC_VERSION = re.compile(r"(0|[1-9]\d*)(\.(0|[1-9]\d*)){0,2}")
SPLIT_FIELDS = ("sample_split", "split")
#: Split names as data sets write them -> Croissant's split types.
SPLIT_TYPES = {
    "train": "cr:TrainingSplit",
    "training": "cr:TrainingSplit",
    "val": "cr:ValidationSplit",
    "valid": "cr:ValidationSplit",
    "validation": "cr:ValidationSplit",
    "test": "cr:TestSplit",
    "testing": "cr:TestSplit",
}


def _field(record_set: str, name: str, data_type: str, description: str, **extra) -> dict:
    return {
        "@type": "cr:Field",
        "@id": f"{record_set}/{name}",
        "name": name,
        "description": description,
        "dataType": data_type,
        **extra,
    }


def _record_set(name: str, description: str, fields: list[dict], rows: list[dict], **extra):
    """A record set whose records are written inline, keyed by field @id."""
    return {
        "@type": "cr:RecordSet",
        "@id": name,
        "name": name,
        "description": description,
        **extra,
        "field": fields,
        "data": [{f"{name}/{key}": value for key, value in row.items()} for row in rows],
    }


def _split(image: Image) -> str:
    fields = image.fields or {}
    for key in SPLIT_FIELDS:
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _creator(creator: dict) -> dict:
    person = common.is_person(creator)
    out: dict[str, Any] = {"@type": "sc:Person" if person else "sc:Organization"}
    out["name"] = creator.get("name", "")
    if url := common.orcid_url(creator) or common.ror_url(creator):
        out["url"] = url
    return out


def _file_id(image: Image) -> str:
    return f"image-{image.pk}"


def _splits(names: list[str]) -> dict:
    fields = [
        _field("splits", "name", "sc:Text", "The split's name, as the images give it."),
        _field("splits", "url", "sc:URL", "Croissant's type of the split."),
    ]
    rows = [{"name": name, "url": SPLIT_TYPES.get(name.lower(), "cr:Split")} for name in names]
    return _record_set(
        "splits",
        "The splits the set's authors made.",
        fields,
        rows,
        dataType="cr:Split",
        key={"@id": "splits/name"},
    )


def _images(images: list[Image], urls: dict[int, str], with_splits: bool) -> dict:
    fields = [
        _field("images", "file_name", "sc:Text", "The image's path in the set."),
        _field("images", "url", "sc:URL", "Where the original image is."),
        _field("images", "sha256", "sc:Text", "SHA-256 of the image file."),
        _field("images", "width", "sc:Integer", "Width in pixels."),
        _field("images", "height", "sc:Integer", "Height in pixels."),
    ]
    if with_splits:
        fields.append(
            _field(
                "images",
                "split",
                "sc:Text",
                "The split the image belongs to.",
                references={"field": {"@id": "splits/name"}},
            )
        )
    rows = []
    for image in images:
        row = {
            "file_name": image.file_name,
            "url": urls[image.pk],
            "sha256": image.sha256,
            "width": image.width,
            "height": image.height,
        }
        if with_splits:
            row["split"] = _split(image)
        rows.append(row)
    return _record_set("images", "The set's images.", fields, rows, key={"@id": "images/file_name"})


def _labels(categories: list[sources.Category]) -> dict:
    fields = [
        _field("labels", "name", "sc:Text", "The label, as annotators chose it."),
        _field("labels", "aphia_id", "sc:Integer", "WoRMS AphiaID (none for a non-taxon)."),
        _field("labels", "scientific_name_id", "sc:URL", "WoRMS LSID of the taxon."),
    ]
    rows = [
        {
            "name": c.name,
            "aphia_id": c.aphia_id,
            "scientific_name_id": common.worms_lsid(c.aphia_id) if c.aphia_id else None,
        }
        for c in categories
    ]
    return _record_set(
        "labels", "The labels of the set's label set.", fields, rows, key={"@id": "labels/name"}
    )


def _annotations(images: list[Image], found: sources.SetAnnotations) -> dict | None:
    rows = []
    for image in images:
        for row in found.by_image.get(image.pk, []):
            if row.status != "validated":
                continue
            x0, y0, x1, y1 = row.box
            rows.append(
                {
                    "image": image.file_name,
                    "label": row.label.name,
                    "shape": row.shape,
                    "bbox": f"{x0:g} {y0:g} {x1 - x0:g} {y1 - y0:g}",
                    "annotator": row.person,
                }
            )
    if not rows:
        return None
    ref = {"references": {"field": {"@id": "images/file_name"}}}
    fields = [
        _field("annotations", "image", "sc:Text", "The annotated image.", **ref),
        _field(
            "annotations",
            "label",
            "sc:Text",
            "Its label.",
            references={"field": {"@id": "labels/name"}},
        ),
        _field("annotations", "shape", "sc:Text", "whole, point, box, polygon, circle, ..."),
        _field("annotations", "bbox", "sc:Text", "x y width height around it, in pixels."),
        _field("annotations", "annotator", "sc:Text", "Who decided the label."),
    ]
    return _record_set("annotations", "Validated annotations.", fields, rows)


def to_dict(image_set: ImageSet, *, base: str | None = None) -> dict:
    s = image_set
    root = common.base_url(base).rstrip("/")
    images = list(s.images.order_by("file_name", "pk"))
    urls = {i.pk: root + reverse("catalogue:image-original", kwargs={"pk": i.pk}) for i in images}
    found = sources.read(s)
    licence = common.licence(s)
    split_names = sorted({name for i in images if (name := _split(i))})
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": s.title,
        "description": s.description or s.title,
        "conformsTo": CONFORMS_TO,
        "citeAs": citation.bibtex(s, base=base),
        "license": licence["url"],
        "url": common.landing_url(s, base),
        "sameAs": common.cite_as(s, base),
        "creator": [_creator(c) for c in s.creators],
        "publisher": {"@type": "sc:Organization", "name": common.publisher_name()},
        "datePublished": common.publication_date(s).isoformat(),
        "dateModified": common.iso(s.updated or s.created),
        "keywords": list(s.keywords),
        "distribution": [
            {
                "@type": "cr:FileObject",
                "@id": _file_id(i),
                "name": i.file_name,
                "contentUrl": urls[i.pk],
                "encodingFormat": i.media_type,
                "contentSize": f"{i.size} B",
                "sha256": i.sha256,
            }
            for i in images
        ],
        "recordSet": [],
    }
    # Croissant asks for MAJOR.MINOR.PATCH: a free-text version is left out, not rewritten.
    if SEMANTIC_VERSION.fullmatch(s.version):
        document["version"] = s.version
    if split_names:
        document["recordSet"].append(_splits(split_names))
    if images:
        document["recordSet"].append(_images(images, urls, bool(split_names)))
    if found.categories:
        document["recordSet"].append(_labels(found.categories))
    annotations = _annotations(images, found)
    if annotations is not None:
        document["recordSet"].append(annotations)
    return document


def to_json(image_set: ImageSet, *, base: str | None = None) -> str:
    return json.dumps(to_dict(image_set, base=base), ensure_ascii=False, indent=2)
