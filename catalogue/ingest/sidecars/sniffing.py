"""Which sidecar format a file is, judged from its first bytes."""

from __future__ import annotations

import re

from catalogue.ingest.sidecars.records import ECOTAXA_TSV, IFDO

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
    if "image-set-header" in text or "image-set-items" in text:
        return IFDO
    if _IFDO_NAME.search(name) and text.lstrip()[:1] not in ("", "<"):
        return IFDO
    return None
