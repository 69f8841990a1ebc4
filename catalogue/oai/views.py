"""The OAI-PMH 2.0 endpoint: the six verbs over GET and POST, every error of the protocol.

Written with lxml rather than a provider library: the libraries on PyPI (pyoai's
server, oai-repo, django-oai-pmh) page with offsets and server-side or unsigned
cursor tokens, which neither stay exact while records change nor stay cheap deep
in a large harvest; keyset paging over (datestamp, uuid) with signed stateless
tokens is the point of this provider.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from lxml import etree

from catalogue.formats.registry import OAI_FORMATS, OaiFormat
from catalogue.oai import records, tokens
from catalogue.oai.records import Record, Window
from catalogue.services import tombstones

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"


# verb -> (required arguments, optional arguments, whether a resumptionToken is accepted)
VERBS = {
    "Identify": (set(), set(), False),
    "ListMetadataFormats": (set(), {"identifier"}, False),
    "ListSets": (set(), set(), True),
    "GetRecord": ({"identifier", "metadataPrefix"}, set(), False),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}, True),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}, True),
}

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class OaiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def datestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _q(name: str) -> str:
    return f"{{{OAI_NS}}}{name}"


def _sub(parent, name: str, text: str | None = None, **attrs):
    element = etree.SubElement(parent, _q(name), attrs)
    if text is not None:
        element.text = text
    return element


def parse_date(value: str, name: str) -> tuple[datetime, bool]:
    """(moment, is_day) of a from/until argument; badArgument when malformed."""
    try:
        if DAY.match(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC), True
        if SECOND.match(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), False
    except ValueError:
        pass
    raise OaiError(
        "badArgument", f"{name}={value!r} is not a UTC date (YYYY-MM-DD or {GRANULARITY})"
    )


class Provider:
    def __init__(self, request: HttpRequest):
        self.request = request
        self.now = timezone.now()
        self.base_url = request.build_absolute_uri(request.path)
        self.site = request.build_absolute_uri("/")

    # -- envelope ------------------------------------------------------------------

    def envelope(self, args: dict[str, str] | None):
        root = etree.Element(_q("OAI-PMH"), nsmap={None: OAI_NS, "xsi": XSI})
        root.set(f"{{{XSI}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
        _sub(root, "responseDate", datestamp(self.now))
        request = _sub(root, "request", self.base_url)
        for key, value in (args or {}).items():
            request.set(key, value)
        return root

    def respond(self, root) -> HttpResponse:
        body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        return HttpResponse(body, content_type="text/xml; charset=utf-8")

    def error(self, error: OaiError, args: dict[str, str] | None) -> HttpResponse:
        # The request element carries the arguments only when they were legal.
        if error.code in ("badVerb", "badArgument"):
            args = None
        root = self.envelope(args)
        _sub(root, "error", error.message, code=error.code)
        return self.respond(root)

    # -- dispatch ------------------------------------------------------------------

    def handle(self, query) -> HttpResponse:
        args: dict[str, str] = {}
        try:
            args = self.check_arguments(query)
            tombstones.release_embargoes()
            # After the release, so that a set it stamps falls inside this harvest.
            self.now = timezone.now()
            root = self.envelope(args)
            getattr(self, args["verb"])(root, args)
            return self.respond(root)
        except OaiError as error:
            return self.error(error, args)

    def check_arguments(self, query) -> dict[str, str]:
        verbs = query.getlist("verb")
        if len(verbs) != 1:
            raise OaiError("badVerb", "exactly one verb argument is required")
        verb = verbs[0]
        if verb not in VERBS:
            raise OaiError("badVerb", f"{verb!r} is not an OAI-PMH verb")
        required, optional, resumable = VERBS[verb]
        args = {}
        for key in query:
            values = query.getlist(key)
            if len(values) > 1:
                raise OaiError("badArgument", f"the argument {key} is repeated")
            args[key] = values[0]
        names = set(args) - {"verb"}
        allowed = required | optional | ({"resumptionToken"} if resumable else set())
        illegal = sorted(names - allowed)
        if illegal:
            raise OaiError("badArgument", f"illegal argument(s) for {verb}: {', '.join(illegal)}")
        if "resumptionToken" in names:
            if names != {"resumptionToken"}:
                raise OaiError("badArgument", "resumptionToken is an exclusive argument")
            return args
        missing = sorted(required - names)
        if missing:
            raise OaiError("badArgument", f"{verb} needs the argument(s) {', '.join(missing)}")
        return args

    # -- verbs ---------------------------------------------------------------------

    def Identify(self, root, args):
        identify = _sub(root, "Identify")
        _sub(identify, "repositoryName", settings.OAI_REPOSITORY_NAME)
        _sub(identify, "baseURL", self.base_url)
        _sub(identify, "protocolVersion", "2.0")
        for email in settings.OAI_ADMIN_EMAILS:
            _sub(identify, "adminEmail", email)
        _sub(identify, "earliestDatestamp", datestamp(records.earliest_datestamp()))
        _sub(identify, "deletedRecord", "persistent")
        _sub(identify, "granularity", GRANULARITY)

    def ListMetadataFormats(self, root, args):
        if "identifier" in args:
            self.find(args["identifier"])
        element = _sub(root, "ListMetadataFormats")
        for fmt in OAI_FORMATS.values():
            node = _sub(element, "metadataFormat")
            _sub(node, "metadataPrefix", fmt.prefix)
            _sub(node, "schema", fmt.schema)
            _sub(node, "metadataNamespace", fmt.namespace)

    def ListSets(self, root, args):
        if "resumptionToken" in args:
            raise OaiError("badResumptionToken", "ListSets is complete in one response")
        element = _sub(root, "ListSets")
        for spec, name in records.list_sets():
            node = _sub(element, "set")
            _sub(node, "setSpec", spec)
            _sub(node, "setName", name)
        if not len(element):
            # Sets come from the public records' values: with none, there is no hierarchy.
            root.remove(element)
            raise OaiError("noSetHierarchy", "no sets: the repository holds no public records")

    def GetRecord(self, root, args):
        fmt = self.format(args["metadataPrefix"])
        record = self.find(args["identifier"])
        self.write_record(_sub(root, "GetRecord"), record, fmt)

    def ListIdentifiers(self, root, args):
        self.list(root, args, "ListIdentifiers", with_metadata=False)

    def ListRecords(self, root, args):
        self.list(root, args, "ListRecords", with_metadata=True)

    # -- helpers -------------------------------------------------------------------

    def format(self, prefix: str) -> OaiFormat:
        if prefix not in OAI_FORMATS:
            raise OaiError(
                "cannotDisseminateFormat",
                f"{prefix!r} is not offered; ListMetadataFormats names those that are",
            )
        return OAI_FORMATS[prefix]

    def find(self, identifier: str) -> Record:
        set_uuid = records.parse_identifier(identifier)
        record = records.get_record(set_uuid) if set_uuid else None
        if record is None:
            raise OaiError("idDoesNotExist", f"{identifier!r} is unknown to this repository")
        return record

    def window(self, args) -> tuple[OaiFormat, Window, int]:
        if "resumptionToken" in args:
            try:
                state = tokens.read(args["resumptionToken"], args["verb"])
            except tokens.BadToken as error:
                raise OaiError("badResumptionToken", str(error)) from error
            fmt = self.format(state["prefix"])
            return (
                fmt,
                Window(state["start"], state["end"], state["spec"], state["after"]),
                state["cursor"],
            )
        fmt = self.format(args["metadataPrefix"])
        start = end = None
        if "from" in args:
            start, start_day = parse_date(args["from"], "from")
        if "until" in args:
            until, until_day = parse_date(args["until"], "until")
            if "from" in args and start_day != until_day:
                raise OaiError("badArgument", "from and until must have the same granularity")
            end = until + (timedelta(days=1) if until_day else timedelta(seconds=1))
            if start and start > until:
                raise OaiError("badArgument", "from is later than until")
        # The harvest is bounded by now: what changes while it runs comes next time.
        end = min(end, self.now) if end else self.now
        spec = args.get("set")
        if spec is not None and not records.is_known_set(spec):
            raise OaiError("noRecordsMatch", f"no set {spec!r} in this repository")
        return fmt, Window(start, end, spec), 0

    def list(self, root, args, verb: str, *, with_metadata: bool) -> None:
        fmt, window, cursor = self.window(args)
        size = settings.OAI_PAGE_SIZE
        page, more = records.list_page(window, size, with_sets=with_metadata)
        if not page:
            raise OaiError("noRecordsMatch", "no records match the arguments")
        element = _sub(root, verb)
        for record in page:
            if with_metadata:
                self.write_record(element, record, fmt)
            else:
                self.write_header(element, record)
        if more or "resumptionToken" in args:
            token_element = _sub(element, "resumptionToken", cursor=str(cursor))
            if more:
                token, expires = tokens.make(
                    verb=verb,
                    prefix=fmt.prefix,
                    spec=window.spec,
                    start=window.start,
                    end=window.end,
                    after=page[-1].key,
                    cursor=cursor + len(page),
                )
                token_element.text = token
                token_element.set("expirationDate", datestamp(expires))

    def write_header(self, parent, record: Record) -> None:
        header = _sub(parent, "header")
        if record.deleted:
            header.set("status", "deleted")
        _sub(header, "identifier", records.oai_identifier(record.uuid))
        _sub(header, "datestamp", datestamp(record.datestamp))
        for spec in record.specs:
            _sub(header, "setSpec", spec)

    def write_record(self, parent, record: Record, fmt: OaiFormat) -> None:
        element = _sub(parent, "record")
        self.write_header(element, record)
        if not record.deleted:
            _sub(element, "metadata").append(fmt.element(record.image_set, base=self.site))


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint(request: HttpRequest) -> HttpResponse:
    provider = Provider(request)
    query = request.POST if request.method == "POST" else request.GET
    return provider.handle(query)
