"""What is indexed: one flat document per image set and per image.

Every backend indexes exactly these dicts, so the same query sees the same
data everywhere. A document carries its row's `revision`, used as the external
version (a late or repeated write of an older revision is ignored), and the
fields visibility is decided on (state, access, embargo, owner, curators).

Document fields (both kinds unless noted):
    id, kind ("set"|"image"), revision, set_id
    title, description (sets), file_name (images), keywords, creators (names)
    taxa (stated names), taxon_path (taxa and all their ancestors: stated lineages,
        and the accepted taxa and lineages of the Taxon table)
    taxon_ids (AphiaIDs of the accepted taxa and their ancestors), taxon_terms (their
        names, synonyms and vernaculars, for full text: catalogue/search/taxonomy.py)
    labels (validated annotation labels: an image's; a set's, over its images)
    label_status (annotation statuses present: predicted, validated, dubious, rejected)
    platform, instrument, modality, research_infrastructure, licence
    source ("local", or the name of the harvest source of an external set; external sets
        their source deleted, and external copies of a DOI another set holds, have no
        document: catalogue/search/external.py)
    access, state, embargo_until (ISO date|None), owner_id, curator_ids
    years (every year covered), time_start, time_end (ISO datetimes|None)
    depth_min, depth_max (metres), bbox ([west, south, east, north]|None)
    polygon (GeoJSON Polygon|None: sets' coverage; images' footprint, a Polygon or
        MultiPolygon), point ([lon, lat]|None, images only)
    image_count (sets), size (bytes: images; total bytes: sets)
    has_annotations (an annotation that is not rejected), doi (sets), created (ISO datetime)
    predicted (class labels predicted by models, as image predictions or predicted
        annotations: an image's; a set's, over its images)
    predicted_share (sets: share of images with at least one prediction; images: None)

Annotations are read through the image's reverse relations (`annotations`,
`review_events`) that the curation app declares: the catalogue never imports it.
An image document's revision also counts its review events, which every
annotation write records, so reviewing an annotation makes a newer document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Sum

from catalogue import geometry
from catalogue.models import Image, ImageSet
from catalogue.search import external, taxonomy
from catalogue.search.taxonomy import Expansion, Reference

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


REJECTED = "rejected"


@dataclass
class Labels:
    """What an image's (or a set's images') annotations say, by status."""

    validated: list[str] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)

    @property
    def annotated(self) -> bool:
        return any(status != REJECTED for status in self.statuses)


def labels_by_status(rows: Iterable[tuple[str, str]]) -> Labels:
    """From (label name, status) pairs: validated and predicted labels, and statuses."""
    validated: set[str] = set()
    predicted: set[str] = set()
    statuses: set[str] = set()
    for name, status in rows:
        if name is None:
            continue
        statuses.add(status)
        if status == "validated":
            validated.add(name)
        elif status == "predicted":
            predicted.add(name)
    return Labels(sorted(validated), sorted(predicted), sorted(statuses))


def annotation_rows(image_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Per image: (label name, status) of its annotations, through the reverse relation."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = (
        Image.objects.filter(pk__in=image_ids, annotations__isnull=False)
        .order_by()
        .values_list("pk", "annotations__label__name", "annotations__status")
        .distinct()
    )
    for image_id, name, status in rows:
        found[image_id].append((name, status))
    return found


def event_counts(image_ids: list[int]) -> dict[int, int]:
    """Per image: how many annotation changes it has had (grows with every one)."""
    rows = Image.objects.filter(pk__in=image_ids).annotate(n=Count("review_events"))
    return dict(rows.filter(n__gt=0).values_list("pk", "n"))


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
        "source": external.source_name(image_set),
        "platform": image_set.platform,
        "instrument": image_set.instrument,
        "modality": image_set.modality,
        "research_infrastructure": image_set.research_infrastructure,
        "licence": image_set.licence,
    }


@dataclass
class SetSummary:
    """A set's labels over its images: annotations by status, model predictions,
    how many images have a prediction, and how many annotation changes there were."""

    labels: Labels = field(default_factory=Labels)
    predicted: list[str] = field(default_factory=list)
    predicted_images: int = 0
    events: int = 0


def label_references(key: str, ids: list[int]) -> dict[int, list[Reference]]:
    """Per image (key "pk") or set (key "image_set_id"): (AphiaID, name) of the labels
    of its validated annotations."""
    found: dict[int, list[Reference]] = defaultdict(list)
    rows = (
        Image.objects.filter(**{f"{key}__in": ids}, annotations__status="validated")
        .order_by()
        .values_list(key, "annotations__label__aphia_id", "annotations__label__name")
        .distinct()
    )
    for owner, aphia_id, name in rows:
        if name:
            found[owner].append((aphia_id, name))
    return found


