"""DataCite's REST API, for an institution with its own DataCite prefix: we choose
the DOI, register it as a draft with the set's DataCite metadata, then make it
findable (https://support.datacite.org/docs/api-create-dois, api-update-dois).

Options: `url` (default https://api.datacite.org; https://api.test.datacite.org
for the test system), `repository_id` and `password` (HTTP Basic auth), `prefix`
(e.g. 10.5072) and `timeout` (seconds per request, default 30).

The DOI is `<prefix>/aquacat.<the set's uuid in base32>`: the same on every try,
so a create whose answer was lost is found again (GET first; "has already been
taken" for our own DOI counts as made) instead of making a second DOI.

Steps, each recorded on the deposit once: "draft doi" (POST /dois, no event),
"findable" (PUT /dois/{doi} with event "publish"), and for a new version of a set
published with a DOI of this prefix "previous version updated" (its DOI gets
IsPreviousVersionOf ours; ours carries IsNewVersionOf it). DataCite has no
concept DOI: none is returned.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote
from uuid import UUID

import requests

from catalogue import access
from catalogue.formats import datacite
from catalogue.formats.common import landing_url
from catalogue.models import ImageSet
from curation.repositories.answers import body_of, raise_for_answer
from curation.repositories.base import Target, TargetError, TransientTargetError

DRAFT_DOI = "draft doi"
FINDABLE = "findable"
PREVIOUS_UPDATED = "previous version updated"

DEFAULT_URL = "https://api.datacite.org"
DEFAULT_TIMEOUT = 30.0
JSON_API = "application/vnd.api+json"


class LostAnswer(TransientTargetError):
    """The request was sent but no answer came (a timeout, a dropped connection):
    it may have been carried out."""


def short_uuid(value: UUID) -> str:
    """A uuid in 26 characters (base32 of its bytes, lower case, no padding)."""
    return base64.b32encode(value.bytes).decode().rstrip("=").lower()


def metadata_private(image_set: ImageSet) -> bool:
    """Whether the set's metadata may not be shown to everybody (now): the access
    policy decides (open, files under embargo, or an embargo over are public)."""
    return not access.metadata_open(image_set)


class DataCiteTarget(Target):
    kind = "datacite"
    mints_doi = True

    def __init__(self, name: str, **options: Any):
        super().__init__(name, **options)
        self.url = str(options.get("url") or DEFAULT_URL).rstrip("/")
        self.prefix = str(options.get("prefix", "")).strip().strip("/")
        self.timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
        self.session = requests.Session()
        self.session.auth = (
            str(options.get("repository_id", "")),
            str(options.get("password", "")),
        )
        self.session.headers.update(
            {
                "Accept": JSON_API,
                "Content-Type": JSON_API,
                "User-Agent": "AquaCat (DataCite target)",
            }
        )

    def doi_for(self, image_set: ImageSet) -> str:
        return f"{self.prefix}/aquacat.{short_uuid(image_set.uuid)}".lower()

    # --- before anything is sent --------------------------------------------------------

    def refuses(self, image_set) -> dict[str, list[str]]:
        problems: dict[str, list[str]] = {}
        if metadata_private(image_set):
            problems["access"] = [
                "a DOI makes its metadata public on DataCite: "
                f"a {image_set.access} set cannot be registered there "
                "(make it open or embargo its files only, or wait for its embargo to end)"
            ]
        missing = [
            option
            for option in ("prefix", "repository_id", "password")
            if not self.options.get(option)
        ]
        if missing:
            problems["target"] = [f"target {self.name!r} has no {', '.join(missing)}"]
        return problems

    # --- HTTP ---------------------------------------------------------------------------

    def request(self, method: str, doi: str = "", body: Any = None) -> requests.Response:
        """One call to /dois or /dois/{doi}; a refusal as TargetError, an outage or a
        rate limit as TransientTargetError (LostAnswer when the request may have
        arrived but its answer did not)."""
        url = f"{self.url}/dois" + (f"/{quote(doi, safe='/')}" if doi else "")
        try:
            response = self.session.request(method, url, json=body, timeout=self.timeout)
        except (requests.Timeout, requests.ConnectionError) as error:
            if isinstance(error, requests.ConnectTimeout):
                raise TransientTargetError(f"{self.name} cannot be reached: {error}") from error
            raise LostAnswer(f"{self.name} gave no answer: {error}") from error
        except requests.RequestException as error:
            raise TransientTargetError(f"{self.name} cannot be reached: {error}") from error
        self.check(response)
        return response

    def check(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400 or status == 404:
            return
        body = body_of(response)
        errors = self.field_errors(body)
        message = "; ".join(text for texts in errors.values() for text in texts)
        message = message or response.reason or f"HTTP {status}"
        raise_for_answer(
            self.name,
            response,
            message,
            credentials="repository id and password",
            refused="DOI",
            errors=errors or {"doi": [message]},
        )

    @staticmethod
    def field_errors(body: Any) -> dict[str, list[str]]:
        """DataCite's JSON:API errors, [{"source": attribute, "title": message}], by field."""
        errors: dict[str, list[str]] = {}
        for error in (body.get("errors") if isinstance(body, dict) else None) or []:
            if isinstance(error, dict) and error.get("title"):
                source = error.get("source") or "doi"
                if isinstance(source, dict):  # JSON:API's {"pointer": "/data/attributes/url"}
                    source = str(source.get("pointer", "doi")).rsplit("/", 1)[-1] or "doi"
                errors.setdefault(str(source), []).append(str(error["title"]))
        return errors

    def get(self, doi: str) -> dict | None:
        """The DOI's attributes, or None when DataCite has no such DOI (for us)."""
        response = self.request("GET", doi)
        if response.status_code == 404:
            return None
        return response.json().get("data", {}).get("attributes", {})

    @staticmethod
    def body(doi: str, attributes: dict) -> dict:
        return {"data": {"id": doi, "type": "dois", "attributes": attributes}}

    # --- metadata -----------------------------------------------------------------------

    def attributes(self, image_set: ImageSet, doi: str) -> dict:
        attributes = datacite.to_json(image_set)
        attributes["doi"] = doi
        attributes["url"] = landing_url(image_set)
        previous = self.previous_doi(image_set)
        if previous:
            related = attributes.setdefault("relatedIdentifiers", [])
            if not any(
                r.get("relationType") == "IsNewVersionOf"
                and str(r.get("relatedIdentifier", "")).lower() == previous.lower()
                for r in related
            ):
                related.append(
                    {
                        "relatedIdentifier": previous,
                        "relatedIdentifierType": "DOI",
                        "relationType": "IsNewVersionOf",
                    }
                )
        return attributes

    def previous_doi(self, image_set: ImageSet) -> str:
        """The DOI of the set's previous version when it is one of our prefix."""
        previous = image_set.previous_version
        if previous is None or not previous.doi:
            return ""
        return previous.doi if previous.doi.lower().startswith(f"{self.prefix.lower()}/") else ""

    # --- the deposit --------------------------------------------------------------------

    def deposit(self, run) -> tuple[str, str]:
        image_set = run.image_set
        doi = self.doi_for(image_set)
        attributes = self.attributes(image_set, doi)
        if not run.done(DRAFT_DOI):
            self.create_draft(doi, attributes)
            run.record(DRAFT_DOI, f"draft {doi}", remote_id=doi, doi=doi)
        if not run.done(FINDABLE):
            self.request("PUT", doi, self.body(doi, {**attributes, "event": "publish"}))
            run.record(FINDABLE, f"https://doi.org/{doi}", remote_url=f"https://doi.org/{doi}")
        previous = self.previous_doi(image_set)
        if previous and not run.done(PREVIOUS_UPDATED):
            # Our DOI is findable now (DataCite keeps it for good): a refusal here is
            # noted on the deposit, not a reason to make the set a draft again.
            try:
                detail = self.relate_previous(previous, doi)
            except TargetError as error:
                detail = f"{previous} not updated: {error}"
            run.record(PREVIOUS_UPDATED, detail)
        return doi, ""

    def create_draft(self, doi: str, attributes: dict) -> None:
        """Register our DOI as a draft, or take it when an earlier try made it (its
        answer lost): its metadata is then brought up to date."""
        if self.get(doi) is not None:
            self.request("PUT", doi, self.body(doi, attributes))
            return
        try:
            self.request("POST", body=self.body(doi, attributes))
        except LostAnswer:
            # The create may have happened: look before asking again.
            if self.get(doi) is None:
                self.request("POST", body=self.body(doi, attributes))
        except TargetError as error:
            taken = any("taken" in text for text in error.errors.get("doi", []))
            if not taken or self.get(doi) is None:
                raise
            self.request("PUT", doi, self.body(doi, attributes))

    def relate_previous(self, previous: str, doi: str) -> str:
        """Add IsPreviousVersionOf our DOI to the previous version's DOI (once)."""
        done = f"{previous} IsPreviousVersionOf {doi}"
        found = self.get(previous)
        if found is None:
            raise TargetError(f"{self.name} has no DOI {previous} in this repository")
        related = list(found.get("relatedIdentifiers") or [])
        if any(
            r.get("relationType") == "IsPreviousVersionOf"
            and str(r.get("relatedIdentifier", "")).lower() == doi.lower()
            for r in related
        ):
            return done
        related.append(
            {
                "relatedIdentifier": doi,
                "relatedIdentifierType": "DOI",
                "relationType": "IsPreviousVersionOf",
            }
        )
        self.request("PUT", previous, self.body(previous, {"relatedIdentifiers": related}))
        return done
