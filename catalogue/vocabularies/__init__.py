"""Controlled vocabularies bundled with AquaCat, and validators for identifiers."""

import json
import re
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError

HERE = Path(__file__).resolve().parent


@cache
def licences() -> dict[str, dict]:
    """SPDX licences offered for image sets, by SPDX id (a subset of the SPDX list)."""
    return {entry["id"]: entry for entry in json.loads((HERE / "licences.json").read_text())}


def licence_choices() -> list[tuple[str, str]]:
    return [(spdx_id, entry["name"]) for spdx_id, entry in licences().items()]


ORCID_RE = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
ROR_RE = re.compile(r"^(?:https?://ror\.org/)?(0[a-hj-km-np-tv-z0-9]{6}\d{2})$")


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 MOD 11-2, as ORCID specifies for its last character."""
    digits = orcid.replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def normalise_orcid(value: str, field: str = "orcid") -> str:
    """The bare ORCID iD (0000-0002-1825-0097) or a ValidationError naming the field."""
    match = ORCID_RE.match(value.strip())
    if not match:
        raise ValidationError({field: f"{value!r} is not an ORCID iD (0000-0000-0000-0000)"})
    if not orcid_checksum_ok(match.group(1)):
        raise ValidationError({field: f"{value!r} fails the ORCID checksum"})
    return match.group(1)


def normalise_ror(value: str, field: str = "ror") -> str:
    match = ROR_RE.match(value.strip())
    if not match:
        raise ValidationError({field: f"{value!r} is not a ROR id (e.g. 0342dzm54)"})
    return match.group(1)
