"""A fake WoRMS REST API (WoRMS cannot be reached from the tests): a small threaded
HTTP server on 127.0.0.1 answering as https://www.marinespecies.org/rest/ documents:

- GET /AphiaRecordsByMatchNames?scientificnames[]=...&marine_only=...: one list of
  AphiaRecords per name, each with its `match_type` ("exact", or "near_1" /
  "phonetic" for a similar name), 204 when no name matches anything;
- GET /AphiaRecordByAphiaID/{id}, /AphiaClassificationByAphiaID/{id},
  /AphiaVernacularsByAphiaID/{id}, /AphiaRecordsByName/{name},
  /AphiaRecordsByVernacular/{name}: 200 JSON, 204 when unknown;
- 400 for a malformed request (no names, an AphiaID that is not a number).

Its taxa are the bundled snapshot's (real WoRMS answers), as AphiaRecords. It keeps
every request (`calls`); `fail_next(status, times, retry_after)` answers the next
requests with 429 (with Retry-After) or 5xx; `slow_next(seconds, times)` answers
them late (for timeouts).
"""

from __future__ import annotations

import difflib
import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from catalogue.vocabularies.taxa import snapshot
from tests.loopback_fake import LoopbackFake

FLAGS = (("isMarine", "marine"), ("isBrackish", "brackish"), ("isFreshwater", "freshwater"))


def aphia_record(row: dict) -> dict:
    """An AphiaRecord as WoRMS writes it, from a snapshot row."""
    ranks = {step["rank"].lower(): step["name"] for step in row["lineage"]}
    aphia_id = row["aphia_id"]
    return {
        "AphiaID": aphia_id,
        "url": f"https://www.marinespecies.org/aphia.php?p=taxdetails&id={aphia_id}",
        "scientificname": row["scientific_name"],
        "authority": row["authority"] or None,
        "status": row["status"],
        "unacceptreason": row["unaccept_reason"] or None,
        "rank": row["rank"] or None,
        "valid_AphiaID": row["valid_aphia_id"],
        "valid_name": row["valid_name"],
        "parentNameUsageID": row["parent_aphia_id"],
        "kingdom": ranks.get("kingdom"),
        "phylum": ranks.get("phylum"),
        "class": ranks.get("class"),
        "order": ranks.get("order"),
        "family": ranks.get("family"),
        "genus": ranks.get("genus"),
        "lsid": f"urn:lsid:marinespecies.org:taxname:{aphia_id}",
        **{key: int(env in row["environments"]) for key, env in FLAGS},
        "isTerrestrial": None,
        "isExtinct": None,
        "match_type": "exact",
    }


class FakeWorms(LoopbackFake):
    base_path = "/rest"

    def __init__(self) -> None:
        self.rows = {row["aphia_id"]: dict(row) for row in snapshot.records()}
        self.calls: list[str] = []
        self.delays: list[float] = []
        super().__init__()

    def slow_next(self, seconds: float, times: int = 1) -> None:
        self.delays.extend([seconds] * times)

    def add(self, row: dict) -> None:
        """Serve one more taxon (a snapshot-shaped row)."""
        self.rows[row["aphia_id"]] = row

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.calls.append(handler.path)
            failure = self.failures.pop(0) if self.failures else None
            delay = self.delays.pop(0) if self.delays else 0.0
        if delay:
            time.sleep(delay)
        if failure:
            status, retry_after = failure
            headers = {"Retry-After": retry_after} if retry_after else {}
            return self.send(handler, status, {"error": "Too many requests"}, headers)
        parts = urlsplit(handler.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        status, answer = self.answer(path.removeprefix("/rest/"), query)
        return self.send(handler, status, answer, {})

    @staticmethod
    def send(handler, status: int, answer: Any, headers: dict[str, str]) -> None:
        data = b"" if status == 204 else json.dumps(answer).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)

    # --- the endpoints ---------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        endpoint, _, argument = path.partition("/")
        if endpoint == "AphiaRecordsByMatchNames":
            names = query.get("scientificnames[]") or []
            if not names:
                return 400, {"error": "scientificnames[] is required"}
            found = [self.match(name) for name in names]
            return (200, found) if any(found) else (204, None)
        if endpoint in ("AphiaRecordsByName", "AphiaRecordsByVernacular"):
            key = "scientific_name" if endpoint == "AphiaRecordsByName" else "vernaculars"
            found = [aphia_record(r) for r in self.rows.values() if self.named(r, key, argument)]
            return (200, found) if found else (204, None)
        if endpoint not in (
            "AphiaRecordByAphiaID",
            "AphiaClassificationByAphiaID",
            "AphiaVernacularsByAphiaID",
        ):
            return 404, {"error": "unknown endpoint"}
        if not argument.isdigit():
            return 400, {"error": "AphiaID must be a number"}
        row = self.rows.get(int(argument))
        if row is None:
            return 204, None
        if endpoint == "AphiaRecordByAphiaID":
            return 200, aphia_record(row)
        if endpoint == "AphiaVernacularsByAphiaID":
            names = [
                {"vernacular": v["name"], "language_code": v["language"], "language": ""}
                for v in row["vernaculars"]
            ]
            return (200, names) if names else (204, None)
        return 200, self.classification(row)

    def match(self, name: str) -> list[dict]:
        wanted = " ".join(name.split()).lower()
        exact = [
            aphia_record(r) for r in self.rows.values() if r["scientific_name"].lower() == wanted
        ]
        if exact:
            return exact
        by_name = {r["scientific_name"].lower(): r for r in self.rows.values()}
        near = difflib.get_close_matches(wanted, list(by_name), n=3, cutoff=0.8)
        return [{**aphia_record(by_name[n]), "match_type": "near_1"} for n in near]

    @staticmethod
    def named(row: dict, key: str, name: str) -> bool:
        if key == "scientific_name":
            return row["scientific_name"].lower() == name.lower()
        return any(v["name"].lower() == name.lower() for v in row["vernaculars"])

    def classification(self, row: dict) -> dict:
        steps = [{"AphiaID": 1, "rank": "Superdomain", "scientificname": "Biota"}]
        steps += [
            {"AphiaID": s["aphia_id"], "rank": s["rank"], "scientificname": s["name"]}
            for s in row["lineage"]
        ]
        steps.append(
            {
                "AphiaID": row["aphia_id"],
                "rank": row["rank"],
                "scientificname": row["scientific_name"],
            }
        )
        tree: dict | None = None
        for step in reversed(steps):
            tree = {**step, "child": tree}
        return tree or {}
