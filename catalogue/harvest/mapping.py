"""A harvested record's metadata (DataCite XML, or Dublin Core) as ImageSet fields.

Elements are matched by local name, so DataCite kernel-3 and kernel-4 (and the
`oai_datacite` wrapper) read alike. What DataCite has no property for (instrument,
platform, depth) is read from a TechnicalInfo description as catalogue/formats/
datacite.py writes it, and from relatedItems of type Instrument (DataCite 4.5)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from lxml import etree

from catalogue.vocabularies import licences
from catalogue.vocabularies.nvs import lookups as nvs

DOI_RE = re.compile(r"^(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.I)
APHIA_RE = re.compile(r"(?:taxname:|[?&]id=|AphiaID[= ]?)(\d+)", re.I)
DEPTH_RE = re.compile(r"Depth:\s*(-?[\d.]+)\s*to\s*(-?[\d.]+)\s*m", re.I)
TECHNICAL_RE = re.compile(r"(Instrument|Platform|Research infrastructure):\s*([^.]+)\.")
BOX_RE = re.compile(r"(westlimit|southlimit|eastlimit|northlimit)=\s*(-?[\d.]+)")
CLOSED_ACCESS = ("info:eu-repo/semantics/restrictedAccess", "info:eu-repo/semantics/closedAccess")


class Invalid(ValueError):
    """The record cannot become a set; the message says why."""


@dataclass
class Mapped:
    """What a record says, as ImageSet fields, and whether its source closed it."""

    fields: dict = field(default_factory=dict)
    doi: str = ""
    landing_page: str = ""
    closed: bool = False


def local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def children(element, name: str) -> list:
    return [child for child in element.iter() if local(child) == name]


def text(element) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def by_name(element) -> dict[str, list]:
    """Every element under `element` by local name (one walk, not one per name)."""
    found: dict[str, list] = {}
    for child in element.iter():
        name = local(child)
        if name:
            found.setdefault(name, []).append(child)
    return found


def first(element, name: str) -> str:
    found = children(element, name)
    return text(found[0]) if found else ""


# The plain shape of nearly every link a harvest meets (four an image): taken without
# urlsplit, which cost most of the mapping of an AquaCat's image rows. Whatever it
# accepts, urlsplit accepts too; anything else is asked of urlsplit.
PLAIN_WEB_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][!-~]*)?\Z")


def web_url(value: str) -> bool:
    """An http(s) URL with a host: what a remote may give us to link to (a
    `javascript:` or `data:` link from a hostile record would run in our pages)."""
    if PLAIN_WEB_URL.match(value):
        return True
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def normalise_doi(value: str) -> str:
    match = DOI_RE.match(value.strip())
    return match.group(1).lower() if match else ""


def licence_of(uri: str, identifier: str = "") -> str:
    """Our SPDX id for a licence named by its SPDX id or URL, or ""."""
    known = licences()
    if identifier:
        for spdx_id in known:
            if spdx_id.lower() == identifier.strip().lower():
                return spdx_id
    # Creative Commons URLs come with or without their /legalcode page.
    wanted = uri.strip().rstrip("/").replace("http://", "https://").lower()
    wanted = wanted.removesuffix("/legalcode")
    for spdx_id, entry in known.items():
        if wanted and entry["url"].rstrip("/").lower() == wanted:
            return spdx_id
    return ""


def parse_date(value: str, end: bool = False) -> datetime | None:
    """A DataCite/W3CDTF date (YYYY, YYYY-MM, YYYY-MM-DD or a full datetime), or None."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}", value):
            day = date(int(value), 12, 31) if end else date(int(value), 1, 1)
        elif re.fullmatch(r"\d{4}-\d{2}", value):
            year, month = (int(p) for p in value.split("-"))
            day = date(year, month, 28 if end else 1)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, 23 if end else 0, 59 if end else 0, tzinfo=UTC)


