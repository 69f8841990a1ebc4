"""What is indexed: one flat document per image set and per image.

Every backend indexes exactly these dicts, so the same query sees the same
data everywhere. A document carries its row's `revision`, used as the external
version (a late or repeated write of an older revision is ignored), and the
fields visibility is decided on (state, access, embargo, owner, curators).

Document fields (both kinds unless noted):
    id, kind ("set"|"image"), revision, set_id
    title, description (sets), file_name (images), keywords, creators (names)
    taxa (stated names), taxon_path (taxa and all their ancestors), labels
    platform, instrument, modality, research_infrastructure, licence
    access, state, embargo_until (ISO date|None), owner_id, curator_ids
    years (every year covered), time_start, time_end (ISO datetimes|None)
    depth_min, depth_max (metres), bbox ([west, south, east, north]|None)
    polygon (GeoJSON Polygon|None, sets only), point ([lon, lat]|None, images only)
    image_count (sets), size (bytes: images; total bytes: sets)
    has_annotations, doi (sets), created (ISO datetime)
    predicted (class labels predicted by models: an image's; a set's, over its images)
    predicted_share (sets: share of images with at least one prediction; images: None)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import Count, Sum

from catalogue import geometry
from catalogue.models import Image, ImageSet

MAX_YEARS = 300  # a set spanning more years than this lists none (it is not a year filter case)


def years_between(start, end) -> list[int]:
    if start is None and end is None:
        return []
    first, last = (start or end).year, (end or start).year
    if last - first > MAX_YEARS:
        return []
    return list(range(first, last + 1))


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def annotation_labels(fields: dict) -> list[str]:
    """Class names an image is annotated with (sidecar annotations, for now)."""
    annotation = (fields or {}).get("annotation")
    entries = annotation if isinstance(annotation, list) else [annotation]
    labels = []
    for entry in entries:
        if isinstance(entry, dict):
            label = entry.get("category") or entry.get("label") or entry.get("name")
            if isinstance(label, str) and label and label not in labels:
                labels.append(label)
    return labels


def prediction_labels(fields: dict) -> list[str]:
    """Class labels models predicted for an image (`fields["predictions"]`, a list
    of {model, version, label, confidence, ...}); malformed entries are ignored."""
    predictions = (fields or {}).get("predictions")
    labels: list[str] = []
    for entry in predictions if isinstance(predictions, list) else []:
        label = entry.get("label") if isinstance(entry, dict) else None
        if isinstance(label, str) and label.strip() and label not in labels:
            labels.append(label)
    return labels


def taxon_paths(taxa: list[dict]) -> dict[str, list[str]]:
    """For each stated taxon name: itself and its ancestors (from the lineage)."""
    paths = {}
    for taxon in taxa or []:
        name = taxon.get("scientific_name")
        if name:
            lineage = [n for n in taxon.get("lineage") or [] if isinstance(n, str)]
            paths[name] = [*lineage, name]
    return paths


def visibility_fields(image_set: ImageSet, curator_ids: list[int]) -> dict:
    return {
        "access": image_set.access,
        "state": image_set.state,
        "embargo_until": iso(image_set.embargo_until),
        "owner_id": image_set.owner_id,
        "curator_ids": curator_ids,
    }


def descriptive_fields(image_set: ImageSet) -> dict:
    return {
        "platform": image_set.platform,
        "instrument": image_set.instrument,
        "modality": image_set.modality,
        "research_infrastructure": image_set.research_infrastructure,
        "licence": image_set.licence,
    }


def set_document(
    image_set: ImageSet,
    *,
    labels: list[str] | None = None,
    predicted: tuple[list[str], int] | None = None,
    stats: dict | None = None,
) -> dict:
    """The document of a set; `labels`, `predicted` (labels, number of images
    with predictions) and `stats` (image_count, size) may be given when computed
    in bulk."""
    if labels is None or predicted is None:
        found_labels, found_predicted = set_summaries([image_set.pk])
        labels = found_labels.get(image_set.pk, []) if labels is None else labels
        if predicted is None:
            predicted = found_predicted.get(image_set.pk, ([], 0))
    stats = stats or image_set.images.aggregate(image_count=Count("pk"), size=Sum("size"))
    curator_ids = member_ids(image_set)
    paths = taxon_paths(image_set.taxa)
    bbox = geometry.bbox_from_sides(
        image_set.west, image_set.south, image_set.east, image_set.north
    )
    return {
        "id": image_set.pk,
        "kind": "set",
        "revision": image_set.revision,
        "set_id": image_set.pk,
        "title": image_set.title,
        "description": image_set.description,
        "file_name": "",
        "keywords": list(image_set.keywords or []),
        "creators": [c.get("name", "") for c in image_set.creators or [] if c.get("name")],
        "taxa": list(paths),
        "taxon_path": sorted({name for path in paths.values() for name in path} | set(labels)),
        "labels": labels,
        **descriptive_fields(image_set),
        **visibility_fields(image_set, curator_ids),
        "years": years_between(image_set.time_start, image_set.time_end),
        "time_start": iso(image_set.time_start),
        "time_end": iso(image_set.time_end),
        "depth_min": image_set.depth_min,
        "depth_max": image_set.depth_max,
        "bbox": bbox,
        "polygon": image_set.polygon,
        "point": None,
        "image_count": stats["image_count"] or 0,
        "size": stats["size"] or 0,
        "has_annotations": bool(labels),
        "doi": image_set.doi,
        "created": iso(image_set.created),
        "predicted": predicted[0],
        "predicted_share": (
            round(predicted[1] / stats["image_count"], 4) if stats["image_count"] else 0.0
        ),
    }


def set_summaries(
    set_ids: list[int],
) -> tuple[dict[int, list[str]], dict[int, tuple[list[str], int]]]:
    """Per set, from its images in one pass: annotation labels, and predicted
    labels with the number of images that have at least one prediction."""
    labels: dict[int, set[str]] = {}
    predicted: dict[int, set[str]] = {}
    predicted_images: dict[int, int] = {}
    rows = Image.objects.filter(image_set_id__in=set_ids).exclude(fields={})
    for set_id, fields in rows.values_list("image_set_id", "fields").iterator(chunk_size=2000):
        labels.setdefault(set_id, set()).update(annotation_labels(fields))
        found = prediction_labels(fields)
        if found:
            predicted.setdefault(set_id, set()).update(found)
            predicted_images[set_id] = predicted_images.get(set_id, 0) + 1
    return (
        {set_id: sorted(values) for set_id, values in labels.items()},
        {
            set_id: (sorted(values), predicted_images[set_id])
            for set_id, values in predicted.items()
        },
    )


def image_document(image: Image, image_set: ImageSet, curator_ids: list[int]) -> dict:
    """The document of an image; the set's fields make set filters work on images too.

    Its version is the sum of the image's and the set's revisions: it grows when
    either changes (the set's access, say), so a newer document always wins.
    """
    labels = annotation_labels(image.fields)
    paths = taxon_paths(image_set.taxa)
    taxon_path = sorted({name for label in labels for name in paths.get(label, [label])})
    point = None
    if image.latitude is not None and image.longitude is not None:
        point = [image.longitude, image.latitude]
    moment = iso(image.captured_at)
    return {
        "id": image.pk,
        "kind": "image",
        "revision": image.revision + image_set.revision,
        "set_id": image_set.pk,
        "title": image_set.title,
        "description": "",
        "file_name": image.file_name,
        "keywords": list(image_set.keywords or []),
        "creators": [],
        "taxa": labels,
        "taxon_path": taxon_path,
        "labels": labels,
        **descriptive_fields(image_set),
        **visibility_fields(image_set, curator_ids),
        "years": [image.captured_at.year] if image.captured_at else [],
        "time_start": moment,
        "time_end": moment,
        "depth_min": image.depth,
        "depth_max": image.depth,
        "bbox": geometry.point_bbox(point) if point else None,
        "polygon": None,
        "point": point,
        "image_count": 1,
        "size": image.size,
        "has_annotations": bool(labels),
        "doi": "",
        "created": iso(image.created),
        "predicted": prediction_labels(image.fields),
        "predicted_share": None,
    }


def set_documents(ids: Iterable[int]) -> Iterator[dict]:
    """Documents of the sets with these ids that still exist (missing ones: deleted)."""
    ids = list(ids)
    sets = (
        ImageSet.objects.filter(pk__in=ids)
        .annotate(n_images=Count("images"), n_bytes=Sum("images__size"))
        .prefetch_related("curators", "reviewers")
    )
    labels, predicted = set_summaries(ids)
    for image_set in sets:
        yield set_document(
            image_set,
            labels=labels.get(image_set.pk, []),
            predicted=predicted.get(image_set.pk, ([], 0)),
            stats={"image_count": image_set.n_images, "size": image_set.n_bytes},
        )


def member_ids(image_set: ImageSet) -> list[int]:
    """Users with a role on the set who see it before it is public: its curators
    and reviewers (the documents' `curator_ids`, see catalogue/access.py)."""
    users = {user.pk for user in image_set.curators.all()}
    users.update(user.pk for user in image_set.reviewers.all())
    return sorted(users)


def image_documents(ids: Iterable[int]) -> Iterator[dict]:
    """Documents of the images with these ids that still exist."""
    images = Image.objects.filter(pk__in=list(ids)).select_related("image_set")
    curators: dict[int, list[int]] = {}
    for image in images:
        set_id = image.image_set_id
        if set_id not in curators:
            curators[set_id] = member_ids(image.image_set)
        yield image_document(image, image.image_set, curators[set_id])


def documents(kind: str, ids: Iterable[int]) -> Iterator[dict]:
    return set_documents(ids) if kind == "set" else image_documents(ids)
