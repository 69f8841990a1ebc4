"""Simple Dublin Core in the OAI-PMH `oai_dc` container."""

from __future__ import annotations

from lxml import etree

from catalogue.formats import common
from catalogue.models import ImageSet

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI}


def elements(image_set: ImageSet, *, base: str | None = None) -> list[tuple[str, str]]:
    """(element, value) pairs in Dublin Core order."""
    s = image_set
    lic = common.licence(s)
    out: list[tuple[str, str]] = [("title", s.title)]
    out += [("creator", c["name"]) for c in s.creators]
    out += [("subject", k) for k in s.keywords]
    out += [("subject", t["scientific_name"]) for t in s.taxa]
    if s.description:
        out.append(("description", s.description))
    out.append(("publisher", common.publisher_name()))
    out.append(("date", common.publication_date(s).isoformat()))
    out += [("type", "Dataset"), ("type", "Image")]
    out.append(("identifier", common.cite_as(s, base)))
    if s.doi:
        out.append(("identifier", common.landing_url(s, base)))
    out += [("relation", r["identifier"]) for r in s.related_identifiers if r.get("identifier")]
    if common.has_bbox(s):
        out.append(
            (
                "coverage",
                f"westlimit={s.west}; southlimit={s.south}; "
                f"eastlimit={s.east}; northlimit={s.north}",
            )
        )
    if s.time_start or s.time_end:
        out.append(("coverage", f"{common.iso(s.time_start) or ''}/{common.iso(s.time_end) or ''}"))
    out.append(("rights", lic["url"]))
    out.append(("rights", common.ACCESS_RIGHTS[s.access]))
    return [(name, common.xml_text(value)) for name, value in out]


def to_element(image_set: ImageSet, *, base: str | None = None) -> etree._Element:
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap=NSMAP)
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC_NS} {SCHEMA}")
    for name, value in elements(image_set, base=base):
        etree.SubElement(root, f"{{{DC_NS}}}{name}").text = value
    return root


def to_xml(image_set: ImageSet, *, base: str | None = None) -> bytes:
    return etree.tostring(
        to_element(image_set, base=base), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
