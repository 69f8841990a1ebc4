"""A series as JSON and as CSV, the forms an observatory's data portal publishes.

CSV, one row per bin and series (a label counted as validated or predicted), bins
in time order, empty bins as zeros:

    bin_start  the bin's start, ISO 8601 UTC (included)
    bin_end    the next bin's start (excluded)
    label_id   the label's id in AquaCat (the `label` parameter takes it); empty for
               a label a harvested image's source validated (counted as validated,
               once per image: curation/timeseries/harvested.py)
    label      the label's name
    aphia_id   its WoRMS AphiaID, empty for a concept that is no taxon
    status     validated, or predicted (at or above min_confidence)
    count      annotations with that label and status on images captured in the bin
    images     images captured in the bin that the caller may read, labelled or not

A series without any label (nothing counted yet) still lists its bins, with the
label columns empty and count 0, so the images per bin are there.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from curation.timeseries.selectors import Series

COLUMNS = ("bin_start", "bin_end", "label_id", "label", "aphia_id", "status", "count", "images")


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def series_json(series: Series, *, links: dict[str, str], station_url: str | None) -> dict:
    """A set's series: the set, its instruments and station, then the series."""
    image_set = series.image_set
    return {
        "image_set": {
            "id": image_set.pk,
            "uuid": str(image_set.uuid),
            "title": image_set.title,
            **links,
        },
        "station": {
            "platform": image_set.platform,
            "platform_uri": image_set.platform_uri,
            "instrument": image_set.instrument,
            "instrument_uri": image_set.instrument_uri,
            "research_infrastructure": image_set.research_infrastructure,
            "code": image_set.station,
            "url": station_url,
        },
        **series_body(series),
    }


def station_json(series: Series, code: str, *, links: dict, set_links: list[dict]) -> dict:
    """A station's series: the station, each of its sets counted, then the series;
    `set_links` holds each set's links, in the order of `series.sets`."""
    return {
        "station": {"code": code, **links},
        "image_sets": [
            {
                "id": image_set.pk,
                "uuid": str(image_set.uuid),
                "title": image_set.title,
                "platform": image_set.platform,
                "instrument": image_set.instrument,
                **set_link,
            }
            for image_set, set_link in zip(series.sets, set_links, strict=True)
        ],
        **series_body(series),
    }


def series_body(series: Series) -> dict:
    """The series with `counts` in each bin following `series` (its lines) in order."""
    params = series.params
    return {
        "bin": params.bin,
        "from": iso(series.start),
        "to": iso(series.end),
        "status": params.status,
        "min_confidence": None if params.status == "validated" else params.min_confidence,
        "series": [
            {
                "label_id": key.label_id,
                "label": key.name,
                "aphia_id": key.aphia_id,
                "status": key.status,
            }
            for key in series.keys
        ],
        "bins": [
            {
                "start": iso(one.start),
                "end": iso(one.end),
                "images": one.images,
                "counts": [one.counts.get(key, 0) for key in series.keys],
            }
            for one in series.bins
        ],
        "undated_images": series.undated_images,
    }


def series_csv(series: Series) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for one in series.bins:
        start, end = iso(one.start), iso(one.end)
        if not series.keys:
            writer.writerow((start, end, "", "", "", "", 0, one.images))
        for key in series.keys:
            aphia = "" if key.aphia_id is None else key.aphia_id
            label_id = "" if key.label_id is None else key.label_id
            count = one.counts.get(key, 0)
            writer.writerow((start, end, label_id, key.name, aphia, key.status, count, one.images))
    return out.getvalue()
