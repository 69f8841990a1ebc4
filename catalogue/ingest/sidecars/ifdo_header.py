"""The iFDO image-set-header mapped to AquaCat set fields, the rest kept as "extra".

v1 bare names and v2 {name, uri} become {"name", "uri"}; persons become {"name",
"orcid", "uri"}; a platform's or sensor's uri is checked against NVS. A licence
given by name rather than SPDX id ("CC-BY", "CC BY 4.0", a Creative Commons uri) is
read as its SPDX id (catalogue/vocabularies), with a warning.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars.ifdo_position import (
    _IFDO_POSITION,
    _check_crs,
    _ifdo_depth,
    _ifdo_position,
)
from catalogue.ingest.sidecars.values import short
from catalogue.vocabularies import licences, nvs

#: Header keys that describe the set, with their AquaCat set field. They are
#: not copied into each image's fields unless the item itself sets them.
_IFDO_SET_FIELDS = {
    "image-set-name": "title",
    "image-set-uuid": "uuid",
    "image-set-handle": "handle",
    "image-abstract": "description",
    "image-license": "licence",
    "image-copyright": "copyright",
    "image-creators": "creators",
    "image-pi": "pi",
    "image-project": "project",
    "image-event": "event",
    "image-platform": "platform",
    "image-sensor": "instrument",
    "image-context": "context",
}
_ORCID = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]")
_CC_URI = re.compile(
    r"creativecommons\.org/(?:licenses/(?P<kind>[a-z-]+)/(?P<version>\d\.\d)"
    r"|publicdomain/(?P<zero>zero)/1\.0)",
    re.I,
)
_CC_NAME = re.compile(r"CC[- ]?(?P<kind>0|BY(?:[- ](?:NC|SA|ND))*)(?:[- ]?(?P<version>\d\.\d))?")
#: The version a Creative Commons name without one is taken to mean: the current one.
_CC_CURRENT = "4.0"


def spdx_licence(value: str, uri: str | None) -> tuple[str, str]:
    """The SPDX id a licence name (or its Creative Commons uri) stands for, and a
    warning when it had to be read (\"\" when the name was the id); ("", "") when unknown."""
    known = {spdx.upper(): spdx for spdx in licences()}
    text = value.strip()
    if text.upper() in known:
        return known[text.upper()], ""
    found = _CC_URI.search(uri or "")
    if found:
        spdx = "CC0-1.0" if found["zero"] else f"CC-{found['kind'].upper()}-{found['version']}"
        how = f"from its uri {uri!r}"
    else:
        named = _CC_NAME.fullmatch(text.upper().replace("_", "-"))
        if named is None:
            return "", ""
        kind = named["kind"].replace(" ", "-")
        if kind == "0":
            spdx, how = "CC0-1.0", "Creative Commons Zero"
        else:
            version = named["version"] or _CC_CURRENT
            spdx = f"CC-{kind}-{version}"
            how = "its current version" if not named["version"] else "its SPDX id"
    if spdx.upper() not in known:
        return "", ""
    return known[spdx.upper()], f"{text!r} is not an SPDX id; read as {spdx} ({how})"


def _text(header: dict[str, Any], key: str, where: str, name: str) -> str | None:
    value = header.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise IngestError(name, f"{where}, field {key}: expected text, got {type(value).__name__}")
    return value.strip() or None


def _named(header: dict[str, Any], key: str, where: str, name: str) -> dict[str, Any] | None:
    """v1 gives a bare name, v2 a {name, uri}; both become {"name", "uri"}."""
    value = header.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return {"name": value.strip(), "uri": None}
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        uri = value.get("uri")
        return {"name": value["name"].strip(), "uri": uri if isinstance(uri, str) else None}
    raise IngestError(name, f"{where}, field {key}: expected a name or {{name, uri}}")


def _person(value: Any, where: str, key: str, name: str) -> dict[str, Any]:
    """v1 {name, orcid} and v2 {name, uri} (an ORCID URL) both become {"name", "orcid", "uri"}."""
    if isinstance(value, str):
        return {"name": value.strip(), "orcid": None, "uri": None}
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        uri = value.get("uri") if isinstance(value.get("uri"), str) else None
        found = _ORCID.search(str(value.get("orcid") or uri or ""))
        return {
            "name": value["name"].strip(),
            "orcid": found.group(0) if found else None,
            "uri": uri,
        }
    raise IngestError(name, f"{where}, field {key}: expected a person as {{name, orcid or uri}}")


def _term_uri(kind: nvs.Kind, named: dict[str, Any], where: str, warnings: list[str]) -> str | None:
    """The NVS term a platform's or sensor's uri names, canonical; None, with a
    warning, for a uri the set's field cannot take (another vocabulary, a handle of
    the institute's own equipment list): the set keeps the name alone."""
    try:
        return nvs.check_uri(kind, named["uri"])
    except nvs.TermError as error:
        warnings.append(
            f"{where}: {error} The set's {kind.label_field} keeps the name "
            f"{named['name']!r} without this uri."
        )
        return None


def _ifdo_set_fields(header: dict[str, Any], name: str, warnings: list[str]) -> dict[str, Any]:
    """The header mapped to AquaCat set fields; the rest kept under "extra"."""
    where = "image-set-header"
    for required in ("image-set-name", "image-set-uuid"):
        if header.get(required) in (None, ""):
            raise IngestError(name, f"{where}: {required} is missing (iFDO requires it)")
    out: dict[str, Any] = {"title": _text(header, "image-set-name", where, name)}
    raw_uuid = header["image-set-uuid"]
    try:
        out["uuid"] = str(uuid.UUID(str(raw_uuid).strip()))
    except ValueError:
        raise IngestError(
            name, f"{where}, field image-set-uuid: {short(raw_uuid)} is not a UUID"
        ) from None
    for key in ("image-set-handle", "image-abstract", "image-copyright"):
        value = _text(header, key, where, name)
        if value is not None:
            out[_IFDO_SET_FIELDS[key]] = value
    licence = _named(header, "image-license", where, name)
    if licence is not None:
        spdx, warning = spdx_licence(licence["name"], licence["uri"])
        if warning:
            warnings.append(f"{where}, field image-license: {warning}")
        elif not spdx:
            warnings.append(
                f"{where}, field image-license: {licence['name']!r} is no SPDX licence id "
                "AquaCat knows; the set's licence is left to be chosen"
            )
        out["licence"] = {**licence, "name": spdx or licence["name"]}
    for key in (
        "image-project",
        "image-event",
        "image-platform",
        "image-sensor",
        "image-context",
    ):
        named = _named(header, key, where, name)
        if named is not None:
            out[_IFDO_SET_FIELDS[key]] = named
            kind = nvs.KINDS.get(_IFDO_SET_FIELDS[key])
            if kind is not None and named["uri"]:
                named["uri"] = _term_uri(kind, named, f"{where}, field {key}", warnings)
    creators = header.get("image-creators")
    if creators is not None:
        if isinstance(creators, dict | str):
            creators = [creators]
        if not isinstance(creators, list):
            raise IngestError(name, f"{where}, field image-creators: expected a list of persons")
        out["creators"] = [_person(c, where, "image-creators", name) for c in creators]
    if header.get("image-pi") is not None:
        out["pi"] = _person(header["image-pi"], where, "image-pi", name)

    captured_at, lat, lon = _ifdo_position(header, where, name)
    depth = _ifdo_depth(header, where, name)
    defaults = {"latitude": lat, "longitude": lon, "depth_min": depth, "depth_max": depth}
    out.update({k: v for k, v in defaults.items() if v is not None})
    if captured_at is not None:
        out["captured_at"] = captured_at
    _check_crs(header, where, name, warnings)
    out["extra"] = {
        k: v for k, v in header.items() if k not in _IFDO_SET_FIELDS and k not in _IFDO_POSITION
    }
    return out
