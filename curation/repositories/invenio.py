"""InvenioRDM (v14; Zenodo runs on it): a record with the set's metadata, its
files as zip packages plus manifest.json and datacite.xml, published so that
Invenio mints the DOI (and the concept DOI of all versions).

Options: `url` (the instance), `token` (a personal access token), `verify_tls`
(default true), `timeout` (seconds per request, default 30), `max_files`
(images per package, default 100) and `max_bytes` (bytes per package, default
2 GB); `max_files_per_record` and `max_bytes_per_record` (default Zenodo's 100
files and 50 GB: a set over them becomes linked records, see invenio_parts);
`custom_fields` (the custom-field namespaces the instance declares, e.g.
["dwc", "ac"] on Zenodo; default none, as a stock InvenioRDM refuses them);
`community` (a community's slug or id: the record is submitted to it rather
than published directly, see invenio_review).

Steps, each recorded on the deposit once (a resumed deposit skips them):
"draft created" (a new record, or a new version of the record of the set's
previous version), "files uploaded" (three calls per file; a file already
committed with the same checksum is kept), "publish requested"; then the record
is read for its DOIs. A create that timed out looks for the draft it may have
made (by the set's uuid, in the record's identifiers) before creating again.

This module speaks HTTP and takes the steps; the record's metadata is mapped in
invenio_metadata (Zenodo's Darwin Core and Audubon Core fields in
invenio_domain), linked records are made by invenio_parts, and community
submission by invenio_review.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from catalogue import access
from catalogue.models import ImageSet
from curation import packaging
from curation.repositories import invenio_parts, invenio_review
from curation.repositories.answers import body_of, raise_for_answer
from curation.repositories.base import Target, TargetError, TransientTargetError
from curation.repositories.invenio_metadata import record_body, uuid_identifier

DRAFT_CREATED = "draft created"
FILES_UPLOADED = "files uploaded"
PUBLISH_REQUESTED = "publish requested"

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_FILES = 100
DEFAULT_MAX_BYTES = 2 * 1000**3
# Zenodo's limits of one record.
DEFAULT_MAX_FILES_PER_RECORD = 100
DEFAULT_MAX_BYTES_PER_RECORD = 50 * 1000**3


class Progress:
    """Files done of all the deposit uploads (over linked records too), saved as they go."""

    def __init__(self, run, total: int):
        self.run, self.total, self.done = run, total, 0
        run.progress(0, total)

    def add(self, count: int = 1) -> None:
        self.done = min(self.total, self.done + count)
        self.run.progress(self.done, self.total)


class InvenioTarget(Target):
    kind = "invenio"
    mints_doi = True

    def __init__(self, name: str, **options: Any):
        super().__init__(name, **options)
        self.url = str(options.get("url", "")).rstrip("/")
        self.timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
        self.max_files = int(options.get("max_files", DEFAULT_MAX_FILES))
        self.max_bytes = int(options.get("max_bytes", DEFAULT_MAX_BYTES))
        self.max_files_per_record = int(
            options.get("max_files_per_record", DEFAULT_MAX_FILES_PER_RECORD)
        )
        self.max_bytes_per_record = int(
            options.get("max_bytes_per_record", DEFAULT_MAX_BYTES_PER_RECORD)
        )
        self.namespaces = [str(namespace) for namespace in options.get("custom_fields", [])]
        self.community = str(options.get("community", "") or "")
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
        self._known: dict[tuple[str, str], bool] = {}

    # --- before anything is sent --------------------------------------------------------

    def refuses(self, image_set) -> dict[str, list[str]]:
        problems: dict[str, list[str]] = {}
        if not access.metadata_open(image_set):
            problems["access"] = [
                "InvenioRDM publishes a DOI, which makes the record public: "
                f"a {image_set.access} set cannot be deposited there (make it open, or "
                "put only its files under embargo)"
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

    def read(self, path: str) -> dict | None:
        """GET `path`; None when the instance answers 404."""
        try:
            response = self.session.get(f"{self.url}/api{path}", timeout=self.timeout)
        except requests.Timeout:
            raise
        except requests.RequestException as error:
            raise TransientTargetError(f"{self.name} cannot be reached: {error}") from error
        if response.status_code == 404:
            return None
        self.check(response)
        return response.json()

    # --- what the instance knows, and the metadata ---------------------------------------

    def relation_types(self) -> set[str]:
        """The relation type ids the instance knows (its vocabulary), read once."""
        if self._relation_types is None:
            found = self.json("GET", "/vocabularies/relationtypes?size=200")
            self._relation_types = {hit["id"] for hit in found.get("hits", {}).get("hits", [])}
        return self._relation_types

    def knows(self, vocabulary: str, entry: str) -> bool:
        """Whether the instance's `vocabulary` (affiliations, funders) has `entry`, read once."""
        key = (vocabulary, entry)
        if key not in self._known:
            self._known[key] = self.read(f"/{vocabulary}/{quote(entry)}") is not None
        return self._known[key]

    def record_body(self, image_set: ImageSet) -> dict:
        return record_body(
            image_set,
            relation_types=self.relation_types(),
            knows=self.knows,
            namespaces=self.namespaces,
        )

    # --- the deposit --------------------------------------------------------------------

    def deposit(self, run) -> tuple[str, str]:
        try:
            return self.steps(run)
        except requests.Timeout as error:
            raise TransientTargetError(f"{self.name} did not answer in time: {error}") from error

    def steps(self, run) -> tuple[str, str]:
        if not run.done(FILES_UPLOADED):
            with tempfile.TemporaryDirectory(prefix="aquacat-deposit-") as folder:
                bundle = packaging.build(
                    run.image_set, Path(folder), max_files=self.max_files, max_bytes=self.max_bytes
                )
                self.take_draft(run)
                parts = invenio_parts.split(
                    bundle, max_files=self.max_files_per_record, max_bytes=self.max_bytes_per_record
                )
                progress = Progress(run, len(bundle.files) + (1 if parts else 0))
                files = bundle.files
                if parts:  # over one record's limits: linked records
                    files = invenio_parts.deposit_parts(self, run, bundle, parts, progress)
                self.upload_files(run.deposit.remote_id, files, progress)
            run.record(FILES_UPLOADED, f"{progress.total} file(s)")
        record_id = run.deposit.remote_id
        if self.community:
            invenio_review.publish_in_community(self, run, record_id)
        elif not run.done(PUBLISH_REQUESTED):
            self.publish(record_id)
            run.record(PUBLISH_REQUESTED)
        record = self.json("GET", f"/records/{record_id}")
        doi = record.get("pids", {}).get("doi", {}).get("identifier", "")
        concept = record.get("parent", {}).get("pids", {}).get("doi", {}).get("identifier", "")
        return doi, concept

    def take_draft(self, run) -> None:
        if run.done(DRAFT_CREATED):
            return
        draft = self.create_draft(run.image_set)
        links = draft.get("links", {})
        run.record(
            DRAFT_CREATED,
            f"draft {draft['id']}",
            remote_id=draft["id"],
            remote_url=links.get("self_html") or links.get("self", ""),
        )

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
        try:
            if previous:
                # Asking again while that draft exists gives the same draft: safe to retry.
                draft = self.json("POST", f"/records/{quote(previous)}/versions")
                draft = self.json("PUT", f"/records/{draft['id']}/draft", body)
            else:
                draft = self.own_record(uuid_identifier(image_set), body)
        except TargetError as error:
            raise self.with_field(error, body) from error
        self.refuse_invalid(draft)
        return draft

    def own_record(self, identifier: str, body: dict, *, published: bool = False) -> dict:
        """Our record tagged with `identifier`: a draft a worker made before it died
        (or a deposit refused at publish left) is taken again with `body`; with
        `published`, one already published is returned as it is; else a new draft."""
        found = self.find_own(identifier, tries=1, published=published)
        if found is None:
            try:
                return self.json("POST", "/records", body)
            except requests.Timeout:
                found = self.find_own(identifier, published=published)
                if found is None:
                    return self.json("POST", "/records", body)
        if found.get("is_published"):
            return found
        return self.json("PUT", f"/records/{found['id']}/draft", body)

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

    def find_own(self, identifier: str, tries: int = 3, published: bool = False) -> dict | None:
        """Our record carrying exactly `identifier` (unpublished only, unless
        `published`), e.g. made by a create whose answer we did not get."""
        query = f'metadata.identifiers.identifier:"{identifier}"'
        for attempt in range(tries):
            if attempt:
                time.sleep(1)  # the search index may not show it yet
            for hit in self.search(query):
                identifiers = hit.get("metadata", {}).get("identifiers", [])
                tags = {entry.get("identifier") for entry in identifiers}
                if identifier in tags and (published or not hit.get("is_published")):
                    return hit
        return None

    def find_draft(self, image_set: ImageSet, tries: int = 3) -> dict | None:
        return self.find_own(uuid_identifier(image_set), tries)

    def search(self, query: str) -> list[dict]:
        response = self.request("GET", "/user/records", params={"q": query, "size": 25})
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

    def upload_files(
        self, record_id: str, files: list[packaging.BuiltFile], progress: Progress
    ) -> None:
        remote = self.remote_files(record_id)
        for key in set(remote) - {built.name for built in files}:
            # Left by an earlier try of a draft taken again: not this version's.
            self.request("DELETE", f"/records/{record_id}/draft/files/{quote(key)}")
        missing = []
        for built in files:
            if self.already_uploaded(record_id, built, remote.get(built.name)):
                progress.add()
            else:
                missing.append(built)
        if missing:
            # One call starts every file's upload (InvenioRDM takes a list of keys).
            entries = [{"key": built.name} for built in missing]
            self.request("POST", f"/records/{record_id}/draft/files", json=entries)
        for built in missing:
            self.upload(record_id, built)
            progress.add()

    def already_uploaded(self, record_id: str, built: packaging.BuiltFile, remote) -> bool:
        """Whether the draft holds the file whole (uploaded before this deposit was
        resumed); a part-uploaded or different one is deleted, to be sent again."""
        if remote is None:
            return False
        if remote.get("status") == "completed" and remote.get("checksum") == f"md5:{built.md5}":
            return True
        self.request("DELETE", f"/records/{record_id}/draft/files/{quote(built.name)}")
        return False

    def upload(self, record_id: str, built: packaging.BuiltFile) -> None:
        """A started file's content, then its commit, whose checksum must be ours."""
        path = f"/records/{record_id}/draft/files/{quote(built.name)}"
        with built.open() as content:  # its md5 is taken as it is sent
            self.request(
                "PUT",
                f"{path}/content",
                data=content,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(built.size),
                },
            )
        committed = self.json("POST", f"{path}/commit")
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
        return bool((self.read(f"/records/{record_id}") or {}).get("is_published"))
