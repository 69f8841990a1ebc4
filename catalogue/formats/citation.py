"""Citations of a set: BibTeX, RIS, CSL-JSON and a formatted text (DataCite style)."""

from __future__ import annotations

import json
import re

from catalogue.formats import common
from catalogue.models import ImageSet


def _authors(s: ImageSet) -> list[dict]:
    out = []
    for creator in s.creators:
        given, family = common.split_name(creator["name"])
        if family:
            out.append({"family": family, "given": given or ""})
        else:
            out.append({"literal": creator["name"]})
    return out


def _year(s: ImageSet) -> int:
    return common.publication_date(s).year


def csl_json(image_set: ImageSet, *, base: str | None = None) -> dict:
    s = image_set
    item: dict = {
        "id": str(s.uuid),
        "type": "dataset",
        "title": s.title,
        "author": _authors(s),
        "publisher": common.publisher_name(),
        "issued": {"date-parts": [[_year(s)]]},
        "URL": common.cite_as(s, base),
    }
    if s.doi:
        item["DOI"] = s.doi
    if s.version:
        item["version"] = s.version
    if s.description:
        item["abstract"] = s.description
    if s.keywords:
        item["keyword"] = ", ".join(s.keywords)
    return item


def csl_json_text(image_set: ImageSet, *, base: str | None = None) -> str:
    return json.dumps([csl_json(image_set, base=base)], ensure_ascii=False, indent=2)


def _bibtex_escape(value: str) -> str:
    value = common.xml_text(value)
    for char in "\\{}":
        value = value.replace(char, "")
    return re.sub(r"([&%$#_])", r"\\\1", value)


def bibtex_key(s: ImageSet) -> str:
    first = s.creators[0]["name"] if s.creators else "aquacat"
    family = common.split_name(first)[1] or first
    stem = re.sub(r"[^A-Za-z0-9]", "", family)[:20] or "aquacat"
    return f"{stem}{_year(s)}_{str(s.uuid)[:8]}"


def bibtex(image_set: ImageSet, *, base: str | None = None) -> str:
    s = image_set
    fields = [
        ("author", " and ".join(c["name"] for c in s.creators)),
        ("title", s.title),
        ("publisher", common.publisher_name()),
        ("year", str(_year(s))),
        ("version", s.version),
        ("doi", s.doi),
        ("url", common.cite_as(s, base)),
        ("keywords", ", ".join(s.keywords)),
    ]
    lines = [f"@misc{{{bibtex_key(s)},"]
    lines += [f"  {k} = {{{_bibtex_escape(v)}}}," for k, v in fields if v]
    lines.append("}")
    return "\n".join(lines) + "\n"


def ris(image_set: ImageSet, *, base: str | None = None) -> str:
    s = image_set
    one_line = lambda v: " ".join(common.xml_text(v).split())  # noqa: E731
    lines = ["TY  - DATA"]
    lines += [f"AU  - {one_line(c['name'])}" for c in s.creators]
    lines += [f"TI  - {one_line(s.title)}", f"PY  - {_year(s)}", f"PB  - {common.publisher_name()}"]
    if s.version:
        lines.append(f"ET  - {one_line(s.version)}")
    if s.doi:
        lines.append(f"DO  - {s.doi}")
    lines.append(f"UR  - {common.cite_as(s, base)}")
    lines += [f"KW  - {one_line(k)}" for k in s.keywords]
    if s.description:
        lines.append(f"AB  - {one_line(s.description)}")
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


def text(image_set: ImageSet, *, base: str | None = None) -> str:
    """DataCite's form: Creator (PublicationYear). Title. Version. Publisher. Identifier."""
    s = image_set
    names = []
    for author in _authors(s):
        if "family" in author:
            initials = " ".join(f"{p[0]}." for p in author["given"].split() if p)
            names.append(f"{author['family']}, {initials}".rstrip(", "))
        else:
            names.append(author["literal"])
    who = "; ".join(names) or common.publisher_name()
    parts = [f"{who} ({_year(s)}). {s.title.rstrip('.')}."]
    if s.version:
        parts.append(f"Version {s.version}.")
    parts.append(f"{common.publisher_name()}. [Data set].")
    parts.append(common.cite_as(s, base))
    return common.xml_text(" ".join(parts))


def text_file(image_set: ImageSet, *, base: str | None = None) -> str:
    """The text citation as a file: one line, ended by a newline."""
    return text(image_set, base=base) + "\n"
