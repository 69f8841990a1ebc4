"""A fake of Zenodo's OAI-PMH endpoint (Zenodo cannot be reached from the tests), on
a loopback port, answering as https://zenodo.org/oai2d does and as Zenodo's
developer documentation (https://developers.zenodo.org/#oai-pmh, "Resumption
tokens" and "Rate limiting") and the OAI-PMH 2.0 specification describe:

- GET /oai2d?verb=Identify: deletedRecord "no", as invenio-oaiserver (the software
  Zenodo runs) answers: a deleted or restricted record is no longer listed at
  all. `deleted_record = "persistent"` makes it a provider that lists deleted
  records as headers with status="deleted" (the OAI-PMH spec's other policy);
- GET /oai2d?verb=ListMetadataFormats: oai_dc, oai_datacite, datacite;
- GET /oai2d?verb=ListRecords&metadataPrefix=...[&from=...][&set=user-<community>]:
  50 records a page, oldest datestamp first, then a resumptionToken;
  noRecordsMatch when none;
- a resumption token is valid for two minutes: after that Zenodo answers
  HTTP 422 Unprocessable Entity; a token it never issued is badResumptionToken;
- 30 requests a minute per client: the next ones get HTTP 429 with Retry-After
  (the seconds until the minute ends).

Its clock is the real one plus `offset` (`advance(seconds)` moves it), so tests
move time instead of waiting. `fail_next(status, times, retry_after)` answers the
next requests with that status; `calls` keeps every request's path and query.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from tests.loopback_fake import LoopbackFake

PAGE_SIZE = 50
TOKEN_SECONDS = 120
REQUESTS_PER_MINUTE = 30
OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
)
FORMATS = {
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "oai_datacite": "http://schema.datacite.org/oai/oai-1.1/",
    "datacite": "http://datacite.org/schema/kernel-4",
}


@dataclass
class FakeRecord:
    identifier: str
    datestamp: datetime
    sets: list[str] = field(default_factory=list)
    deleted: bool = False
    # The oai_datacite payload (or any XML text: a test may serve it malformed).
    metadata: str = ""


def datacite_record(
    number: int,
    *,
    title: str,
    doi: str = "",
    subjects: str = "",
    extra: str = "",
) -> str:
    """An oai_datacite payload as Zenodo writes one (DataCite kernel-4)."""
    doi = doi or f"10.5281/zenodo.{number}"
    return (
        '<oai_datacite xmlns="http://schema.datacite.org/oai/oai-1.1/">'
        "<schemaVersion>4.3</schemaVersion><datacentreSymbol>CERN.ZENODO</datacentreSymbol>"
        '<payload><resource xmlns="http://datacite.org/schema/kernel-4">'
        f'<identifier identifierType="DOI">{escape(doi)}</identifier>'
        "<creators><creator><creatorName>Mortelmans, Jonas</creatorName>"
        '<nameIdentifier nameIdentifierScheme="ORCID">0000-0002-1825-0097</nameIdentifier>'
        "</creator></creators>"
        f"<titles><title>{escape(title)}</title></titles>"
        "<publisher>Zenodo</publisher><publicationYear>2024</publicationYear>"
        f"<subjects>{subjects}</subjects>"
        '<dates><date dateType="Issued">2024-03-01</date></dates>'
        '<resourceType resourceTypeGeneral="Dataset"/>'
        '<alternateIdentifiers><alternateIdentifier alternateIdentifierType="url">'
        f"https://zenodo.org/records/{number}</alternateIdentifier></alternateIdentifiers>"
        "<rightsList>"
        '<rights rightsURI="https://creativecommons.org/licenses/by/4.0/legalcode">'
        "Creative Commons Attribution 4.0 International</rights>"
        '<rights rightsURI="info:eu-repo/semantics/openAccess">Open Access</rights>'
        "</rightsList>"
        f"{extra}"
        "</resource></payload></oai_datacite>"
    )


class FakeZenodoOai(LoopbackFake):
    base_path = "/oai2d"

    def __init__(self) -> None:
        self.records: dict[str, FakeRecord] = {}
        self.tokens: dict[str, tuple[dict, int, float]] = {}
        self.calls: list[str] = []
        self.offset = 0.0
        self.deleted_record = "no"
        # Called with the number of the ListRecords request about to be answered (1, 2,
        # ...): a test moves time or forgets tokens there, between two pages.
        self.before_list: Callable[[int], None] | None = None
        self.lists = 0
        self.window: list[float] = []  # times of this minute's requests
        super().__init__()

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def add(self, record: FakeRecord) -> None:
        with self.lock:
            self.records[record.identifier] = record

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        with self.lock:
            self.calls.append(handler.path)
            now = self.now()
            self.window = [t for t in self.window if t > now - 60]
            if len(self.window) >= REQUESTS_PER_MINUTE:
                wait = math.ceil(self.window[0] + 60 - now)
                return self.send(handler, 429, "Too Many Requests", {"Retry-After": str(wait)})
            self.window.append(now)
            failure = self.failures.pop(0) if self.failures else None
            if failure:
                status, retry_after = failure
                headers = {"Retry-After": retry_after} if retry_after else {}
                return self.send(handler, status, "Service Unavailable", headers)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            status, body = self.answer(query, now)
        return self.send(handler, status, body, {}, xml=status == 200)

    @staticmethod
    def send(handler, status: int, body: str, headers: dict, xml: bool = False) -> None:
        data = body.encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "text/xml" if xml else "text/plain")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # --- the verbs -------------------------------------------------------------------------

    def answer(self, query: dict[str, str], now: float) -> tuple[int, str]:
        verb = query.get("verb")
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        head = f"{OAI_HEAD}<responseDate>{stamp}</responseDate><request>{self.url}</request>"
        if verb == "Identify":
            return 200, (
                f"{head}<Identify><repositoryName>Zenodo</repositoryName>"
                f"<baseURL>{self.url}</baseURL><protocolVersion>2.0</protocolVersion>"
                "<adminEmail>info@zenodo.org</adminEmail>"
                "<earliestDatestamp>2014-02-04T00:00:00Z</earliestDatestamp>"
                f"<deletedRecord>{self.deleted_record}</deletedRecord>"
                "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify></OAI-PMH>"
            )
        if verb == "ListMetadataFormats":
            formats = "".join(
                f"<metadataFormat><metadataPrefix>{prefix}</metadataPrefix>"
                f"<schema>{ns}</schema><metadataNamespace>{ns}</metadataNamespace>"
                "</metadataFormat>"
                for prefix, ns in FORMATS.items()
            )
            return 200, f"{head}<ListMetadataFormats>{formats}</ListMetadataFormats></OAI-PMH>"
        if verb != "ListRecords":
            return 200, f'{head}<error code="badVerb">unsupported</error></OAI-PMH>'
        self.lists += 1
        if self.before_list:
            self.before_list(self.lists)
            now = self.now()
        if "resumptionToken" in query:
            issued = self.tokens.get(query["resumptionToken"])
            if issued is None:
                return 200, f'{head}<error code="badResumptionToken">unknown</error></OAI-PMH>'
            arguments, start, at = issued
            if now - at > TOKEN_SECONDS:
                return 422, "Unprocessable Entity: the resumption token expired"
        else:
            arguments, start = query, 0
            if arguments.get("metadataPrefix") not in FORMATS:
                return 200, f'{head}<error code="cannotDisseminateFormat"/></OAI-PMH>'
        matching = self.matching(arguments)
        if not matching:
            return 200, f'{head}<error code="noRecordsMatch"/></OAI-PMH>'
        page = matching[start : start + PAGE_SIZE]
        body = "".join(self.record_xml(record) for record in page)
        token = ""
        if start + PAGE_SIZE < len(matching):
            value = secrets.token_urlsafe(12)
            self.tokens[value] = (arguments, start + PAGE_SIZE, now)
            token = (
                f'<resumptionToken completeListSize="{len(matching)}" cursor="{start}">'
                f"{value}</resumptionToken>"
            )
        else:
            token = f'<resumptionToken completeListSize="{len(matching)}" cursor="{start}"/>'
        return 200, f"{head}<ListRecords>{body}{token}</ListRecords></OAI-PMH>"

    def matching(self, arguments: dict[str, str]) -> list[FakeRecord]:
        since = arguments.get("from")
        since_at = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        found = [
            record
            for record in self.records.values()
            if (since_at is None or record.datestamp >= since_at)
            and (self.deleted_record == "persistent" or not record.deleted)
            and (not arguments.get("set") or arguments["set"] in record.sets)
        ]
        return sorted(found, key=lambda record: (record.datestamp, record.identifier))

    @staticmethod
    def record_xml(record: FakeRecord) -> str:
        stamp = record.datestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        specs = "".join(f"<setSpec>{spec}</setSpec>" for spec in record.sets)
        status = ' status="deleted"' if record.deleted else ""
        header = (
            f"<header{status}><identifier>{record.identifier}</identifier>"
            f"<datestamp>{stamp}</datestamp>{specs}</header>"
        )
        if record.deleted:
            return f"<record>{header}</record>"
        return f"<record>{header}<metadata>{record.metadata}</metadata></record>"
