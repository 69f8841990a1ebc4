"""Reading an InvenioRDM's REST search (/api/records, or a community's records), and
its records as ImageSet fields: the metadata, Zenodo's Darwin Core (`dwc:`) and
Audubon Core (`ac:`) custom fields, and the files it lists (by link, not copied)."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from datetime import datetime

import requests

from catalogue.harvest.mapping import APHIA_RE, Invalid, Mapped, check, licence_of, parse_date
from catalogue.harvest.oai import SourceDown, parse_datestamp
from curation.repositories.answers import retry_after

PAGE_SIZE = 100
MAX_RETRIES = 5
MAX_WAIT = 300
TAGS = re.compile(r"<[^>]+>")


def search_url(base_url: str, community: str) -> str:
    base = base_url.rstrip("/")
    return f"{base}/api/communities/{community}/records" if community else f"{base}/api/records"


def get(session: requests.Session, url: str, params: dict | None = None) -> dict:
    """One JSON answer; 429 and 503 are waited for (Retry-After) a few times."""
    for attempt in range(MAX_RETRIES + 1):
        try:
            response = session.get(url, params=params, timeout=60)
        except requests.RequestException as error:
            raise SourceDown(f"{type(error).__name__}: {error}") from error
        if response.status_code in (429, 503) and attempt < MAX_RETRIES:
            time.sleep(min(retry_after(response) or 2**attempt, MAX_WAIT))
            continue
        if response.status_code != 200:
            raise SourceDown(f"HTTP {response.status_code} from {response.url}")
        try:
            return response.json()
        except ValueError as error:
            raise SourceDown(f"not JSON from {response.url}") from error
    raise SourceDown(f"still refused after {MAX_RETRIES} retries: {url}")


def pages(
    session: requests.Session,
    base_url: str,
    *,
    community: str = "",
    query: str = "",
    since: datetime | None = None,
) -> Iterator[list[dict]]:
    """The matching public records, oldest change first, page by page."""
    terms = [f"({query})"] if query else []
    if since is not None:
        terms.append(f'updated:["{since.isoformat()}" TO *]')
    params: dict | None = {"q": " AND ".join(terms), "sort": "updated-asc", "size": PAGE_SIZE}
    url = search_url(base_url, community)
    while url:
        answer = get(session, url, params)
        yield answer.get("hits", {}).get("hits", [])
        url, params = answer.get("links", {}).get("next", ""), None


def text(value: str) -> str:
    return " ".join(html.unescape(TAGS.sub(" ", value or "")).split())


def creator(entry: dict) -> dict:
    person = entry.get("person_or_org") or {}
    found = {"name": person.get("name") or ""}
    for ident in person.get("identifiers") or []:
        if ident.get("scheme") == "orcid":
            found["orcid"] = ident.get("identifier", "")
    affiliations = [a.get("name", "") for a in entry.get("affiliations") or [] if a.get("name")]
    if affiliations:
        found["affiliation"] = affiliations[0]
    return found


def floats(values) -> list[float]:
    found = []
    for value in values or []:
        try:
            found.append(float(value))
        except (TypeError, ValueError) as error:
            raise Invalid(f"custom field value is not a number: {value!r}") from error
    return found


def mapped(record: dict) -> Mapped:
    """A record of the REST search as fields; Invalid when it cannot be a set."""
    metadata = record.get("metadata") or {}
    out = Mapped(
        doi=str((record.get("pids") or {}).get("doi", {}).get("identifier", "")).lower(),
        landing_page=(record.get("links") or {}).get("self_html", ""),
        closed=(record.get("access") or {}).get("record") != "public",
    )
    f = out.fields
    f["title"] = text(metadata.get("title", ""))[:500]
    if not f["title"]:
        raise Invalid("the record has no title")
    f["description"] = text(metadata.get("description", ""))
    f["creators"] = [c for c in map(creator, metadata.get("creators") or []) if c["name"]]
    f["keywords"] = [s["subject"] for s in metadata.get("subjects") or [] if s.get("subject")]
    f["published"] = parse_date(metadata.get("publication_date", "") or "")
    for rights in metadata.get("rights") or []:
        found = licence_of((rights.get("props") or {}).get("url", ""), rights.get("id", ""))
        if found:
            f["licence"] = found
            break
    if metadata.get("version"):
        f["version"] = str(metadata["version"])[:50]
    f["related_identifiers"] = [
        {
            "identifier": r["identifier"],
            "identifier_type": str(r.get("scheme", "")).upper(),
            "relation_type": (r.get("relation_type") or {}).get("id", ""),
        }
        for r in metadata.get("related_identifiers") or []
        if r.get("identifier")
    ]
    custom = record.get("custom_fields") or {}
    read_custom(custom, f)
    read_locations(metadata.get("locations") or {}, f)
    f["remote_files"] = files_of(record)
    check(f)
    return out


def read_custom(custom: dict, fields: dict) -> None:
    """Zenodo's dwc:/ac: fields: taxa (with their WoRMS LSIDs), event dates, a point,
    the capture device."""
    names = custom.get("dwc:scientificName") or []
    ids = custom.get("dwc:scientificNameID") or []
    taxa = []
    for index, name in enumerate(names):
        taxon: dict = {"scientific_name": name}
        found = APHIA_RE.search(ids[index]) if index < len(ids) else None
        if found:
            taxon["aphia_id"] = int(found.group(1))
        taxa.append(taxon)
    fields["taxa"] = taxa
    stated = [str(day) for day in custom.get("dwc:eventDate") or []]
    for value in custom.get("dwc:verbatimEventDate") or []:
        stated += str(value).split("/")
    days = sorted(day for day in map(parse_date, stated) if day is not None)
    if days:
        fields["time_start"] = days[0]
        fields["time_end"] = parse_date(days[-1].date().isoformat(), end=True)
    lats = floats(custom.get("dwc:decimalLatitude"))
    lons = floats(custom.get("dwc:decimalLongitude"))
    if lats and lons:
        fields.update(west=min(lons), east=max(lons), south=min(lats), north=max(lats))
    devices = custom.get("ac:captureDevice") or []
    if devices:
        fields["instrument"] = str(devices[0])[:200]


def read_locations(locations: dict, fields: dict) -> None:
    """Points of the record's locations (GeoJSON), where dwc: gave none."""
    lons, lats = [], []
    for feature in locations.get("features") or []:
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Point":
            lon, lat = floats(geometry.get("coordinates"))[:2]
            lons.append(lon)
            lats.append(lat)
    if lons and "west" not in fields:
        fields.update(west=min(lons), east=max(lons), south=min(lats), north=max(lats))


def files_of(record: dict) -> list[dict]:
    """The record's files: name, size, checksum and the link to their content."""
    files = record.get("files") or {}
    entries = files.get("entries") or {}
    rows = entries.values() if isinstance(entries, dict) else entries
    api = (record.get("links") or {}).get("files", "")
    return [
        {
            "key": entry.get("key", ""),
            "size": entry.get("size"),
            "checksum": entry.get("checksum", ""),
            "media_type": entry.get("mimetype", ""),
            "url": f"{api}/{entry.get('key', '')}/content" if api else "",
        }
        for entry in rows
        if entry.get("key")
    ]


def datestamp(record: dict):
    return parse_datestamp(record.get("updated", ""))