def number(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError as error:
        raise Invalid(f"{name} is not a number: {value!r}") from error


def datacite(resource) -> Mapped:
    """A DataCite `resource` element (or any element holding one) as fields."""
    out = Mapped()
    f = out.fields
    named = by_name(resource)
    f["title"] = text(named["title"][0]) if named.get("title") else ""
    creators = []
    for creator in named.get("creator", []):
        entry = {"name": first(creator, "creatorName")}
        for ident in children(creator, "nameIdentifier"):
            if ident.get("nameIdentifierScheme", "").upper() == "ORCID":
                entry["orcid"] = text(ident).rsplit("/", 1)[-1]
        affiliation = first(creator, "affiliation")
        if affiliation:
            entry["affiliation"] = affiliation
        if entry["name"]:
            creators.append(entry)
    f["creators"] = creators
    for ident in named.get("identifier", []):
        if ident.get("identifierType", "").upper() == "DOI":
            out.doi = normalise_doi(text(ident))
    for ident in named.get("alternateIdentifier", []):
        if ident.get("alternateIdentifierType", "").upper() == "URL" and not out.landing_page:
            out.landing_page = text(ident)
    descriptions = []
    for description in named.get("description", []):
        kind = description.get("descriptionType", "")
        if kind == "TechnicalInfo":
            read_technical(text(description), f)
        elif kind in ("Abstract", "Other", "Methods", ""):
            descriptions.append(text(description))
    f["description"] = "\n\n".join(d for d in descriptions if d)
    keywords: list[str] = []
    taxa: list[dict] = []
    for subject in named.get("subject", []):
        value = text(subject)
        scheme = (subject.get("subjectScheme") or "").lower()
        aphia = APHIA_RE.search(subject.get("valueURI", "") or subject.get("valueUri", ""))
        aphia = aphia or APHIA_RE.search(subject.get("classificationCode", ""))
        if value and (scheme == "worms" or aphia):
            taxon: dict = {"scientific_name": value}
            if aphia:
                taxon["aphia_id"] = int(aphia.group(1))
            taxa.append(taxon)
        elif value and value not in keywords:
            keywords.append(value)
    f["keywords"], f["taxa"] = keywords, taxa
    for when in named.get("date", []):
        kind = when.get("dateType", "")
        value = text(when)
        if kind == "Collected":
            start, _, end = value.partition("/")
            f["time_start"] = parse_date(start) if start else None
            f["time_end"] = parse_date(end or start, end=True) if (end or start) else None
        elif kind == "Issued" and "published" not in f:
            f["published"] = parse_date(value)
    if "published" not in f:
        year = text(named["publicationYear"][0]) if named.get("publicationYear") else ""
        f["published"] = parse_date(year) if year else None
    related = []
    for item in named.get("relatedIdentifier", []):
        if text(item) and item.get("relatedIdentifierType") and item.get("relationType"):
            related.append(
                {
                    "identifier": text(item),
                    "identifier_type": item.get("relatedIdentifierType"),
                    "relation_type": item.get("relationType"),
                }
            )
    f["related_identifiers"] = related
    for item in named.get("relatedItem", []):
        if item.get("relatedItemType") == "Instrument":
            read_instrument(first(item, "title"), first(item, "relatedItemIdentifier"), f)
    for rights in named.get("rights", []):
        uri = rights.get("rightsURI") or rights.get("rightsUri") or ""
        if uri in CLOSED_ACCESS:
            out.closed = True
        licence = licence_of(uri, rights.get("rightsIdentifier", ""))
        if licence and "licence" not in f:
            f["licence"] = licence
    version = text(named["version"][0]) if named.get("version") else ""
    if version:
        f["version"] = version[:50]
    read_geolocations(named, f)
    return out


def read_technical(value: str, fields: dict) -> None:
    """Instrument, platform, research infrastructure and depth, as our DataCite writes them."""
    for name, found in TECHNICAL_RE.findall(value):
        key = name.lower().replace(" ", "_")
        fields.setdefault(key, found.strip()[:200])
    depth = DEPTH_RE.search(value)
    if depth:
        fields["depth_min"] = number(depth.group(1), "depth")
        fields["depth_max"] = number(depth.group(2), "depth")


def read_instrument(label: str, uri: str, fields: dict) -> None:
    """A relatedItem Instrument: an NVS device (L22) is the instrument, a platform
    class (L06) the platform; the label names it where NVS does not."""
    canonical = nvs.normalise_uri(uri) if uri else None
    collection = nvs.collection_of(canonical) if canonical else None
    key = "platform" if collection == "L06" else "instrument"
    if canonical:
        fields[f"{key}_uri"] = canonical
        fields[key] = nvs.label(canonical) or label
    elif label:
        fields.setdefault(key, label[:200])


def read_geolocations(named: dict[str, list], fields: dict) -> None:
    """The bounding box of every geoLocationBox and geoLocationPoint."""
    lons: list[float] = []
    lats: list[float] = []
    for box in named.get("geoLocationBox", []):
        parts = {local(child): text(child) for child in box}
        if set(parts) >= {"westBoundLongitude", "eastBoundLongitude"}:
            lons += [number(parts["westBoundLongitude"], "westBoundLongitude")]
            lons += [number(parts["eastBoundLongitude"], "eastBoundLongitude")]
            lats += [number(parts["southBoundLatitude"], "southBoundLatitude")]
            lats += [number(parts["northBoundLatitude"], "northBoundLatitude")]
        elif text(box):  # kernel-3: "south west north east"
            south, west, north, east = (number(v, "geoLocationBox") for v in text(box).split())
            lons += [west, east]
            lats += [south, north]
    for point in named.get("geoLocationPoint", []):
        parts = {local(child): text(child) for child in point}
        if "pointLongitude" in parts:
            lons.append(number(parts["pointLongitude"], "pointLongitude"))
            lats.append(number(parts["pointLatitude"], "pointLatitude"))
    if lons:
        fields.update(west=min(lons), east=max(lons), south=min(lats), north=max(lats))


def dublin_core(metadata) -> Mapped:
    """Simple Dublin Core (oai_dc) as fields: less than DataCite says."""
    out = Mapped()
    values: dict[str, list[str]] = {}
    for element in metadata.iter():
        if local(element) and text(element):
            values.setdefault(local(element), []).append(text(element))
    f = out.fields
    f["title"] = (values.get("title") or [""])[0]
    f["creators"] = [{"name": name} for name in values.get("creator", [])]
    f["description"] = "\n\n".join(values.get("description", []))
    f["keywords"] = list(dict.fromkeys(values.get("subject", [])))
    dates = [parse_date(value) for value in values.get("date", [])]
    f["published"] = next((d for d in dates if d), None)
    for value in values.get("identifier", []) + values.get("relation", []):
        doi = normalise_doi(value)
        if doi and not out.doi and value in values.get("identifier", []):
            out.doi = doi
        elif value.startswith("http") and not out.landing_page and "doi.org" not in value:
            out.landing_page = value
    for value in values.get("rights", []):
        if value in CLOSED_ACCESS:
            out.closed = True
        licence = licence_of(value)
        if licence:
            f.setdefault("licence", licence)
    for value in values.get("coverage", []):
        box = dict(BOX_RE.findall(value))
        if len(box) == 4:
            f.update(
                west=number(box["westlimit"], "westlimit"),
                south=number(box["southlimit"], "southlimit"),
                east=number(box["eastlimit"], "eastlimit"),
                north=number(box["northlimit"], "northlimit"),
            )
    return out


RANGES = {"west": 180, "east": 180, "south": 90, "north": 90}


def check(fields: dict) -> None:
    """What the set table's constraints require, checked here so a record breaking
    them is skipped with every reason (the database would refuse it with one)."""
    problems = [
        f"{name} {fields[name]:g} is outside -{limit}..{limit}"
        for name, limit in RANGES.items()
        if fields.get(name) is not None and abs(fields[name]) > limit
    ]
    for low, high in (("south", "north"), ("time_start", "time_end"), ("depth_min", "depth_max")):
        both = fields.get(low) is not None and fields.get(high) is not None
        if both and fields[low] > fields[high]:
            problems.append(f"{low} is after {high}")
    if problems:
        raise Invalid("; ".join(problems))


def mapped(metadata, prefix: str) -> Mapped:
    """The record's `metadata` element in the format `prefix`, as fields; Invalid
    when it says too little to be a set."""
    if metadata is None:
        raise Invalid("the record has no metadata")
    out = dublin_core(metadata) if prefix == "oai_dc" else datacite(metadata)
    if not out.fields.get("title"):
        raise Invalid("the record has no title")
    if out.fields["title"] and len(out.fields["title"]) > 500:
        out.fields["title"] = out.fields["title"][:500]
    check(out.fields)
    return out