def taxon_fields(
    references: list[Reference], expansions: dict[Reference, Expansion] | None
) -> dict:
    if expansions is None:
        expansions = taxonomy.expand(references)
    return taxonomy.document_taxa(references, expansions)


def set_document(
    image_set: ImageSet,
    *,
    summary: SetSummary | None = None,
    stats: dict | None = None,
    labels_named: list[Reference] | None = None,
    expansions: dict[Reference, Expansion] | None = None,
) -> dict:
    """The document of a set; `summary`, `stats` (image_count, size), the validated
    labels' references and the taxa expansions may be given when computed in bulk."""
    if summary is None:
        summary = set_summaries([image_set.pk]).get(image_set.pk, SetSummary())
    if labels_named is None:
        labels_named = label_references("image_set_id", [image_set.pk]).get(image_set.pk, [])
    taxa = taxon_fields(taxonomy.set_references(image_set.taxa) + labels_named, expansions)
    labels = summary.labels.validated
    stats = stats or image_set.images.aggregate(image_count=Count("pk"), size=Sum("size"))
    curator_ids = member_ids(image_set)
    paths = taxon_paths(image_set.taxa)
    bbox = geometry.bbox_from_sides(
        image_set.west, image_set.south, image_set.east, image_set.north
    )
    return {
        "id": image_set.pk,
        "kind": "set",
        "revision": image_set.revision + summary.events,
        "set_id": image_set.pk,
        "title": image_set.title,
        "description": image_set.description,
        "file_name": "",
        "keywords": list(image_set.keywords or []),
        "creators": [c.get("name", "") for c in image_set.creators or [] if c.get("name")],
        "taxa": list(paths),
        "taxon_path": sorted(
            {name for path in paths.values() for name in path} | set(labels) | taxa["path"]
        ),
        "taxon_ids": taxa["ids"],
        "taxon_terms": taxa["terms"],
        "labels": labels,
        "label_status": summary.labels.statuses,
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
        "has_annotations": summary.labels.annotated,
        "doi": image_set.doi,
        "created": iso(image_set.created),
        "predicted": summary.predicted,
        "predicted_share": (
            round(summary.predicted_images / stats["image_count"], 4)
            if stats["image_count"]
            else 0.0
        ),
    }


def set_summaries(set_ids: list[int]) -> dict[int, SetSummary]:
    """Per set, from its images: annotation labels by status, predicted labels (model
    predictions and predicted annotations) with the number of images that have
    one, and the number of annotation changes."""
    annotations: dict[int, list[tuple[str, str]]] = defaultdict(list)
    predicted: dict[int, set[str]] = defaultdict(set)
    predicting: dict[int, set[int]] = defaultdict(set)
    rows = (
        Image.objects.filter(image_set_id__in=set_ids, annotations__isnull=False)
        .order_by()
        .values_list("image_set_id", "pk", "annotations__label__name", "annotations__status")
        .distinct()
    )
    for set_id, image_id, name, status in rows.iterator(chunk_size=2000):
        annotations[set_id].append((name, status))
        if status == "predicted":
            predicted[set_id].add(name)
            predicting[set_id].add(image_id)
    for set_id, pairs in external.image_labels(set_ids).items():
        annotations[set_id] += pairs  # an external set's labels: its images' own
    with_fields = Image.objects.filter(image_set_id__in=set_ids).exclude(fields={})
    for set_id, image_id, fields in with_fields.values_list(
        "image_set_id", "pk", "fields"
    ).iterator(chunk_size=2000):
        found = prediction_labels(fields)
        if found:
            predicted[set_id].update(found)
            predicting[set_id].add(image_id)
    events = dict(
        Image.objects.filter(image_set_id__in=set_ids)
        .order_by()
        .values("image_set_id")
        .annotate(n=Count("review_events"))
        .values_list("image_set_id", "n")
    )
    return {
        set_id: SetSummary(
            labels=labels_by_status(annotations.get(set_id, [])),
            predicted=sorted(predicted.get(set_id, set())),
            predicted_images=len(predicting.get(set_id, set())),
            events=events.get(set_id, 0),
        )
        for set_id in set_ids
    }


