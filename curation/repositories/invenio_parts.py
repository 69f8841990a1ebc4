"""Linked records: a set over one record's limits (Zenodo: 100 files, 50 GB) is
published as one record per part holding some of its packages, each
`IsPartOf` the main record, and the main record (the set's DOI) holding the
metadata files (manifest.json, datacite.xml, ...) and `parts.json`, and
`HasPart` each part. The manifest names each image's package; parts.json names
each package's record, so every image stays addressable.

The main record's DOI is reserved first, so that each part can point to it
before it is published. Steps, each recorded once: "DOI reserved", then for
each part n "part n draft created", "part n files uploaded", "part n
published". A part is tagged with its own identifier (a uuid derived from the
set's uuid and n) and looked up by it before it is created, so a worker that
died at any step makes no second record.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

from catalogue.models import ImageSet
from curation import packaging

if TYPE_CHECKING:
    from curation.repositories.invenio import InvenioTarget, Progress

DOI_RESERVED = "DOI reserved"
PARTS = "parts.json"


def split(
    bundle: packaging.Bundle, *, max_files: int, max_bytes: int
) -> list[list[packaging.BuiltFile]]:
    """The packages, grouped into parts of at most `max_files` files and `max_bytes`
    bytes each (a package over `max_bytes` alone); [] when one record holds them all."""
    if len(bundle.files) <= max_files and sum(f.size for f in bundle.files) <= max_bytes:
        return []
    parts: list[list[packaging.BuiltFile]] = []
    current: list[packaging.BuiltFile] = []
    for package in bundle.packages:
        size = sum(built.size for built in current)
        if current and (len(current) >= max_files or size + package.size > max_bytes):
            parts.append(current)
            current = []
        current.append(package)
    if current:
        parts.append(current)
    return parts


def part_identifier(image_set: ImageSet, number: int) -> str:
    return f"urn:uuid:{uuid.uuid5(image_set.uuid, f'part {number}')}"


def doi_pid(doi: str) -> dict:
    return {"doi": {"identifier": doi, "provider": "datacite", "client": "datacite"}}


def reserve_doi(target: InvenioTarget, run) -> str:
    """The main record's DOI, reserved on its draft (once: a reserved one is read back)."""
    doi = run.data(DOI_RESERVED).get("doi")
    if doi:
        return doi
    record_id = run.deposit.remote_id
    draft = target.json("GET", f"/records/{record_id}/draft")
    doi = draft.get("pids", {}).get("doi", {}).get("identifier")
    if not doi:
        reserved = target.json("POST", f"/records/{record_id}/draft/pids/doi")
        doi = reserved["pids"]["doi"]["identifier"]
    run.record(DOI_RESERVED, doi, data={"doi": doi})
    return doi


def part_body(
    target: InvenioTarget, image_set: ImageSet, number: int, count: int, main_doi: str, names
) -> dict:
    body = target.record_body(image_set)
    metadata = body["metadata"]
    metadata["title"] = f"{image_set.title} (part {number} of {count})"
    metadata["identifiers"] = [{"scheme": "urn", "identifier": part_identifier(image_set, number)}]
    metadata["related_identifiers"] = [
        {"identifier": main_doi, "scheme": "doi", "relation_type": {"id": "ispartof"}}
    ]
    note = (
        f"<p>Part {number} of {count} of the image set https://doi.org/{main_doi}: "
        f"{', '.join(names)}. That record's manifest.json says where each image is.</p>"
    )
    metadata["description"] = note + metadata.get("description", "")
    return body


def deposit_part(
    target: InvenioTarget,
    run,
    progress: Progress,
    number: int,
    files: list[packaging.BuiltFile],
    count: int,
    main_doi: str,
) -> dict:
    """Part `number`'s record, published with its packages: {"id", "doi", "url"}."""
    created, uploaded, published = (
        f"part {number} {step}" for step in ("draft created", "files uploaded", "published")
    )
    done = run.data(published)
    if done:
        progress.add(len(files))
        return done
    record_id = run.data(created).get("id")
    if not record_id:
        names = [built.name for built in files]
        body = part_body(target, run.image_set, number, count, main_doi, names)
        identifier = part_identifier(run.image_set, number)
        draft = target.own_record(identifier, body, published=True)
        if not draft.get("is_published"):
            target.refuse_invalid(draft)
        record_id = draft["id"]
        run.record(created, f"draft {record_id}", data={"id": record_id})
    if run.done(uploaded) or target.is_published(record_id):
        progress.add(len(files))
    else:
        target.upload_files(record_id, files, progress)
        run.record(uploaded, f"{len(files)} file(s)")
    target.publish(record_id)
    record = target.json("GET", f"/records/{record_id}")
    links = record.get("links", {})
    done = {
        "id": record_id,
        "doi": record["pids"]["doi"]["identifier"],
        "url": links.get("self_html") or links.get("self", ""),
        "files": [built.name for built in files],
    }
    run.record(published, done["doi"], data=done)
    return done


def deposit_parts(
    target: InvenioTarget,
    run,
    bundle: packaging.Bundle,
    parts: list[list[packaging.BuiltFile]],
    progress: Progress,
) -> list[packaging.BuiltFile]:
    """Publish every part, link the main draft to them; the main record's files."""
    image_set = run.image_set
    main_doi = reserve_doi(target, run)
    done = [
        deposit_part(target, run, progress, number, files, len(parts), main_doi)
        for number, files in enumerate(parts, 1)
    ]
    body = target.record_body(image_set)
    body["pids"] = doi_pid(main_doi)
    body["metadata"]["related_identifiers"] += [
        {"identifier": part["doi"], "scheme": "doi", "relation_type": {"id": "haspart"}}
        for part in done
    ]
    target.json("PUT", f"/records/{run.deposit.remote_id}/draft", body)
    listing = {
        "image_set": str(image_set.uuid),
        "doi": main_doi,
        "parts": [
            {"part": number, "doi": part["doi"], "url": part["url"], "files": part["files"]}
            for number, part in enumerate(done, 1)
        ],
    }
    path = bundle.folder / PARTS
    path.write_text(json.dumps(listing, indent=2) + "\n", encoding="utf-8")
    packages = {built.name for built in bundle.packages}
    return [built for built in bundle.files if built.name not in packages] + [
        packaging.built(PARTS, path)
    ]
