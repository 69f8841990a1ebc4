"""How FAIR a set's metadata is: what DataCite requires, and what helps people find it.

DataCite 4.5 has six mandatory properties. Three are always filled in by AquaCat
and need nothing from the curator (see catalogue/formats/datacite.py):

- Identifier: the DOI given at publication; before that DataCite's "(:tba)".
- Publisher: the portal (settings.AQUACAT_PUBLISHER).
- ResourceType: always Dataset / Image.

PublicationYear is derived too (the creation year, or the embargo's end), and
Title is required by the model, so the one mandatory property a curator can
leave out is Creator (DataCite would get "(:unkn)"). The recommended checks
below are what search, harvesters and reusers look for; each names the form
field that fixes it, so a checklist can link straight to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from catalogue.models import ImageSet

MANDATORY_WEIGHT = 3
RECOMMENDED_WEIGHT = 1


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    mandatory: bool
    done: bool
    field: str  # the id of the form control (or fieldset) that supplies it
    automatic: bool = False  # derived by AquaCat, nothing for the curator to do
    hint: str = ""

    @property
    def weight(self) -> int:
        return MANDATORY_WEIGHT if self.mandatory else RECOMMENDED_WEIGHT


@dataclass(frozen=True)
class Completeness:
    checks: list[Check] = field(default_factory=list)

    @property
    def score(self) -> int:
        """0-100, mandatory properties weighing three times a recommended one."""
        total = sum(c.weight for c in self.checks)
        done = sum(c.weight for c in self.checks if c.done)
        return round(100 * done / total) if total else 100

    @property
    def missing(self) -> list[Check]:
        return [c for c in self.checks if not c.done]

    @property
    def missing_mandatory(self) -> list[Check]:
        return [c for c in self.missing if c.mandatory]

    @property
    def missing_recommended(self) -> list[Check]:
        return [c for c in self.missing if not c.mandatory]

    @property
    def mandatory_complete(self) -> bool:
        return not self.missing_mandatory

    @property
    def level(self) -> str:
        """For styling: "low" while a mandatory property is missing, else by score."""
        if not self.mandatory_complete or self.score < 50:
            return "low"
        return "high" if self.score >= 85 else "medium"


def _text(value) -> bool:
    return bool(str(value or "").strip())


def completeness(image_set: ImageSet) -> Completeness:
    s = image_set
    creators = [c for c in (s.creators or []) if isinstance(c, dict)]
    taxa = [t for t in (s.taxa or []) if isinstance(t, dict)]
    bbox = all(v is not None for v in (s.west, s.south, s.east, s.north)) or bool(s.polygon)
    related = [
        r
        for r in (s.related_identifiers or [])
        if isinstance(r, dict) and r.get("identifier") and r.get("relation_type")
    ]
    checks = [
        # --- DataCite mandatory ------------------------------------------------------
        Check("title", "Title", True, _text(s.title), "id_title"),
        Check(
            "creators",
            "Creators",
            True,
            any(_text(c.get("name")) for c in creators),
            "creators",
            hint="people or organisations who made the data, in citation order",
        ),
        Check(
            "identifier",
            "Identifier (DOI)",
            True,
            True,
            "",
            automatic=True,
            hint=f"DOI {s.doi}" if s.doi else "a DOI is assigned when the set is published",
        ),
        Check("publisher", "Publisher", True, True, "", automatic=True, hint="this portal"),
        Check(
            "publication_year",
            "Publication year",
            True,
            True,
            "",
            automatic=True,
            hint="from the creation date, or the end of an embargo",
        ),
        Check(
            "resource_type",
            "Resource type",
            True,
            True,
            "",
            automatic=True,
            hint="Dataset / Image",
        ),
        # --- recommended: what makes the set findable and reusable -----------------------
        Check("description", "Description", False, _text(s.description), "id_description"),
        Check("keywords", "Keywords", False, bool(s.keywords), "id_keywords"),
        Check(
            "taxa",
            "Taxa with WoRMS AphiaIDs",
            False,
            bool(taxa) and all(t.get("aphia_id") for t in taxa),
            "taxa",
        ),
        Check(
            "orcids",
            "ORCID iDs of the creators",
            False,
            bool(creators) and all(c.get("orcid") for c in creators if _is_person(c)),
            "creators",
            hint="every personal creator (written Family, Given) has an ORCID iD",
        ),
        Check("licence", "Licence", False, _text(s.licence), "id_licence"),
        Check("bbox", "Spatial coverage (bounding box)", False, bbox, "id_west"),
        Check(
            "time",
            "Temporal coverage",
            False,
            s.time_start is not None or s.time_end is not None,
            "id_time_start",
        ),
        Check(
            "depth",
            "Depth range",
            False,
            s.depth_min is not None or s.depth_max is not None,
            "id_depth_min",
        ),
        Check(
            "instrument",
            "Instrument and platform",
            False,
            _text(s.instrument) and _text(s.platform),
            "id_instrument" if not _text(s.instrument) else "id_platform",
        ),
        Check(
            "related",
            "Related identifiers",
            False,
            bool(related),
            "related",
            hint="papers, protocols or data this set comes from or supports",
        ),
    ]
    return Completeness(checks)


def _is_person(creator: dict) -> bool:
    """As the DataCite export decides: "Family, Given" or an ORCID iD means a person."""
    return bool(creator.get("orcid")) or "," in str(creator.get("name", ""))
