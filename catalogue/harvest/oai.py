"""Reading an OAI-PMH provider through oaipmh-scythe, page by page.

The library sends the requests, retries 429 and 503 and parses the pages; this
module chooses the metadata format, walks the resumption tokens itself (so a
harvest can restart from its datestamp when a token is refused or expired) and
reads each page strictly, so a malformed page is reported, not silently
repaired."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx2
from lxml import etree
from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig, RetryConfig
from oaipmh_scythe.exceptions import BadResumptionToken, NoRecordsMatch
from oaipmh_scythe.response import OAIResponse

OAI = "{http://www.openarchives.org/OAI/2.0/}"
PREFERRED = ("oai_datacite", "oai_dc")
# Longest wait a Retry-After may impose before the request is given up (seconds).
MAX_RETRY_AFTER = 300
STRICT = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
# Reading a malformed page record by record (the OAI-PMH elements are unprefixed).
ROOT_RE = re.compile(r"<OAI-PMH\b[^>]*>")
RECORD_RE = re.compile(r"<record>.*?</record>", re.S)
IDENTIFIER_RE = re.compile(r"<identifier>(.*?)</identifier>", re.S)
RESPONSE_DATE_RE = re.compile(r"<responseDate>(.*?)</responseDate>", re.S)
TOKEN_RE = re.compile(r"<resumptionToken\b[^>]*>([^<]*)</resumptionToken>")


class TokenRefused(Exception):
    """The provider refused a resumption token (badResumptionToken, or Zenodo's 422
    for an expired one): the list must be asked again from its start."""


class SourceDown(Exception):
    """The provider could not be harvested (unreachable, an HTTP error, no format we read)."""


class Client(Scythe):
    """Scythe honouring Retry-After on 429 as on 503, in seconds or as an HTTP date, and
    answering an error page that is not XML (Zenodo's 422) with its HTTP status: the
    library's own check stumbles on a body that parses to nothing."""

    def harvest(self, query: dict[str, str]) -> OAIResponse:
        http_response = self._request_with_retry(query)
        oai_response = OAIResponse(http_response, params=query)
        if oai_response.xml is not None:
            oai_response.raise_for_oaipmh_error()
        http_response.raise_for_status()
        return oai_response

    def _get_retry_after(self, http_response: httpx2.Response) -> int | float:
        value = http_response.headers.get("retry-after")
        if value is None:
            return self.default_retry_after
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return self.default_retry_after
            seconds = (when - datetime.now(UTC)).total_seconds()
        return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def client(base_url: str, *, max_retries: int = 5, default_retry_after: float = 10) -> Client:
    return Client(
        base_url,
        http_config=HTTPConfig(timeout=60, user_agent="AquaCat harvester"),
        retry_config=RetryConfig(
            max_retries=max_retries,
            retry_status_codes=(429, 503),
            default_retry_after=default_retry_after,
            retry_on_transport_error=True,
        ),
    )


@dataclass
class Record:
    identifier: str
    datestamp: str
    deleted: bool
    metadata: etree._Element | None


@dataclass
class Page:
    response_date: datetime | None
    records: list[Record] = field(default_factory=list)
    # Why the page is not well-formed XML (its records were read leniently), or "".
    malformed: str = ""
    # (identifier, reason) of the records of a malformed page that are not well-formed.
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def choose_prefix(scythe: Client) -> str:
    """oai_datacite where the provider offers it, else oai_dc."""
    try:
        offered = {str(fmt.metadataPrefix) for fmt in scythe.list_metadata_formats()}  # type: ignore[union-attr]
    except httpx2.HTTPError as error:
        raise SourceDown(f"ListMetadataFormats failed: {describe(error)}") from error
    for prefix in PREFERRED:
        if prefix in offered:
            return prefix
    raise SourceDown(f"offers neither oai_datacite nor oai_dc (only {', '.join(sorted(offered))})")


def deleted_record_policy(scythe: Client) -> str:
    """Identify's deletedRecord: "persistent" when the provider lists deleted records
    (so an incremental harvest learns of deletions), else "transient" or "no"."""
    try:
        identify = scythe.identify()
    except httpx2.HTTPError as error:
        raise SourceDown(f"Identify failed: {describe(error)}") from error
    found = identify.xml.find(f".//{OAI}deletedRecord")
    return (found.text or "no").strip() if found is not None else "no"


def request(scythe: Client, query: dict[str, str]) -> bytes:
    """One ListRecords page's bytes; TokenRefused, SourceDown, or an empty list (None)."""
    try:
        response = scythe.harvest(query)
    except BadResumptionToken as error:
        raise TokenRefused(str(error) or "badResumptionToken") from error
    except httpx2.HTTPStatusError as error:
        if error.response.status_code == 422 and "resumptionToken" in query:
            raise TokenRefused("the resumption token expired (HTTP 422)") from error
        raise SourceDown(f"ListRecords failed: {describe(error)}") from error
    except httpx2.HTTPError as error:
        raise SourceDown(f"ListRecords failed: {describe(error)}") from error
    return response.http_response.content


def pages(
    scythe: Client, *, prefix: str, set_spec: str = "", from_: datetime | None = None
) -> Iterator[Page]:
    """Every page of ListRecords (from `from_`, in `set_spec`), in order. The next page
    is asked for as soon as this one's token is read, while the caller takes this
    one: the wait for the provider overlaps the work (and a token is used at once)."""
    query = {"verb": "ListRecords", "metadataPrefix": prefix}
    if set_spec:
        query["set"] = set_spec
    if from_ is not None:
        query["from"] = from_.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oai-page")
    try:
        pending = fetcher.submit(request, scythe, query)
        while True:
            try:
                content = pending.result()
            except NoRecordsMatch:
                return
            page, token = read_page(content)
            if token:
                query = {"verb": "ListRecords", "resumptionToken": token}
                pending = fetcher.submit(request, scythe, query)
            yield page
            if not token:
                return
    finally:
        fetcher.shutdown(wait=True, cancel_futures=True)


def read_page(content: bytes) -> tuple[Page, str]:
    """The page's records and its resumption token ("" at the end of the list). A page
    that is not well-formed is read record by record: each record that is well-formed
    is kept, the others are named in `unreadable` with the parser's reason."""
    try:
        root = etree.fromstring(content, STRICT)
    except etree.XMLSyntaxError as error:
        return read_malformed(content, str(error))
    page = Page(response_date=parse_datestamp(root.findtext(f"{OAI}responseDate") or ""))
    page.records = [read_record(element) for element in root.iter(f"{OAI}record")]
    token = root.find(f".//{OAI}resumptionToken")
    return page, (token.text or "").strip() if token is not None else ""


def read_record(element) -> Record:
    header = element.find(f"{OAI}header")
    metadata = element.find(f"{OAI}metadata")
    return Record(
        identifier=header.findtext(f"{OAI}identifier", "").strip() if header is not None else "",
        datestamp=header.findtext(f"{OAI}datestamp", "").strip() if header is not None else "",
        deleted=header is not None and header.get("status") == "deleted",
        metadata=next(iter(metadata), None) if metadata is not None else None,
    )


def read_malformed(content: bytes, reason: str) -> tuple[Page, str]:
    text = content.decode("utf-8", errors="replace")
    opening = ROOT_RE.search(text)
    if opening is None:
        raise SourceDown(f"the page is not an OAI-PMH response: {reason}")
    page = Page(response_date=parse_datestamp(first_match(RESPONSE_DATE_RE, text)))
    page.malformed = reason
    for chunk in RECORD_RE.findall(text):
        try:
            root = etree.fromstring(f"{opening.group(0)}{chunk}</OAI-PMH>".encode(), STRICT)
        except etree.XMLSyntaxError as error:
            identifier = first_match(IDENTIFIER_RE, chunk)
            page.unreadable.append((identifier, f"malformed XML: {error}"))
            continue
        page.records.append(read_record(next(root.iter(f"{OAI}record"))))
    return page, first_match(TOKEN_RE, text)


def first_match(pattern: re.Pattern, text: str) -> str:
    found = pattern.search(text)
    return html.unescape(found.group(1).strip()) if found else ""


def describe(error: httpx2.HTTPError) -> str:
    if isinstance(error, httpx2.HTTPStatusError):
        return f"HTTP {error.response.status_code} from {error.request.url}"
    return f"{type(error).__name__}: {error}"


def parse_datestamp(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
