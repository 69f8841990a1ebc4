"""The counts of a station's series, read through the access rules.

A series covers one set, or the sets of a station (curation/timeseries/stations.py).
A set is found among those whose files the caller may read (annotations are read
as their images are: catalogue/access.py, `Action.READ_FILES`), and the counts come
from `visible_images` and `visible_annotations` again, so a restricted set or one
whose files are under embargo gives no count on any path. Two grouped queries make a
series whatever its length: labels per bin, and images per bin; the labels harvested
images bring from their source (external sets only) are one more
(curation/timeseries/harvested.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import Count, DateTimeField, Max, Min, Q, QuerySet
from django.db.models.functions import Trunc

from catalogue import access
from catalogue.access import Action
from catalogue.errors import NotVisible
from catalogue.models import Image, ImageSet
from catalogue.selectors import visible_images
from curation.models import Label, Labelling, Status
from curation.selectors import visible_annotations
from curation.timeseries import bins, harvested
from curation.timeseries.params import SeriesError, SeriesParams, UnknownLabel

NOT_READABLE = "No image set with this id (or none whose images you may read)."


@dataclass(frozen=True, eq=False)
class SeriesKey:
    """One line of the series: a label, counted as validated or as predicted. Made
    once per series and compared by identity: a year by the hour looks it up millions
    of times, and a field-by-field hash is slow there."""

    label_id: int | None  # None: a label a harvested image's source validated
    name: str
    aphia_id: int | None
    colour: str
    status: str


@dataclass
class Bin:
    start: datetime
    end: datetime
    images: int = 0  # dated images captured in the bin, labelled or not
    counts: dict[SeriesKey, int] = field(default_factory=dict)


@dataclass
class Series:
    sets: list[ImageSet]  # the set, or the station's sets the caller may read
    params: SeriesParams
    start: datetime | None  # the range, widened to whole bins; None: no dated image
    end: datetime | None
    keys: list[SeriesKey]
    bins: list[Bin]
    undated_images: int  # images without a capture time, in no bin

    @property
    def image_set(self) -> ImageSet:
        """The first (for a set's series, the only) set."""
        return self.sets[0]

    def totals(self) -> dict[SeriesKey, int]:
        return {key: sum(b.counts.get(key, 0) for b in self.bins) for key in self.keys}


def readable_station(user, **lookup) -> ImageSet:
    """The set `lookup` names if `user` may read its images; otherwise NotVisible (a
    set whose metadata only they may see is refused alike: no count may leak)."""
    readable = ImageSet.objects.filter(access.orm_filter(user, Action.READ_FILES))
    image_set = readable.filter(**lookup).first()
    if image_set is None:
        raise NotVisible(NOT_READABLE)
    return image_set


def station_labels(sets: ImageSet | Sequence[ImageSet]) -> QuerySet[Label]:
    """The labels of the sets' label sets (none for a set without one yet)."""
    labelling = Labelling.objects.filter(image_set__in=_listed(sets)).values("label_set")
    return Label.objects.filter(label_set__in=labelling).order_by("name", "pk")


def station_series(user, sets: ImageSet | Sequence[ImageSet], params: SeriesParams) -> Series:
    """Counts of labels per bin on the images of `sets` (one set, or a station's)
    over the range asked for (by default the span of their dated images); every bin
    present, empty ones as zeros. SeriesError when the range makes too many bins or
    a label is not one of the sets' labels."""
    sets = _listed(sets)
    images = visible_images(user).filter(image_set__in=sets)
    labels = _chosen_labels(sets, params.labels)
    first, stop, undated = _range(images, params)
    if first is None or stop is None:
        return Series(sets, params, None, None, _keys(labels, params), [], undated)
    made = bins.count(first, stop, params.bin)
    if made > bins.MAX_BINS:
        raise SeriesError(
            {
                "bin": [
                    f"From {first:%Y-%m-%d %H:%M} to {stop:%Y-%m-%d %H:%M} UTC by {params.bin} "
                    f"makes {made:,} bins; at most {bins.MAX_BINS:,}: choose a longer bin or "
                    "a shorter range (from, to)."
                ]
            }
        )
    in_range = Q(captured_at__gte=first, captured_at__lt=stop)
    series_bins = {
        start: Bin(start, bins.following(start, params.bin))
        for start in bins.starts(first, stop, params.bin)
    }
    per_bin = _per_bin(images.filter(in_range), "captured_at", params.bin)
    for start, n in per_bin.annotate(n=Count("pk")).values_list("bin", "n"):
        series_bins[start].images = n

    annotations = visible_annotations(user).filter(
        image__image_set__in=sets,
        image__captured_at__gte=first,
        image__captured_at__lt=stop,
    )
    annotations = annotations.filter(_status_filter(params))
    if params.labels:
        annotations = annotations.filter(label__in=params.labels)
    rows = list(
        _per_bin(annotations, "image__captured_at", params.bin)
        .values("bin", "label_id", "status")
        .annotate(n=Count("pk"))
        .values_list("bin", "label_id", "status", "n")
    )
    seen = {label_id for _, label_id, _, _ in rows}
    if not params.labels:
        labels = list(Label.objects.filter(pk__in=seen).order_by("name", "pk"))
    keys = _keys(labels, params)
    by_id = {(key.label_id, key.status): key for key in keys}
    for start, label_id, status, n in rows:
        series_bins[start].counts[by_id[(label_id, status)]] = n
    if params.status != "predicted" and any(s.harvest_source_id for s in sets):
        chosen = labels if params.labels else None
        found = harvested.labels_per_bin(images.filter(in_range), params.bin, chosen)
        keys += _harvested_lines(found, series_bins)
    return Series(sets, params, first, stop, keys, list(series_bins.values()), undated)


def _listed(sets: ImageSet | Sequence[ImageSet]) -> list[ImageSet]:
    return [sets] if isinstance(sets, ImageSet) else list(sets)


def _harvested_lines(
    found: dict[tuple[datetime, harvested.Name], int], series_bins: dict[datetime, Bin]
) -> list[SeriesKey]:
    """A validated line per harvested label, by name, their counts put in the bins."""
    keys = {
        name: SeriesKey(None, name[0], name[1], harvested.colour(name[0]), Status.VALIDATED.value)
        for name in sorted({name for _, name in found}, key=lambda name: (name[0], name[1] or 0))
    }
    for (start, name), n in found.items():
        series_bins[start].counts[keys[name]] = n
    return list(keys.values())


def _chosen_labels(sets: list[ImageSet], wanted: tuple[int, ...]) -> list[Label]:
    if not wanted:
        return []
    found = list(station_labels(sets).filter(pk__in=wanted))
    missing = sorted(set(wanted) - {label.pk for label in found})
    if missing:
        names = ", ".join(str(pk) for pk in missing[:10])
        raise UnknownLabel({"label": [f"Not a label of these sets' label sets: {names}."]})
    return found


def _range(images: QuerySet[Image], params: SeriesParams):
    """The first bin start and the end of the last bin, and the undated images."""
    span = images.aggregate(
        earliest=Min("captured_at"),
        latest=Max("captured_at"),
        undated=Count("pk", filter=Q(captured_at__isnull=True)),
    )
    start = params.start or span["earliest"]
    end = params.end
    if end is None and span["latest"] is not None:
        end = bins.following(bins.floor(span["latest"], params.bin), params.bin)
    if start is None or end is None or end <= start:
        return None, None, span["undated"]
    return bins.floor(start, params.bin), bins.ceiling(end, params.bin), span["undated"]


def _status_filter(params: SeriesParams) -> Q:
    validated = Q(status=Status.VALIDATED)
    predicted = Q(status=Status.PREDICTED)
    if params.min_confidence > 0:
        # A prediction without a confidence is below any threshold above zero.
        predicted &= Q(confidence__gte=params.min_confidence)
    if params.status == "validated":
        return validated
    if params.status == "predicted":
        return predicted
    return validated | predicted


def _statuses(params: SeriesParams) -> list[str]:
    if params.status == "both":
        return [Status.VALIDATED.value, Status.PREDICTED.value]
    return [params.status]


def _keys(labels: list[Label], params: SeriesParams) -> list[SeriesKey]:
    return [
        SeriesKey(label.pk, label.name, label.aphia_id, label.colour, status)
        for label in labels
        for status in _statuses(params)
    ]


def _per_bin(rows: QuerySet, moment: str, kind: str) -> QuerySet:
    """`rows` grouped by the UTC bin of `moment`, in the database."""
    truncated = Trunc(moment, kind, output_field=DateTimeField(), tzinfo=UTC)
    return rows.annotate(bin=truncated).values("bin").order_by()
