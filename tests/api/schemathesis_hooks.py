"""Schemathesis hooks for the contract run (tests/api/test_contract.py loads them with
SCHEMATHESIS_HOOKS).

A resumable upload's chunk travels as `application/offset+octet-stream` (the tus media
type), raw bytes Schemathesis has no serializer for.

The rest tells Schemathesis the rules a JSON Schema cannot state, each one named in
its operation's description: rules between fields (south <= north, time_start <=
time_end, a bounding box whole or absent, a frame rate or a scene threshold, an
embargo with its date, a review by ids or by filter), what only a lookup or a check
digit decides (ORCID and ROR check digits, WoRMS taxa, NVS terms, label names a
request refers to), and geometry that depends on the shape's type or on the image.
Only cases Schemathesis generated as valid are changed, and only so that they obey
these rules; invalid cases are sent as generated, so every refusal is still checked.
Anything else the API refuses of a valid case fails the run.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable

import schemathesis
from schemathesis.transport.serialization import serialize_binary


@schemathesis.serializer("application/offset+octet-stream")
def chunk_bytes(ctx, value) -> bytes:
    return serialize_binary(value)


Repair = Callable[[dict], None]
REPAIRS: dict[tuple[str, str], list[Repair]] = {}
QUERY_REPAIRS: dict[tuple[str, str], list[Repair]] = {}
# Label names made unique across the run (a label set refuses a name twice; 409 once
# stored), deterministically: the run is single-threaded and its order fixed.
UNIQUE = itertools.count()


def repairs(method: str, *paths: str, query: bool = False):
    def register(repair: Repair) -> Repair:
        for path in paths:
            (QUERY_REPAIRS if query else REPAIRS).setdefault((method, path), []).append(repair)
        return repair

    return register


def comparable(value):
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def ordered(data: dict, low: str, high: str, *, both_ends: bool = True) -> None:
    """low <= high; with `both_ends`, both or neither (a PATCH giving one end would
    otherwise be held to the stored other end, which a generator cannot know)."""
    if low not in data and high not in data:
        return
    if both_ends:
        data.setdefault(low, None)
        data.setdefault(high, None)
    first, second = comparable(data.get(low)), comparable(data.get(high))
    if first is not None and second is not None and first > second:
        data[low], data[high] = data[high], data[low]


# --- image sets ----------------------------------------------------------------------


@repairs("POST", "/api/v1/image-sets/")
@repairs("PATCH", "/api/v1/image-sets/{id}/")
def image_set_rules(body: dict) -> None:
    sides = ("west", "south", "east", "north")
    if any(side in body for side in sides):
        if all(isinstance(body.get(side), int | float) for side in sides):
            ordered(body, "south", "north")
        else:
            body.update(dict.fromkeys(sides))
    ordered(body, "time_start", "time_end")
    ordered(body, "depth_min", "depth_max")
    if body.get("access") in ("embargoed", "files_embargoed"):
        body["embargo_until"] = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    elif "embargo_until" in body and body["embargo_until"] is None:
        del body["embargo_until"]  # a stored embargo keeps its date
    # Check digits, WoRMS and NVS lookups, closed rings: not for a generator to guess.
    for creator in body.get("creators") or []:
        if isinstance(creator, dict):
            creator.pop("orcid", None)
            creator.pop("ror", None)
    for name in ("taxa", "related_identifiers", "funding"):
        if name in body:
            body[name] = []
    for name in ("platform_uri", "instrument_uri"):
        if name in body:
            body[name] = ""
    if body.get("polygon") is not None:
        body["polygon"] = {
            "type": "Polygon",
            "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]],
        }


# --- annotations ---------------------------------------------------------------------

# Inside every image of the contract run (each at least 3 x 3 pixels).
INSIDE = {
    "whole": [],
    "point": [1, 1],
    "circle": [1, 1, 1],
    "box": [0, 0, 2, 2],
    "rotated_box": [2, 2, 1, 1, 0],
    "polygon": [[0, 0], [2, 0], [2, 2]],
    "line": [[0, 0], [2, 2]],
}


@repairs("POST", "/api/v1/annotations/")
@repairs("PATCH", "/api/v1/annotations/{id}/")
def geometry_inside(body: dict) -> None:
    geometry = body.get("geometry")
    if isinstance(geometry, dict) and geometry.get("type") in INSIDE:
        geometry["coordinates"] = INSIDE[geometry["type"]]


@repairs("POST", "/api/v1/annotations/review/")
def review_by_ids(body: dict) -> None:
    if "filter" in body or "ids" not in body:
        body.pop("filter", None)
        body.setdefault("ids", [1])
    body.pop("revisions", None)  # keys must be among `ids`
    if body.get("action") == "relabel" and body.get("label") is None:
        body["label"] = 1  # relabel names the new label


# --- label sets ----------------------------------------------------------------------


def unique_labels(labels) -> None:
    for label in labels or []:
        if isinstance(label, dict) and isinstance(label.get("name"), str):
            label["name"] = f"{label['name'][:280]} #{next(UNIQUE)}"
            label["parent"] = ""  # a parent names a label of the set
            label["shortcut"] = ""  # one key, unique in the set


@repairs("POST", "/api/v1/label-sets/", "/api/v1/label-sets/{uuid}/labels/")
def label_names(body: dict) -> None:
    unique_labels(body.get("labels"))


@repairs("POST", "/api/v1/label-sets/{uuid}/versions/")
def version_names(body: dict) -> None:
    for name in ("rename", "merge"):
        if name in body:
            body[name] = {}  # they name labels of the version
    if "retire" in body:
        body["retire"] = []
    unique_labels(body.get("add"))


# --- search --------------------------------------------------------------------------


@repairs("GET", "/api/v1/search/", query=True)
def search_rules(query: dict) -> None:
    ordered(query, "time_from", "time_to", both_ends=False)
    ordered(query, "depth_min", "depth_max", both_ends=False)
    if query.get("bbox"):  # ranges and south <= north
        query["bbox"] = "-10,-10,10,10"
    if query.get("polygon"):  # a closed ring
        query["polygon"] = "0,0,1,0,1,1,0,0"


@repairs(
    "GET",
    "/api/v1/image-sets/{id}/timeseries/",
    "/api/v1/stations/{code}/timeseries/",
    query=True,
)
def timeseries_rules(query: dict) -> None:
    # Days that exist, `from` before `to`, and a range of at most 10,000 bins.
    for name, day in (("from", "2021-06-01"), ("to", "2021-06-30")):
        if query.get(name):
            query[name] = day


# --- jobs ----------------------------------------------------------------------------


@repairs(
    "POST",
    "/api/v1/image-sets/{id}/images/",
    "/api/v1/image-sets/{id}/uploads/",
    "/api/v1/uploads/{upload_id}/complete/",
)
def one_frame_sampling(body: dict) -> None:
    """frame_rate or scene_threshold, not both."""
    if "frame_rate" in body:
        body.pop("scene_threshold", None)


@repairs("POST", "/api/v1/jobs/")
def saved_search(body: dict) -> None:
    selection = body.get("selection")
    if isinstance(selection, dict) and "search" in selection:
        selection["search"] = {}  # its parameters are the search's (see GET /search/)


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return case
    key = (case.method.upper(), case.path)
    if isinstance(case.body, dict):
        for repair in REPAIRS.get(key, []):
            repair(case.body)
    if isinstance(case.query, dict):
        for repair in QUERY_REPAIRS.get(key, []):
            repair(case.query)
    return case
