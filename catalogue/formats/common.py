"""What every metadata format shares: safe text, URLs, licences, names.

Every format reads the catalogue models through these helpers so that a title
or a licence is written the same way in DataCite, Dublin Core, schema.org,
DCAT and citations.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import PurePosixPath
from typing import overload

from django.conf import settings
from django.urls import reverse

from catalogue import geometry
from catalogue.models import Access, ImageSet
from catalogue.vocabularies import licences

# Characters XML 1.0 forbids (C0 controls except tab, LF, CR; surrogates; U+FFFE/FFFF).
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ORCID_URL = "https://orcid.org/"
ROR_URL = "https://ror.org/"
DOI_URL = "https://doi.org/"
SPDX_URL = "https://spdx.org/licenses/"
WORMS_URL = "https://www.marinespecies.org/"

# Keyed by Access, looked up with ImageSet.access (the stored string).
ACCESS_RIGHTS: dict[str, str] = {
    Access.OPEN: "info:eu-repo/semantics/openAccess",
    Access.EMBARGOED: "info:eu-repo/semantics/embargoedAccess",
    Access.FILES_EMBARGOED: "info:eu-repo/semantics/embargoedAccess",
    Access.RESTRICTED: "info:eu-repo/semantics/restrictedAccess",
}
# EU vocabulary of access rights, for DCAT-AP.
EU_ACCESS_RIGHTS: dict[str, str] = {
    Access.OPEN: "http://publications.europa.eu/resource/authority/access-right/PUBLIC",
    Access.EMBARGOED: "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC",
    Access.FILES_EMBARGOED: (
        "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC"
    ),
    Access.RESTRICTED: "http://publications.europa.eu/resource/authority/access-right/RESTRICTED",
}


def xml_text(value) -> str:
    """Text that can always be put into XML 1.0: forbidden characters removed.

    Markup (`<b>`) stays as text; the serialiser escapes it.
    """
    if value is None:
        return ""
    return _XML_FORBIDDEN.sub("", str(value))


def base_url(base: str | None = None) -> str:
    return (base or settings.SITE_URL).rstrip("/") + "/"


_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


@lru_cache(maxsize=64)
def _route(name: str, fmt: str | None = None) -> str:
    """A route with a placeholder uuid: reversing once per name keeps harvests fast."""
    kwargs = {"uuid": _PLACEHOLDER, **({"fmt": fmt} if fmt else {})}
    return reverse(f"catalogue:{name}", kwargs=kwargs).lstrip("/")


def landing_url(image_set: ImageSet, base: str | None = None) -> str:
    path = _route("set-landing").replace(_PLACEHOLDER, str(image_set.uuid))
    return base_url(base) + path


def metadata_url(image_set: ImageSet, fmt: str, base: str | None = None) -> str:
    path = _route("set-metadata", fmt).replace(_PLACEHOLDER, str(image_set.uuid))
    return base_url(base) + path


def doi_url(image_set: ImageSet) -> str | None:
    return f"{DOI_URL}{image_set.doi}" if image_set.doi else None


def cite_as(image_set: ImageSet, base: str | None = None) -> str:
    """The persistent identifier to cite: the DOI when there is one, else the landing page."""
    return doi_url(image_set) or landing_url(image_set, base)


def licence(image_set: ImageSet) -> dict:
    """{"id", "name", "url", "spdx_url"} of the set's SPDX licence."""
    entry = licences().get(image_set.licence, {})
    return {
        "id": image_set.licence,
        "name": entry.get("name", image_set.licence),
        "url": entry.get("url") or f"{SPDX_URL}{image_set.licence}.html",
        "spdx_url": f"{SPDX_URL}{image_set.licence}.html",
    }


def split_name(name: str) -> tuple[str | None, str | None]:
    """(given, family) of "Family, Given"; (None, None) when the name is not inverted."""
    if "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
        return (given or None), (family or None)
    return None, None


def is_person(creator: dict) -> bool:
    return bool(creator.get("orcid")) or "," in creator.get("name", "")


def orcid_url(creator: dict) -> str | None:
    return f"{ORCID_URL}{creator['orcid']}" if creator.get("orcid") else None


def ror_url(creator: dict) -> str | None:
    return f"{ROR_URL}{creator['ror']}" if creator.get("ror") else None


def worms_url(aphia_id) -> str:
    return f"{WORMS_URL}aphia.php?p=taxdetails&id={aphia_id}"


def worms_lsid(aphia_id) -> str:
    return f"urn:lsid:marinespecies.org:taxname:{aphia_id}"


def nvs_collection(term_uri: str) -> str:
    """The NVS collection of a term: .../collection/L22/current/TOOL1581/ -> .../L22/current/."""
    return term_uri.rstrip("/").rsplit("/", 1)[0] + "/"


def nvs_code(term_uri: str) -> str:
    """The term's identifier within its collection (TOOL1581)."""
    return term_uri.rstrip("/").rsplit("/", 1)[-1]


def publisher_name() -> str:
    return settings.AQUACAT_PUBLISHER


def contact_email() -> str | None:
    """Whom to write about the portal's records: its first OAI-PMH administrator."""
    return next(iter(settings.OAI_ADMIN_EMAILS), None)


def coverage_wkt(image_set: ImageSet) -> str | None:
    """The set's coverage as WKT: its polygon, else its box."""
    if image_set.polygon:
        return geometry.polygon_wkt(geometry.outer_ring(image_set.polygon))
    box = bbox(image_set)
    return geometry.bbox_wkt(box) if box is not None else None


def publication_date(image_set: ImageSet) -> date:
    """When the set was (or, under embargo, will be) made public."""
    if image_set.access == Access.EMBARGOED and image_set.embargo_until:
        return image_set.embargo_until
    return (image_set.created or datetime.now()).date()


@overload
def iso(value: datetime | date) -> str: ...
@overload
def iso(value: None) -> None: ...
def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def bbox(image_set: ImageSet) -> tuple[float, float, float, float] | None:
    """(west, south, east, north), or None unless all four are known."""
    west, south, east, north = image_set.west, image_set.south, image_set.east, image_set.north
    if west is None or south is None or east is None or north is None:
        return None
    return west, south, east, north


def has_bbox(image_set: ImageSet) -> bool:
    return bbox(image_set) is not None


def modality_label(image_set: ImageSet) -> str:
    return image_set.get_modality_display() if image_set.modality else ""


def entry_path(pk: int, file_name: str, used: set[str]) -> str:
    """An image's path in a deposit (inside its package, and its iFDO item's name):
    its file name made safe (no `..`, no backslash, no absolute path) and unique
    among `used`, a second image of the same name getting `-<id>` before its suffix.
    Given the set's images in file-name-then-id order, packaging and the iFDO name
    every image alike."""
    name = file_name
    if "\\" in name or any(part in {"", ".", ".."} for part in name.split("/")):
        parts = [
            part
            for part in PurePosixPath(name.replace("\\", "/")).parts
            if part not in {"", ".", "..", "/"}
        ]
        name = "/".join(parts) or f"image-{pk}"
    if name in used:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem}-{pk}.{suffix}" if dot and "/" not in suffix else f"{name}-{pk}"
    used.add(name)
    return name
