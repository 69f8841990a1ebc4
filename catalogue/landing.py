"""What a set's landing page shows, read once here so the view stays thin.

The page is for people (citation, map, gallery, downloads) and machines (the
same Signposting links as the Link header, schema.org JSON-LD). Everything is
read from a set the caller may already see (the view asks
`catalogue.selectors.visible_image_sets`); images are read one gallery page at
a time so a set of a million images costs the same as a set of ten.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

from catalogue import access, signposting
from catalogue.formats import citation, common, schema_org
from catalogue.models import Access, Image, ImageSet, State

#: Thumbnails per gallery page (settings.AQUACAT_LANDING_GALLERY_SIZE overrides).
GALLERY_SIZE = 48
#: At most this many image positions are drawn on the coverage map.
MAP_POINTS = 1000

#: Human names of the metadata downloads, grouped; a format not named here is
#: still offered (under "Other formats") with its file name as its label.
DOWNLOAD_GROUPS = [
    (
        "Describe the set",
        {
            "datacite.xml": "DataCite XML",
            "datacite.json": "DataCite JSON",
            "jsonld": "schema.org JSON-LD",
            "dc.xml": "Dublin Core (OAI-DC) XML",
            "dcat.ttl": "DCAT-AP Turtle",
            "dcat.rdf": "DCAT-AP RDF/XML",
        },
    ),
    (
        "Cite",
        {
            "txt": "Citation (plain text)",
            "bib": "BibTeX",
            "ris": "RIS (EndNote, Zotero)",
            "csl.json": "CSL-JSON",
        },
    ),
    (
        "Images and annotations",
        {
            "ecotaxa.tsv": "EcoTaxa TSV",
            "ifdo.yaml": "iFDO YAML",
            "ifdo.json": "iFDO JSON",
            "coco.json": "COCO JSON (annotations)",
        },
    ),
]

#: The citation formats the page renders and switches between (format key, label, download).
CITATION_FORMATS = [
    ("text", "Text", "txt"),
    ("bibtex", "BibTeX", "bib"),
    ("ris", "RIS", "ris"),
    ("csl", "CSL-JSON", "csl.json"),
]

#: Related identifiers that say which version a set is of another.
VERSION_RELATIONS = (
    "IsNewVersionOf",
    "IsPreviousVersionOf",
    "HasVersion",
    "IsVersionOf",
    "IsIdenticalTo",
    "IsDescribedBy",
    "Describes",
)

#: Resolvers of identifier types that have one (the identifier is appended, quoted).
RESOLVERS = {
    "DOI": "https://doi.org/",
    "HANDLE": "https://hdl.handle.net/",
    "ARK": "https://n2t.net/",
    "ARXIV": "https://arxiv.org/abs/",
    "PURL": "",
    "URL": "",
    "W3ID": "",
}

#: EXIF tags worth a line in the lightbox, in this order, with their labels.
EXIF_SUMMARY = [
    ("Make", "Camera make"),
    ("Model", "Camera model"),
    ("LensModel", "Lens"),
    ("ExposureTime", "Exposure"),
    ("FNumber", "Aperture"),
    ("ISOSpeedRatings", "ISO"),
    ("PhotographicSensitivity", "ISO"),
    ("FocalLength", "Focal length"),
    ("DateTimeOriginal", "Original date"),
    ("Software", "Software"),
    ("ImageDescription", "Description"),
]


def gallery_size() -> int:
    return max(1, int(getattr(settings, "AQUACAT_LANDING_GALLERY_SIZE", GALLERY_SIZE)))


def landing_context(image_set: ImageSet, *, base: str, page: str | int | None = 1) -> dict:
    """Everything the landing template renders, for a set the caller may see."""
    links = signposting.set_links(image_set, base, max_items=signposting.max_items())
    licence = common.licence(image_set)
    return {
        "image_set": image_set,
        "links": links,
        "head_links": [
            link for link in links if link["rel"] in ("cite-as", "describedby", "license")
        ],
        "json_ld": schema_org.to_script_tag_json(image_set, base=base),
        "doi_url": common.doi_url(image_set),
        "cite_as": common.cite_as(image_set, base),
        "licence": licence,
        "access": access_status(image_set),
        "is_draft": image_set.state == State.DRAFT,
        "creators": creators(image_set),
        "citations": citations(image_set, base),
        "taxa": taxa(image_set),
        "facts": facts(image_set),
        "coverage": coverage(image_set),
        "map_data": map_data(image_set),
        "downloads": downloads(image_set),
        "related": related_identifiers(image_set),
        "enrichments": enrichments(image_set),
        "gallery": gallery(image_set, page),
    }


def access_status(image_set: ImageSet) -> dict:
    if image_set.access == Access.EMBARGOED:
        public = access.is_public(image_set)
        return {
            "kind": "open" if public else "embargoed",
            "label": "Open (embargo ended)" if public else "Embargoed",
            "until": image_set.embargo_until,
        }
    return {"kind": image_set.access, "label": image_set.get_access_display(), "until": None}


def creators(image_set: ImageSet) -> list[dict]:
    return [
        {
            "name": creator["name"],
            "orcid": creator.get("orcid"),
            "orcid_url": common.orcid_url(creator),
            "affiliation": creator.get("affiliation"),
            "ror_url": common.ror_url(creator),
        }
        for creator in image_set.creators or []
        if isinstance(creator, dict) and creator.get("name")
    ]


def citations(image_set: ImageSet, base: str) -> list[dict]:
    bodies = {
        "text": citation.text(image_set, base=base),
        "bibtex": citation.bibtex(image_set, base=base),
        "ris": citation.ris(image_set, base=base).replace("\r\n", "\n"),
        "csl": citation.csl_json_text(image_set, base=base),
    }
    return [
        {
            "key": key,
            "label": label,
            "body": bodies[key],
            "url": reverse("catalogue:set-metadata", kwargs={"uuid": image_set.uuid, "fmt": fmt}),
            "file": f"metadata.{fmt}",
        }
        for key, label, fmt in CITATION_FORMATS
    ]


def taxa(image_set: ImageSet) -> list[dict]:
    out = []
    for taxon in image_set.taxa or []:
        if not isinstance(taxon, dict) or not taxon.get("scientific_name"):
            continue
        aphia = str(taxon.get("aphia_id") or "")
        out.append(
            {
                "name": taxon["scientific_name"],
                "rank": taxon.get("rank") or "",
                "aphia_id": aphia if aphia.isdigit() else "",
                "worms_url": common.worms_url(aphia) if aphia.isdigit() else None,
            }
        )
    return out


def facts(image_set: ImageSet) -> list[tuple[str, str]]:
    """(label, value) of the descriptive fields the set states."""
    rows = [
        ("Instrument", image_set.instrument),
        ("Platform", image_set.platform),
        ("Imaging modality", common.modality_label(image_set)),
        ("Research infrastructure", image_set.research_infrastructure),
    ]
    return [(label, value) for label, value in rows if value]


def _number(value: float) -> str:
    return f"{value:g}"


DERIVED_LABELS = {"bbox": "area", "time": "time", "depth": "depth"}


def coverage(image_set: ImageSet) -> dict:
    bbox = None
    if common.has_bbox(image_set):
        w, s, e, n = image_set.west, image_set.south, image_set.east, image_set.north
        bbox = f"{_degrees(s, 'N', 'S')}, {_degrees(w, 'E', 'W')} to {_degrees(n, 'N', 'S')}, "
        bbox += _degrees(e, "E", "W")
    depth = None
    if image_set.depth_min is not None or image_set.depth_max is not None:
        low, high = image_set.depth_min, image_set.depth_max
        if low is not None and high is not None and low != high:
            depth = f"{_number(low)}\u2013{_number(high)} m"
        else:
            depth = f"{_number(low if low is not None else high)} m"
    return {
        "bbox": bbox,
        "polygon": bool(image_set.polygon),
        "time_start": image_set.time_start,
        "time_end": image_set.time_end,
        "depth": depth,
        "derived": [DERIVED_LABELS.get(p, p) for p in image_set.derived_coverage or []],
    }


def _degrees(value: float, positive: str, negative: str) -> str:
    return f"{abs(value):.3f}° {positive if value >= 0 else negative}"


def map_data(image_set: ImageSet) -> dict:
    """The footprint and up to MAP_POINTS image positions, for map.js."""
    points = list(
        image_set.images.filter(latitude__isnull=False, longitude__isnull=False)
        .order_by("pk")
        .values_list("longitude", "latitude")[:MAP_POINTS]
    )
    return {
        "bbox": [image_set.west, image_set.south, image_set.east, image_set.north]
        if common.has_bbox(image_set)
        else None,
        "polygon": [list(p) for p in common.polygon_ring(image_set)] or None,
        "points": [[round(lon, 6), round(lat, 6)] for lon, lat in points],
        "points_capped": len(points) == MAP_POINTS,
    }


def downloads(image_set: ImageSet) -> list[dict]:
    """Every metadata format the set can be had in, plus the RO-Crate zip."""
    named = set()
    groups = []
    for title, names in DOWNLOAD_GROUPS:
        items = []
        for fmt, label in names.items():
            if fmt in signposting.METADATA_FORMATS:
                named.add(fmt)
                items.append(_download(image_set, fmt, label))
        if items:
            groups.append({"title": title, "items": items})
    others = [
        _download(image_set, fmt, fmt) for fmt in signposting.METADATA_FORMATS if fmt not in named
    ]
    if others:
        groups.append({"title": "Other formats", "items": others})
    groups.append(
        {
            "title": "Everything",
            "items": [
                {
                    "label": "RO-Crate (images and metadata, zip)",
                    "url": reverse("catalogue:set-rocrate", kwargs={"uuid": image_set.uuid}),
                    "file": "rocrate.zip",
                    "media_type": "application/zip",
                }
            ],
        }
    )
    return groups


def _download(image_set: ImageSet, fmt: str, label: str) -> dict:
    return {
        "label": label,
        "url": reverse("catalogue:set-metadata", kwargs={"uuid": image_set.uuid, "fmt": fmt}),
        "file": f"metadata.{fmt}",
        "media_type": signposting.METADATA_FORMATS[fmt],
    }


def relation_label(relation: str) -> str:
    """ "IsNewVersionOf" -> "Is new version of"."""
    words = re.findall(r"[A-Z][a-z]*|[a-z]+|\d+", relation or "")
    return " ".join(words).capitalize() if words else "Related to"


def identifier_url(identifier: str, identifier_type: str) -> str | None:
    """A link for an identifier, only ever http(s): never a javascript: or data: URL."""
    identifier = (identifier or "").strip()
    kind = (identifier_type or "").upper()
    if identifier.lower().startswith(("https://", "http://")):
        return identifier
    if kind == "DOI":
        identifier = re.sub(r"^(doi:)", "", identifier, flags=re.I)
    prefix = RESOLVERS.get(kind)
    if prefix:
        return prefix + quote(identifier, safe="/:.-_~;()")
    return None


def related_identifiers(image_set: ImageSet) -> list[dict]:
    """Versions first (new/previous version, described by), then the other relations."""
    out = []
    for entry in image_set.related_identifiers or []:
        if not isinstance(entry, dict) or not entry.get("identifier"):
            continue
        relation = str(entry.get("relation_type") or "")
        out.append(
            {
                "relation": relation,
                "label": relation_label(relation),
                "identifier": str(entry["identifier"]),
                "type": str(entry.get("identifier_type") or ""),
                "url": identifier_url(str(entry["identifier"]), str(entry.get("identifier_type"))),
                "is_version": relation in VERSION_RELATIONS,
            }
        )
    out.sort(
        key=lambda r: (
            not r["is_version"],
            VERSION_RELATIONS.index(r["relation"]) if r["is_version"] else 0,
        )
    )
    return out


def enrichments(image_set: ImageSet) -> list[dict]:
    """What models found in the set, with where each result came from."""
    out = []
    rows = image_set.enrichments.select_related("model_version__model").order_by(
        "model_version__model__name", "-model_version__created"
    )
    for row in rows:
        version = row.model_version
        summary = row.summary if isinstance(row.summary, dict) else {}
        classes = summary.get("classes") if isinstance(summary.get("classes"), dict) else {}
        ordered = sorted(classes.items(), key=lambda kv: (-_count(kv[1]), str(kv[0])))
        out.append(
            {
                "model": version.model.name,
                "title": version.model.title or version.model.name,
                "task": version.model.get_task_display(),
                "version": version.version,
                "card_url": reverse(
                    "inference:model-card",
                    kwargs={"model": version.model.name, "version": version.version},
                ),
                "run": row.updated,
                "images": summary.get("images"),
                "predicted_images": summary.get("predicted_images"),
                "embedded_images": summary.get("embedded_images"),
                "share_with_detections": summary.get("share_with_detections"),
                "classes": [{"label": str(k), "count": _count(v)} for k, v in ordered],
            }
        )
    return out


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# --- The gallery and its lightbox ------------------------------------------------------


def gallery(image_set: ImageSet, page: str | int | None) -> dict:
    """One page of thumbnails, never the whole set, and the lightbox data of that page."""
    size = gallery_size()
    total = image_set.images.count()
    pages = max(1, -(-total // size))
    try:
        number = int(page or 1)
    except (TypeError, ValueError):
        number = 1
    number = min(max(1, number), pages)
    images = list(image_set.images.order_by("file_name", "pk")[(number - 1) * size : number * size])
    items = [image_item(image) for image in images]
    first = (number - 1) * size + 1 if items else 0
    return {
        "items": items,
        "total": total,
        "page": number,
        "pages": pages,
        "size": size,
        "first": first,
        "last": first + len(items) - 1 if items else 0,
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if number < pages else None,
        # The lightbox reads this (json_script): no markup, the JS sets text only.
        "data": [item["data"] for item in items],
    }


def _file_url(image: Image, variant: str) -> str:
    if variant == "original":
        return reverse("catalogue:image-original", kwargs={"pk": image.pk})
    return reverse("catalogue:image-thumbnail", kwargs={"pk": image.pk, "variant": variant})


def image_item(image: Image) -> dict:
    fields = image.fields if isinstance(image.fields, dict) else {}
    annotations = image_annotations(fields, image.width, image.height)
    predictions = image_predictions(fields, image.width, image.height)
    small = _file_url(image, "small") if image.thumbnail_small else None
    medium = _file_url(image, "medium") if image.thumbnail_medium else small
    name = image.file_name.rsplit("/", 1)[-1]
    data = {
        "id": image.pk,
        "name": name,
        "path": image.file_name,
        "medium": medium,
        "original": _file_url(image, "original"),
        "similar": reverse("inference:similar-images", kwargs={"pk": image.pk}),
        "width": image.width,
        "height": image.height,
        "media_type": image.media_type,
        "size": image.size,
        "time": common.iso(image.captured_at),
        "latitude": image.latitude,
        "longitude": image.longitude,
        "depth": image.depth,
        "exif": exif_summary(image.exif),
        "annotations": annotations,
        "predictions": predictions,
    }
    labels = [a["label"] for a in annotations]
    return {
        "id": image.pk,
        "name": name,
        "path": image.file_name,
        "small": small,
        "medium": medium,
        "labels": list(dict.fromkeys(labels)),
        "data": data,
    }


def exif_summary(exif) -> list[list[str]]:
    if not isinstance(exif, dict):
        return []
    out, seen = [], set()
    for tag, label in EXIF_SUMMARY:
        value = exif.get(tag)
        if value in (None, "") or label in seen:
            continue
        seen.add(label)
        text = str(value)
        if tag == "ExposureTime" and isinstance(value, int | float) and 0 < value < 1:
            text = f"1/{round(1 / value)} s"
        elif tag == "FNumber" and isinstance(value, int | float):
            text = f"f/{value:g}"
        elif tag == "FocalLength" and isinstance(value, int | float):
            text = f"{value:g} mm"
        out.append([label, text[:120]])
    return out


def _box(values, width: int, height: int) -> list[float] | None:
    """[left, top, width, height] in percent of the image, from pixel corners."""
    if not (isinstance(values, list | tuple) and len(values) == 4 and width and height):
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return None
    x0, y0, x1, y1 = values
    x0, x1 = sorted((max(0.0, min(x0, width)), max(0.0, min(x1, width))))
    y0, y1 = sorted((max(0.0, min(y0, height)), max(0.0, min(y1, height))))
    box = [x0 / width * 100, y0 / height * 100, (x1 - x0) / width * 100, (y1 - y0) / height * 100]
    return [round(v, 3) for v in box]


def _flat_numbers(value) -> list[float]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)]
    if isinstance(value, list | tuple):
        return [n for item in value for n in _flat_numbers(item)]
    return []


def _ifdo_box(entry: dict, width: int, height: int) -> list[float] | None:
    """The bounding box of an iFDO marker's pixel coordinates (none for whole-image)."""
    if entry.get("shape") in (None, "", "whole-image"):
        return None
    numbers = _flat_numbers(entry.get("coordinates"))
    if len(numbers) < 2 or len(numbers) % 2:
        return None
    xs, ys = numbers[0::2], numbers[1::2]
    return _box([min(xs), min(ys), max(xs), max(ys)], width, height)


