"""InvenioRDM (v14; Zenodo runs on it): a record with the set's metadata, its
files as zip packages plus manifest.json and datacite.xml, published so that
Invenio mints the DOI (and the concept DOI of all versions).

Options: `url` (the instance), `token` (a personal access token), `community`
(optional, not used yet), `verify_tls` (default true), `timeout` (seconds per
request, default 30), `max_files` (images per package, default 100) and
`max_bytes` (bytes per package, default 2 GB).

Steps, each recorded on the deposit once (a resumed deposit skips them):
"draft created" (a new record, or a new version of the record of the set's
previous version), "files uploaded" (three calls per file; a file already
committed with the same checksum is kept), "publish requested"; then the record
is read for its DOIs. A create that timed out looks for the draft it may have
made (by the set's uuid, in the record's identifiers) before creating again.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from django.utils import timezone

from catalogue.formats.common import landing_url, publisher_name, split_name
from catalogue.models import Access, ImageSet
from curation import packaging
from curation.repositories.answers import body_of, raise_for_answer
from curation.repositories.base import Target, TargetError, TransientTargetError

DRAFT_CREATED = "draft created"
FILES_UPLOADED = "files uploaded"
PUBLISH_REQUESTED = "publish requested"

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_FILES = 100
DEFAULT_MAX_BYTES = 2 * 1000**3

# DataCite relatedIdentifierType -> InvenioRDM scheme (idutils names).
SCHEMES = {
    "ARK": "ark",
    "arXiv": "arxiv",
    "bibcode": "ads",
    "DOI": "doi",
    "EAN13": "ean13",
    "EISSN": "issn",
    "Handle": "handle",
    "IGSN": "igsn",
    "ISBN": "isbn",
    "ISSN": "issn",
    "ISTC": "istc",
    "LISSN": "issn",
    "LSID": "lsid",
    "PMID": "pmid",
    "PURL": "purl",
    "UPC": "upc",
    "URL": "url",
    "URN": "urn",
    "w3id": "w3id",
}


def licence_id(spdx: str) -> str:
    """InvenioRDM's licence vocabulary ids are the SPDX ids in lower case."""
    return spdx.strip().lower()


def uuid_identifier(image_set: ImageSet) -> str:
    return f"urn:uuid:{image_set.uuid}"


