"""Sidecar sniffing and the one parse entry point (catalogue/ingest/sidecars/__init__.py,
sniffing.py): which format a file is, and a refusal for what is none."""

from __future__ import annotations

import json

import yaml

from catalogue.ingest.sidecars import ECOTAXA_TSV, IFDO, parse_sidecar, sniff_sidecar
from tests.catalogue.ingest_samples import (
    FIRSTS,
    FULL_COLUMNS,
    FULL_TYPES,
    IMAGES,
    full_row,
    ifdo_doc,
    reject,
    tsv_text,
)


def test_sniff_recognises_both_formats_and_refuses_a_jpeg(tmp_path):
    tsv = tsv_text([FULL_COLUMNS, FULL_TYPES, full_row(0, *FIRSTS[0])]).encode()
    assert sniff_sidecar("ecotaxa_export.tsv", tsv) == ECOTAXA_TSV
    assert sniff_sidecar("upload.txt", b"\xef\xbb\xbf" + tsv[:200]) == ECOTAXA_TSV
    assert sniff_sidecar("set.yaml", yaml.safe_dump(ifdo_doc()).encode()[:512]) == IFDO
    assert sniff_sidecar("set.json", json.dumps(ifdo_doc()).encode()[:512]) == IFDO
    cls, file_name = FIRSTS[0]
    jpeg = IMAGES / cls / file_name
    head = jpeg.read_bytes()[:4096] if jpeg.is_file() else b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
    assert sniff_sidecar(file_name, head) is None
    assert sniff_sidecar("notes.txt", b"just some notes\n") is None
    error = reject(parse_sidecar, file_name, head)
    assert error.reason.startswith("not a recognised sidecar")