def _dict_box(entry: dict, width: int, height: int) -> list[float] | None:
    if "box" in entry:  # [x0, y0, x1, y1], as model predictions
        return _box(entry["box"], width, height)
    bbox = entry.get("bbox")  # [x, y, w, h], as COCO
    if (
        isinstance(bbox, list | tuple)
        and len(bbox) == 4
        and all(isinstance(v, int | float) for v in bbox)
    ):
        return _box([bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]], width, height)
    return None


def _label(entry: dict) -> str | None:
    label = entry.get("category") or entry.get("label") or entry.get("name")
    return str(label) if label not in (None, "") else None


def image_annotations(fields: dict, width: int, height: int) -> list[dict]:
    """Curated annotations of an image as {label, box?, status?, by?}.

    Ingest stores an EcoTaxa row's annotation as a dict ({"category", "status",
    "person", "date"}), further rows of the same image under fields["objects"],
    and iFDO image-annotations as given (markers with a shape, pixel
    coordinates and labels)."""
    raw = fields.get("annotation")
    objects = fields.get("objects")
    entries: list = []
    if isinstance(objects, list) and objects:
        entries = [o.get("annotation") for o in objects if isinstance(o, dict)]
    elif isinstance(raw, list):
        entries = raw
    elif isinstance(raw, dict):
        entries = [raw]
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("labels"), list):  # an iFDO marker
            box = _ifdo_box(entry, width, height)
            for label in entry["labels"]:
                if isinstance(label, dict) and _label(label):
                    item = {"label": _label(label), "box": box}
                    if label.get("annotator"):
                        item["by"] = str(label["annotator"])
                    if isinstance(label.get("confidence"), int | float):
                        item["confidence"] = float(label["confidence"])
                    out.append(item)
            continue
        label = _label(entry)
        if not label:
            continue
        item = {"label": label, "box": _dict_box(entry, width, height)}
        if entry.get("status"):
            item["status"] = str(entry["status"])
        if entry.get("person"):
            item["by"] = str(entry["person"])
        out.append(item)
    return out


def image_predictions(fields: dict, width: int, height: int) -> list[dict]:
    """What models said about the image (fields["predictions"], written by enrichment)."""
    out = []
    for entry in fields.get("predictions") or []:
        if not isinstance(entry, dict) or not _label(entry):
            continue
        confidence = entry.get("confidence")
        out.append(
            {
                "label": _label(entry),
                "model": str(entry.get("model") or ""),
                "version": str(entry.get("version") or ""),
                "confidence": float(confidence) if isinstance(confidence, int | float) else None,
                "box": _box(entry.get("box"), width, height) if entry.get("box") else None,
                "status": str(entry.get("status") or ""),
                "card": _card_url(entry.get("model"), entry.get("version")),
            }
        )
    return out


def _card_url(model, version) -> str | None:
    if not (isinstance(model, str) and re.fullmatch(r"[-a-zA-Z0-9_]+", model) and version):
        return None
    return reverse("inference:model-card", kwargs={"model": model, "version": str(version)})
