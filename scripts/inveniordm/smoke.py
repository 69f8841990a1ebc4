#!/usr/bin/env python3
"""Smoke check of the local InvenioRDM over HTTP: the deposit flow AquaCat uses.

    eval "$(scripts/services env)" && python3 scripts/inveniordm/smoke.py

Creates a draft, uploads a file in three steps, publishes it, reads the DOI and
the parent (concept) DOI, opens a new version and checks that the DataCite
calls were recorded. Standard library only; exits non-zero on the first surprise.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import urllib.error
import urllib.request

BASE = os.environ["INVENIORDM_URL"].rstrip("/")
TOKEN = os.environ["INVENIORDM_TOKEN"]
CALLS = os.environ["INVENIORDM_DATACITE_CALLS"]


def call(method: str, path: str, body=None, expect: int = 200, raw: bytes | None = None) -> dict:
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    data = raw
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif raw is not None:
        headers["Content-Type"] = "application/octet-stream"
    url = BASE + path
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    print(f"{method:6} {path} -> {status}")
    if status != expect:
        sys.exit(f"expected {expect}: {payload[:800]!r}")
    return json.loads(payload) if payload else {}


def main() -> int:
    with open(CALLS) as calls:
        calls_before = len(calls.readlines())
    draft = call(
        "POST",
        "/api/records",
        {
            "access": {"record": "public", "files": "public"},
            "files": {"enabled": True},
            "metadata": {
                "resource_type": {"id": "image-photo"},
                "title": "AquaCat smoke check: plankton images",
                "publication_date": "2026-12-01",
                "creators": [
                    {
                        "person_or_org": {
                            "type": "personal",
                            "family_name": "Diver",
                            "given_name": "Dana",
                        }
                    }
                ],
                "publisher": "AquaCat",
                "rights": [{"id": "cc-by-4.0"}],
            },
        },
        expect=201,
    )
    rid, content = draft["id"], b"\x89PNG\r\n\x1a\n" + b"smoke " * 200
    files = f"/api/records/{rid}/draft/files"
    call("POST", files, [{"key": "frame-001.png"}], expect=201)
    call("PUT", f"{files}/frame-001.png/content", raw=content)
    committed = call("POST", f"{files}/frame-001.png/commit")
    assert committed["checksum"] == "md5:" + hashlib.md5(content, usedforsecurity=False).hexdigest()
    published = call("POST", f"/api/records/{rid}/draft/actions/publish", expect=202)
    assert published["is_published"], published
    record = call("GET", f"/api/records/{rid}")
    doi = record["pids"]["doi"]["identifier"]
    concept = record["parent"]["pids"]["doi"]["identifier"]
    assert doi.startswith("10.5072/") and concept.startswith("10.5072/") and doi != concept
    version = call("POST", f"/api/records/{rid}/versions", expect=201)
    assert version["versions"]["index"] == 2, version["versions"]
    with open(CALLS) as calls:
        recorded = [json.loads(line) for line in calls.readlines()[calls_before:]]
    dois = {line["doi"] for line in recorded}
    assert {doi, concept} <= dois, recorded
    print(f"record {rid}: DOI {doi}, concept DOI {concept}, new version draft {version['id']}")
    print(f"DataCite calls recorded: {len(recorded)} ({', '.join(sorted(dois))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