class InvenioTarget(Target):
    kind = "invenio"
    mints_doi = True

    def __init__(self, name: str, **options: Any):
        super().__init__(name, **options)
        self.url = str(options.get("url", "")).rstrip("/")
        self.timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
        self.max_files = int(options.get("max_files", DEFAULT_MAX_FILES))
        self.max_bytes = int(options.get("max_bytes", DEFAULT_MAX_BYTES))
        self.session = requests.Session()
        self.session.verify = bool(options.get("verify_tls", True))
        self.session.headers.update(
            {
                "Authorization": f"Bearer {options.get('token', '')}",
                "Accept": "application/json",
                "User-Agent": "AquaCat (InvenioRDM target)",
            }
        )
        self._relation_types: set[str] | None = None

    # --- before anything is sent --------------------------------------------------------

    def refuses(self, image_set) -> dict[str, list[str]]:
        problems: dict[str, list[str]] = {}
        if image_set.access != Access.OPEN:
            problems["access"] = [
                "InvenioRDM publishes a DOI, which makes the record public: "
                f"a {image_set.access} set cannot be deposited there (make it open first)"
            ]
        if not self.url:
            problems["target"] = [f"target {self.name!r} has no url"]
        return problems

    # --- HTTP ---------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One call; Invenio's refusals as TargetError, its outages as TransientTargetError.
        A timeout is raised as requests.Timeout for the caller to check what happened."""
        url = path if path.startswith("http") else f"{self.url}/api{path}"
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise
        except requests.RequestException as error:
            raise TransientTargetError(f"{self.name} cannot be reached: {error}") from error
        self.check(response)
        return response

    def check(self, response: requests.Response) -> None:
        if response.status_code < 400:
            return
        body = body_of(response)
        message = body.get("message")
        message = message or response.reason or f"HTTP {response.status_code}"
        raise_for_answer(
            self.name,
            response,
            message,
            credentials="token",
            refused="record",
            errors=self.field_errors(body, message),
        )

    def field_errors(self, body: Any, message: str) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for error in (body.get("errors") if isinstance(body, dict) else None) or []:
            if not isinstance(error, dict):
                continue
            messages = error.get("messages") or []
            if isinstance(messages, dict):  # nested fields: {"0": [...]}
                messages = [f"{key}: {value}" for key, value in messages.items()]
            errors.setdefault(str(error.get("field") or "record"), []).extend(
                str(text) for text in messages
            )
        return errors or {"record": [message]}

    def json(self, method: str, path: str, body: Any = None) -> dict:
        response = self.request(method, path, json=body)
        return response.json() if response.content else {}

    # --- metadata -----------------------------------------------------------------------

    def relation_types(self) -> set[str]:
        """The relation type ids the instance knows (its vocabulary), read once."""
        if self._relation_types is None:
            found = self.json("GET", "/vocabularies/relationtypes?size=200")
            self._relation_types = {hit["id"] for hit in found.get("hits", {}).get("hits", [])}
        return self._relation_types

    def creator(self, creator: dict) -> dict:
        name = creator.get("name", "").strip()
        given, family = split_name(name)
        person_or_org: dict[str, Any]
        if family or creator.get("orcid"):
            person_or_org = {"type": "personal", "family_name": family or name}
            if given:
                person_or_org["given_name"] = given
            if creator.get("orcid"):
                person_or_org["identifiers"] = [{"scheme": "orcid", "identifier": creator["orcid"]}]
        else:
            person_or_org = {"type": "organizational", "name": name}
        entry: dict[str, Any] = {"person_or_org": person_or_org}
        if creator.get("affiliation"):
            entry["affiliations"] = [{"name": creator["affiliation"]}]
        return entry

    def related(self, image_set: ImageSet) -> list[dict]:
        relations = [
            {
                "identifier": landing_url(image_set),
                "scheme": "url",
                "relation_type": {"id": "isidenticalto"},
            }
        ]
        known = self.relation_types()
        for relation in image_set.related_identifiers:
            scheme = SCHEMES.get(relation.get("identifier_type", ""))
            relation_type = str(relation.get("relation_type", "")).lower()
            if scheme and relation_type in known and relation.get("identifier"):
                relations.append(
                    {
                        "identifier": relation["identifier"],
                        "scheme": scheme,
                        "relation_type": {"id": relation_type},
                    }
                )
        return relations

    def record_body(self, image_set: ImageSet) -> dict:
        metadata: dict[str, Any] = {
            "resource_type": {"id": "dataset"},
            "title": image_set.title,
            "publication_date": timezone.localdate().isoformat(),
            "publisher": publisher_name(),
            "creators": [self.creator(creator) for creator in image_set.creators],
            "rights": [{"id": licence_id(image_set.licence)}],
            "identifiers": [{"scheme": "urn", "identifier": uuid_identifier(image_set)}],
            "related_identifiers": self.related(image_set),
        }
        if image_set.description:
            metadata["description"] = image_set.description
        if image_set.keywords:
            metadata["subjects"] = [{"subject": str(keyword)} for keyword in image_set.keywords]
        if image_set.version:
            metadata["version"] = image_set.version
        collected = self.collected(image_set)
        if collected:
            metadata["dates"] = [{"date": collected, "type": {"id": "collected"}}]
        geometry = self.geometry(image_set)
        if geometry:
            metadata["locations"] = {"features": [{"geometry": geometry}]}
        return {
            "access": {"record": "public", "files": "public"},
            "files": {"enabled": True},
            "metadata": metadata,
            "pids": {},
        }

    @staticmethod
    def collected(image_set: ImageSet) -> str:
        days = [
            moment.date() if hasattr(moment, "date") else moment
            for moment in (image_set.time_start, image_set.time_end)
            if moment is not None
        ]
        if not days:
            return ""
        first, last = min(days), max(days)
        return first.isoformat() if first == last else f"{first.isoformat()}/{last.isoformat()}"

    @staticmethod
    def geometry(image_set: ImageSet) -> dict | None:
        west, south, east, north = image_set.west, image_set.south, image_set.east, image_set.north
        if west is None or south is None or east is None or north is None or west > east:
            return None
        if west == east and south == north:
            return {"type": "Point", "coordinates": [west, south]}
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        return {"type": "Polygon", "coordinates": [ring]}

    # --- the deposit --------------------------------------------------------------------

    def deposit(self, run) -> tuple[str, str]:
        try:
            return self.steps(run)
        except requests.Timeout as error:
            raise TransientTargetError(f"{self.name} did not answer in time: {error}") from error

    def steps(self, run) -> tuple[str, str]:
        image_set = run.image_set
        if not run.done(DRAFT_CREATED):
            draft = self.create_draft(image_set)
            links = draft.get("links", {})
            run.record(
                DRAFT_CREATED,
                f"draft {draft['id']}",
                remote_id=draft["id"],
                remote_url=links.get("self_html") or links.get("self", ""),
            )
        record_id = run.deposit.remote_id
        if not run.done(FILES_UPLOADED):
            count = self.upload_files(run, record_id)
            run.record(FILES_UPLOADED, f"{count} file(s)")
        if not run.done(PUBLISH_REQUESTED):
            self.publish(record_id)
            run.record(PUBLISH_REQUESTED)
        record = self.json("GET", f"/records/{record_id}")
        doi = record.get("pids", {}).get("doi", {}).get("identifier", "")
        concept = record.get("parent", {}).get("pids", {}).get("doi", {}).get("identifier", "")
        return doi, concept

    def previous_record(self, image_set: ImageSet) -> str:
        """The record id of the set's previous version in this target, if it went there."""
        previous = image_set.previous_version
        if previous is None:
            return ""
        deposit = (
            previous.deposits.filter(target=self.name, state="published")
            .exclude(remote_id="")
            .order_by("-created")
            .first()
        )
        return deposit.remote_id if deposit else ""

    def create_draft(self, image_set: ImageSet) -> dict:
        body = self.record_body(image_set)
        previous = self.previous_record(image_set)
        if previous:
            # Asking again while that draft exists gives the same draft: safe to retry.
            draft = self.json("POST", f"/records/{quote(previous)}/versions")
            draft = self.json("PUT", f"/records/{draft['id']}/draft", body)
        else:
            try:
                # A worker that died after its create, or a deposit refused at publish,
                # left our draft there: take it (with the set's metadata as it is now).
                found = self.find_draft(image_set, tries=1)
                if found:
                    draft = self.json("PUT", f"/records/{found['id']}/draft", body)
                else:
                    try:
                        draft = self.json("POST", "/records", body)
                    except requests.Timeout:
                        found = self.find_draft(image_set)
                        if found:
                            draft = self.json("PUT", f"/records/{found['id']}/draft", body)
                        else:
                            draft = self.json("POST", "/records", body)
            except TargetError as error:
                raise self.with_field(error, body) from error
        self.refuse_invalid(draft)
        return draft

    @staticmethod
    def with_field(error: TargetError, body: dict) -> TargetError:
        """Invenio refuses an unknown vocabulary id with a message only ("Invalid value
        cc-by-9.0."): name the field when the value is one of ours."""
        if set(error.errors) != {"record"}:
            return error
        metadata = body["metadata"]
        fields = {
            "metadata.rights": [entry["id"] for entry in metadata.get("rights", [])],
            "metadata.resource_type": [metadata["resource_type"]["id"]],
        }
        text = " ".join(error.errors["record"])
        for name, values in fields.items():
            if any(f"Invalid value {value}." in text for value in values):
                return TargetError(str(error), {name: error.errors["record"]})
        return error

    def find_draft(self, image_set: ImageSet, tries: int = 3) -> dict | None:
        """Our own unpublished draft of this set (by its uuid), e.g. made by a create
        whose answer we did not get."""
        query = f'metadata.identifiers.identifier:"{uuid_identifier(image_set)}"'
        for attempt in range(tries):
            if attempt:
                time.sleep(1)  # the search index may not show it yet
            for hit in self.search(query):
                if not hit.get("is_published"):
                    return hit
        return None

    def search(self, query: str) -> list[dict]:
        response = self.request("GET", "/user/records", params={"q": query, "size": 10})
        return response.json().get("hits", {}).get("hits", [])

    def refuse_invalid(self, draft: dict) -> None:
        """Invenio saves a partial draft and lists what keeps it from being published:
        refuse it now, before uploading anything, and delete that draft."""
        errors = self.field_errors({"errors": draft.get("errors")}, "")
        errors.pop("record", None)
        for name in [name for name in errors if name.split(".")[0] == "files"]:
            del errors[name]  # no files yet: they are uploaded next
        if errors:
            # Not kept: the set goes back to a draft, and its next deposit makes a new one.
            with contextlib.suppress(TargetError, TransientTargetError, requests.Timeout):
                self.request("DELETE", f"/records/{draft['id']}/draft")
            raise TargetError(f"{self.name} refused the record (draft was invalid)", errors)

    def remote_files(self, record_id: str) -> dict[str, dict]:
        found = self.json("GET", f"/records/{record_id}/draft/files")
        return {entry["key"]: entry for entry in found.get("entries", [])}

    def upload_files(self, run, record_id: str) -> int:
        with tempfile.TemporaryDirectory(prefix="aquacat-deposit-") as folder:
            bundle = packaging.build(
                run.image_set, Path(folder), max_files=self.max_files, max_bytes=self.max_bytes
            )
            total = len(bundle.files)
            remote = self.remote_files(record_id)
            for key in set(remote) - {built.name for built in bundle.files}:
                # Left by an earlier try of a draft taken again: not this version's.
                self.request("DELETE", f"/records/{record_id}/draft/files/{quote(key)}")
            run.progress(0, total)
            for done, built in enumerate(bundle.files, 1):
                self.upload(record_id, built, remote.get(built.name))
                run.progress(done, total)
        return total

    def upload(self, record_id: str, built: packaging.BuiltFile, remote: dict | None) -> None:
        files = f"/records/{record_id}/draft/files"
        key = quote(built.name)
        if remote is not None:
            if remote.get("status") == "completed" and remote.get("checksum") == f"md5:{built.md5}":
                return  # uploaded before this deposit was resumed
            self.request("DELETE", f"{files}/{key}")
        self.request("POST", files, json=[{"key": built.name}])
        with built.path.open("rb") as content:
            self.request(
                "PUT",
                f"{files}/{key}/content",
                data=content,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(built.size),
                },
            )
        committed = self.json("POST", f"{files}/{key}/commit")
        if committed.get("checksum") != f"md5:{built.md5}":
            raise TransientTargetError(
                f"{built.name} arrived damaged on {self.name}: "
                f"{committed.get('checksum')} is not md5:{built.md5}"
            )

    def publish(self, record_id: str) -> None:
        if self.is_published(record_id):
            return  # published before this deposit was resumed
        try:
            self.request("POST", f"/records/{record_id}/draft/actions/publish")
        except requests.Timeout:
            # It may have been published while we waited: look before asking again.
            if not self.is_published(record_id):
                self.request("POST", f"/records/{record_id}/draft/actions/publish")

    def is_published(self, record_id: str) -> bool:
        """Whether the record is published (a draft that never was answers 404)."""
        try:
            response = self.session.get(f"{self.url}/api/records/{record_id}", timeout=self.timeout)
        except requests.Timeout:
            raise
        except requests.RequestException as error:
            raise TransientTargetError(f"{self.name} cannot be reached: {error}") from error
        if response.status_code == 404:
            return False
        self.check(response)
        return bool(response.json().get("is_published"))
