"""Which sidecar format a file is, judged from its first bytes."""

from __future__ import annotations

import re

from catalogue.ingest.sidecars.biigle import (
    BIIGLE_METADATA_CSV,
    METADATA_COLUMNS,
    metadata_columns,
)
from catalogue.ingest.sidecars.records import BIIGLE_CSV, COCO, ECOTAXA_TSV, IFDO, PASCAL_VOC

_BINARY_MAGIC = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG",
    b"II*\x00",  # TIFF
    b"MM\x00*",
    b"GIF8",
    b"PK\x03\x04",  # zip
    b"\x1f\x8b",  # gzip
    b"%PDF",
)
_ECOTAXA_PREFIXES = ("img_", "object_", "sample_", "acq_", "process_")
_IFDO_NAME = re.compile(r"ifdo\.(ya?ml|json)$", re.IGNORECASE)
# A COCO file is a JSON object whose keys include images, and annotations or categories.
_COCO_KEY = re.compile(r'"(images|annotations|categories)"\s*:')
# A Pascal VOC file: XML whose root element is <annotation>, after any prolog and comments.
_VOC_ROOT = re.compile(r"<annotation[\s>]")
_XML_PROLOG = re.compile(r"\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>)", re.S)


def sniff_sidecar(name: str, head: bytes) -> str | None:
    """Which sidecar format `head` (the first bytes of file `name`) is, or None.

    Content decides, because upload names are arbitrary; the name only breaks
    ties (an `*ifdo.yaml` whose header is beyond `head`). Binary files are
    never sidecars.
    """
    if head.startswith(_BINARY_MAGIC):
        return None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 (an Excel "Unicode text" export): recognise it so that the
        # parser can say why it is refused.
        text = head.decode("utf-16", errors="ignore")
    else:
        if b"\x00" in head:
            return None
        text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    first_line = text.split("\n", 1)[0].rstrip("\r")
    columns = [c.strip().strip('"').lower() for c in first_line.split("\t")]
    if "img_file_name" in columns or (
        len(columns) > 1 and any(c.startswith(_ECOTAXA_PREFIXES) for c in columns)
    ):
        return ECOTAXA_TSV
    header = {c.strip().strip('"').lower() for c in first_line.split(",")}
    if {"label_name", "filename", "shape_name", "points"} <= header:
        return BIIGLE_CSV
    if name.lower().endswith(".csv"):
        biigle = set(metadata_columns(first_line.replace("\ufffd", "")))
        if "filename" in biigle and biigle & set(METADATA_COLUMNS):
            return BIIGLE_METADATA_CSV
    if _is_voc(text):
        return PASCAL_VOC
    if "image-set-header" in text or "image-set-items" in text:
        return IFDO
    if text.lstrip().startswith("{") and len(set(_COCO_KEY.findall(text))) >= 2:
        return COCO
    if _IFDO_NAME.search(name) and text.lstrip()[:1] not in ("", "<"):
        return IFDO
    return None


def _is_voc(text: str) -> bool:
    """Whether the XML's first element is <annotation> (a DOCTYPE is let through here
    so that the parser can refuse it by name)."""
    rest = text.lstrip()
    while match := _XML_PROLOG.match(rest):
        rest = rest[match.end() :]
    return bool(_VOC_ROOT.match(rest.lstrip()))
