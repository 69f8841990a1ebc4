"""The landing page's downloads and citation switch, read from the format registry.

Downloads are every format of `catalogue.formats.registry.FORMATS`, in their
groups and order, then the RO-Crate zip. The citation switch shows four of the
citation formats inline, each linked to its download.
"""

from __future__ import annotations

from django.urls import reverse

from catalogue.formats import citation, rocrate
from catalogue.formats.registry import FORMATS, MetadataFormat
from catalogue.models import ImageSet

#: The citation formats the page renders and switches between (format key, label, download).
CITATION_FORMATS = [
    ("text", "Text", "txt"),
    ("bibtex", "BibTeX", "bib"),
    ("ris", "RIS", "ris"),
    ("csl", "CSL-JSON", "csl.json"),
]


def _metadata_path(image_set: ImageSet, key: str) -> str:
    return reverse("catalogue:set-metadata", kwargs={"uuid": image_set.uuid, "fmt": key})


def citations(image_set: ImageSet, base: str) -> list[dict]:
    """The citation switch: each format's text, inline, and where to download it."""
    bodies = {
        "text": citation.text(image_set, base=base),
        "bibtex": citation.bibtex(image_set, base=base),
        "ris": citation.ris(image_set, base=base).replace("\r\n", "\n"),
        "csl": citation.csl_json_text(image_set, base=base),
    }
    return [
        {
            "key": key,
            "label": label,
            "body": bodies[key],
            "url": _metadata_path(image_set, fmt),
            "file": FORMATS[fmt].file_name,
        }
        for key, label, fmt in CITATION_FORMATS
    ]


def downloads(image_set: ImageSet, *, files: bool = True) -> list[dict]:
    """Every metadata format the set can be had in, grouped, plus the RO-Crate zip;
    without `files` (they are under embargo for the caller), the set-level metadata only."""
    groups: dict[str, list[dict]] = {}
    for fmt in FORMATS.values():
        if files or not fmt.lists_images:
            groups.setdefault(fmt.group, []).append(_download(image_set, fmt))
    out = [{"title": title, "items": items} for title, items in groups.items()]
    if not files:
        return out
    out.append(
        {
            "title": "Everything",
            "items": [
                {
                    "label": rocrate.LABEL,
                    "url": reverse("catalogue:set-rocrate", kwargs={"uuid": image_set.uuid}),
                    "file": "rocrate.zip",
                    "media_type": rocrate.MEDIA_TYPE,
                }
            ],
        }
    )
    return out


def _download(image_set: ImageSet, fmt: MetadataFormat) -> dict:
    return {
        "label": fmt.label,
        "url": _metadata_path(image_set, fmt.key),
        "file": fmt.file_name,
        "media_type": fmt.media_type,
    }
