"""A fake DataCite REST API (DataCite cannot be reached from the tests): a small
threaded HTTP server on 127.0.0.1 answering POST /dois, PUT /dois/{doi} and
GET /dois/{doi} as DataCite documents it (JSON:API, HTTP Basic auth, 201/200,
422 with [{"source", "title"}], 401, 404, 429 with Retry-After, 503).

It keeps the DOIs it holds (`dois`, by DOI in lower case) and every request it
received (`calls`). `fail_next(status, times, retry_after)` answers the next
calls with an error; `refuse_publish` (attribute -> title) refuses to make a DOI
findable; `drop_next_create` carries out the next POST but drops the connection
instead of answering (a lost answer).
"""

from __future__ import annotations

import base64
import json
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from tests.loopback_fake import LoopbackFake

TEST_PASSWORD = "fake-datacite-pw"  # the fake's own, for loopback tests
MANDATORY = ("titles", "creators", "publisher", "publicationYear")


def blank(value: Any) -> bool:
    return value in (None, "", [], {})


def publish_errors(attributes: dict) -> list[dict]:
    """What keeps a DOI from being findable, as DataCite words it."""
    errors = []
    if blank(attributes.get("url")):
        errors.append({"source": "url", "title": "Can't be blank"})
    for name in MANDATORY:
        if blank(attributes.get(name)):
            errors.append({"source": name, "title": "Can't be blank"})
    if any(blank(t.get("title")) for t in attributes.get("titles") or [] if isinstance(t, dict)):
        errors.append({"source": "titles", "title": "Title can't be blank"})
    if any(blank(c.get("name")) for c in attributes.get("creators") or [] if isinstance(c, dict)):
        errors.append({"source": "creators", "title": "Name can't be blank"})
    year = str(attributes.get("publicationYear") or "")
    if year and not (year.isdigit() and 1000 <= int(year) <= 2999):
        errors.append({"source": "publicationYear", "title": "Is not a valid year"})
    types = attributes.get("types") or {}
    if blank(types.get("resourceTypeGeneral") if isinstance(types, dict) else None):
        errors.append({"source": "types", "title": "Resource type general can't be blank"})
    return errors


class FakeDataCite(LoopbackFake):
    def __init__(self, repository_id: str = "AQUA.TEST", password: str = TEST_PASSWORD):
        self.repository_id = repository_id
        self.password = password
        self.dois: dict[str, dict] = {}
        self.calls: list[dict] = []
        self.refuse_publish: dict[str, str] = {}
        self.drop_next_create = False
        super().__init__()

    def state(self, doi: str) -> str:
        return self.dois[doi.lower()]["state"]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.serve(self, "GET")

            def do_POST(self) -> None:
                fake.serve(self, "POST")

            def do_PUT(self) -> None:
                fake.serve(self, "PUT")

        return Handler

    # --- answering ----------------------------------------------------------------------

    def serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self.lock:
            self.calls.append({"method": method, "path": handler.path, "body": body})
            status, answer, headers = self.answer(handler, method, body)
        if status == 0:  # the request was carried out; its answer is lost
            handler.close_connection = True
            return
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/vnd.api+json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def authorised(self, handler: BaseHTTPRequestHandler) -> bool:
        expected = base64.b64encode(f"{self.repository_id}:{self.password}".encode()).decode()
        return handler.headers.get("Authorization", "") == f"Basic {expected}"

    def answer(
        self, handler: BaseHTTPRequestHandler, method: str, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if self.failures:
            status, retry_after = self.failures.pop(0)
            headers = {"Retry-After": retry_after} if retry_after else {}
            title = "Too Many Requests" if status == 429 else "Service Unavailable"
            return status, {"errors": [{"status": str(status), "title": title}]}, headers
        if not self.authorised(handler):
            return 401, {"errors": [{"status": "401", "title": "Bad credentials."}]}, {}
        path = handler.path.split("?", 1)[0]
        if path == "/dois" and method == "POST":
            return self.create(body)
        if path.startswith("/dois/") and method in ("GET", "PUT"):
            doi = unquote(path[len("/dois/") :]).lower()
            if doi not in self.dois:
                return (
                    404,
                    {
                        "errors": [
                            {
                                "status": "404",
                                "title": "The resource you are looking for doesn't exist.",
                            }
                        ]
                    },
                    {},
                )
            if method == "GET":
                return 200, self.document(doi), {}
            return self.update(doi, body)
        return 404, {"errors": [{"status": "404", "title": "Not found"}]}, {}

    def document(self, doi: str) -> dict:
        held = self.dois[doi]
        attributes = {**held["attributes"], "doi": doi, "state": held["state"]}
        return {"data": {"id": doi, "type": "dois", "attributes": attributes}}

    @staticmethod
    def attributes_of(body: Any) -> dict | None:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("type") != "dois":
            return None
        attributes = data.get("attributes")
        return dict(attributes) if isinstance(attributes, dict) else None

    def unprocessable(self, errors: list[dict]) -> tuple[int, Any, dict[str, str]]:
        return 422, {"errors": errors}, {}

    def create(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        attributes = self.attributes_of(body)
        if attributes is None:
            return self.unprocessable([{"source": "data", "title": "Must be a DOI"}])
        doi = str(attributes.pop("doi", "") or "").lower()
        if not doi:
            return self.unprocessable([{"source": "doi", "title": "Can't be blank"}])
        if doi in self.dois:
            return self.unprocessable(
                [{"source": "doi", "title": "This DOI has already been taken"}]
            )
        event = attributes.pop("event", None)
        state = "draft"
        if event == "publish":
            errors = self.publish_refusals(attributes)
            if errors:
                return self.unprocessable(errors)
            state = "findable"
        self.dois[doi] = {"attributes": attributes, "state": state}
        if self.drop_next_create:
            self.drop_next_create = False
            return 0, None, {}
        return 201, self.document(doi), {}

    def update(self, doi: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        attributes = self.attributes_of(body)
        if attributes is None:
            return self.unprocessable([{"source": "data", "title": "Must be a DOI"}])
        attributes.pop("doi", None)
        event = attributes.pop("event", None)
        held = self.dois[doi]
        merged = {**held["attributes"], **attributes}
        state = held["state"]
        if event == "publish" or state == "findable":
            errors = self.publish_refusals(merged)
            if errors:
                return self.unprocessable(errors)
            state = "findable"
        held["attributes"], held["state"] = merged, state
        return 200, self.document(doi), {}

    def publish_refusals(self, attributes: dict) -> list[dict]:
        return publish_errors(attributes) + [
            {"source": source, "title": title} for source, title in self.refuse_publish.items()
        ]