def image_document(
    image: Image,
    image_set: ImageSet,
    curator_ids: list[int],
    *,
    annotations: list[tuple[str, str]] | None = None,
    events: int | None = None,
    labels_named: list[Reference] | None = None,
    expansions: dict[Reference, Expansion] | None = None,
) -> dict:
    """The document of an image; the set's fields make set filters work on images too.

    Its version is the sum of the image's and the set's revisions and of its
    annotation changes: it grows when any changes (the set's access, a review),
    so a newer document always wins. `annotations` ((label name, status) pairs),
    `events`, the validated labels' references and the taxa expansions may be
    given when computed in bulk.
    """
    if annotations is None:
        annotations = annotation_rows([image.pk]).get(image.pk, [])
    if events is None:
        events = event_counts([image.pk]).get(image.pk, 0)
    found = labels_by_status(annotations)
    labels = found.validated
    predicted = prediction_labels(image.fields)
    predicted += [name for name in found.predicted if name not in predicted]
    if labels_named is None:
        labels_named = label_references("pk", [image.pk]).get(image.pk, [])
    taxa = taxon_fields(labels_named, expansions)
    paths = taxon_paths(image_set.taxa)
    taxon_path = sorted(
        {name for label in labels for name in paths.get(label, [label])} | taxa["path"]
    )
    point = None
    if image.latitude is not None and image.longitude is not None:
        point = [image.longitude, image.latitude]
    moment = iso(image.captured_at)
    return {
        "id": image.pk,
        "kind": "image",
        "revision": image.revision + image_set.revision + events,
        "set_id": image_set.pk,
        "title": image_set.title,
        "description": "",
        "file_name": image.file_name,
        "keywords": list(image_set.keywords or []),
        "creators": [],
        "taxa": labels,
        "taxon_path": taxon_path,
        "taxon_ids": taxa["ids"],
        "taxon_terms": taxa["terms"],
        "labels": labels,
        "label_status": found.statuses,
        **descriptive_fields(image_set),
        **visibility_fields(image_set, curator_ids),
        "years": [image.captured_at.year] if image.captured_at else [],
        "time_start": moment,
        "time_end": moment,
        "depth_min": image.depth,
        "depth_max": image.depth,
        **image_coverage(image, point),
        "image_count": 1,
        "size": image.size,
        "has_annotations": found.annotated,
        "doi": "",
        "created": iso(image.created),
        "predicted": predicted,
        "predicted_share": None,
    }


def image_coverage(image: Image, point: list[float] | None) -> dict:
    """Where an image is: its footprint (a georeferenced raster's ground outline)
    with the box around it, else its point."""
    if image.footprint:
        return {
            "bbox": list(geometry.polygons_bounds(geometry.polygon_parts(image.footprint))),
            "polygon": image.footprint,
            "point": point,
        }
    return {"bbox": geometry.point_bbox(point) if point else None, "polygon": None, "point": point}


def set_documents(ids: Iterable[int]) -> Iterator[dict]:
    """Documents of the sets with these ids that still exist (missing ones: deleted)."""
    ids = list(ids)
    sets = list(
        ImageSet.objects.filter(pk__in=ids)
        .select_related("harvest_source")
        .annotate(n_images=Count("images"), n_bytes=Sum("images__size"))
        .prefetch_related("curators", "reviewers")
    )
    hidden = external.out_of_search(sets)
    sets = [s for s in sets if s.pk not in hidden]
    summaries = set_summaries(ids)
    named = label_references("image_set_id", ids)
    expansions = taxonomy.expand(
        [ref for s in sets for ref in taxonomy.set_references(s.taxa)]
        + [ref for refs in named.values() for ref in refs]
    )
    for image_set in sets:
        yield set_document(
            image_set,
            summary=summaries.get(image_set.pk, SetSummary()),
            stats={"image_count": image_set.n_images, "size": image_set.n_bytes},
            labels_named=named.get(image_set.pk, []),
            expansions=expansions,
        )


def member_ids(image_set: ImageSet) -> list[int]:
    """Users with a role on the set who see it before it is public: its curators
    and reviewers (the documents' `curator_ids`, see catalogue/access.py)."""
    users = {user.pk for user in image_set.curators.all()}
    users.update(user.pk for user in image_set.reviewers.all())
    return sorted(users)


def image_documents(ids: Iterable[int]) -> Iterator[dict]:
    """Documents of the images with these ids that still exist."""
    ids = list(ids)
    images = list(Image.objects.filter(pk__in=ids).select_related("image_set__harvest_source"))
    hidden = external.out_of_search({image.image_set for image in images})
    images = [image for image in images if image.image_set_id not in hidden]
    annotations, events = annotation_rows(ids), event_counts(ids)
    named = label_references("pk", ids)
    for image in images:
        if image.remote:  # an external image: its labels are its source's validated ones
            labels = image.remote.get("labels") or []
            annotations[image.pk] = [(label["name"], "validated") for label in labels]
            named[image.pk] = [(label.get("aphia_id"), label["name"]) for label in labels]
    expansions = taxonomy.expand([ref for refs in named.values() for ref in refs])
    curators: dict[int, list[int]] = {}
    for image in images:
        set_id = image.image_set_id
        if set_id not in curators:
            curators[set_id] = member_ids(image.image_set)
        yield image_document(
            image,
            image.image_set,
            curators[set_id],
            annotations=annotations.get(image.pk, []),
            events=events.get(image.pk, 0),
            labels_named=named.get(image.pk, []),
            expansions=expansions,
        )


def documents(kind: str, ids: Iterable[int]) -> Iterator[dict]:
    return set_documents(ids) if kind == "set" else image_documents(ids)
