"""RO-Crate 1.1 (https://w3id.org/ro/crate/1.1) of a set: its image files and its metadata.

The crate is described with the `rocrate` package: a root Dataset carrying the set's
citation metadata, one File entity per image under `images/`, and the set's DataCite XML
and EcoTaxa TSV under `metadata/`. The zip is produced as a stream: images are read from
`default_storage` in chunks and the archive is handed out as it is written, so a set of
any size never sits in memory.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import IO
from urllib.parse import unquote

from django.core.files.storage import default_storage
from rocrate.model.contextentity import ContextEntity
from rocrate.model.file import File
from rocrate.model.person import Person
from rocrate.rocrate import ROCrate

from catalogue.formats import common, schema_org
from catalogue.formats.registry import FORMATS
from catalogue.models import ImageSet

MEDIA_TYPE = "application/zip"
VERSION = "1.1"
#: The RO-Crate versions a crate may be written in (roc-validator checks both).
VERSIONS = ("1.1", "1.2")
#: Terms a version's context lacks: 1.1 has no `sha256` (1.2 maps it to schema.org).
EXTRA_TERMS = {"1.1": {"sha256": "http://schema.org/sha256"}}
CHUNK = 64 * 1024
IMAGES_DIR = "images/"
#: The metadata formats (registry keys) put in the crate under metadata/, with their names.
METADATA_FILES = (
    ("datacite.xml", "DataCite metadata of the set"),
    ("ecotaxa.tsv", "EcoTaxa TSV of the set's images"),
)
#: What the landing page calls the crate.
LABEL = "RO-Crate (images and metadata, zip)"


class StorageFile(File):
    """A File entity whose bytes come from `default_storage`, read in chunks."""

    def __init__(self, crate, key: str, dest_path: str, properties: dict):
        super().__init__(crate, source=None, dest_path=dest_path, properties=properties)
        self.key = key

    def stream(self, chunk_size: int = CHUNK) -> Iterator[tuple[str, bytes]]:
        name = unquote(self.id)
        empty = True
        with default_storage.open(self.key, "rb") as handle:
            while chunk := handle.read(chunk_size):
                empty = False
                yield name, chunk
        if empty:
            yield name, b""


def _agent(crate: ROCrate, creator: dict, index: int):
    is_person = common.is_person(creator)
    identifier = common.orcid_url(creator) or f"#creator-{index}"
    properties: dict = {"name": creator["name"]}
    given, family = common.split_name(creator["name"])
    if is_person and given:
        properties["givenName"], properties["familyName"] = given, family
    if creator.get("affiliation") or creator.get("ror"):
        org_id = common.ror_url(creator) or f"#affiliation-{index}"
        org_properties = {"@type": "Organization", "name": creator.get("affiliation") or ""}
        ror = common.ror_url(creator)
        if ror:  # RO-Crate: an organisation SHOULD have a URL
            org_properties["url"] = ror
        org = crate.dereference(org_id) or crate.add(ContextEntity(crate, org_id, org_properties))
        # schema.org's affiliation is a Person's; an organisation is a member of another.
        properties["affiliation" if is_person else "memberOf"] = org
    if is_person:
        return crate.add(Person(crate, identifier, properties))
    return crate.add(ContextEntity(crate, identifier, {"@type": "Organization", **properties}))


def _identifier(crate: ROCrate, s: ImageSet, base: str | None):
    """The root's identifier: the URL to cite in 1.1; in 1.2 a PropertyValue
    (Science-on-Schema.org), as 1.2's recommended checks ask."""
    cite = common.cite_as(s, base)
    if crate.metadata.version == "1.1":
        return cite
    properties = {"@type": "PropertyValue", "value": cite, "url": cite}
    if s.doi:
        properties.update(
            name="DOI",
            propertyID="https://registry.identifiers.org/registry/doi",
            value=f"doi:{s.doi}",
        )
    else:
        properties["name"] = "Landing page"
    return crate.add(ContextEntity(crate, "#identifier", properties))


def _coverage_shape(crate: ROCrate, s: ImageSet) -> dict | None:
    """1.1: a schema.org GeoShape; 1.2: also a GeoSPARQL Geometry in WKT, as 1.2 asks."""
    if crate.metadata.version == "1.1":
        return schema_org.geo_shape(s)
    wkt, shape = common.coverage_wkt(s), schema_org.geo_shape(s)
    if not wkt or not shape:
        return None
    return {**shape, "@type": ["GeoShape", "Geometry"], "asWKT": wkt}


def describe_root(crate: ROCrate, s: ImageSet, base: str | None) -> None:
    """The root Dataset of a crate: the set's citation metadata (shared by the RO-Crate zip
    and the deposit packages' ro-crate-metadata.json)."""
    root = crate.root_dataset
    root["name"] = s.title
    root["description"] = s.description or s.title
    root["identifier"] = _identifier(crate, s, base)
    root["url"] = common.landing_url(s, base)
    root["datePublished"] = common.publication_date(s).isoformat()
    lic = common.licence(s)
    root["license"] = crate.add(
        ContextEntity(
            crate,
            lic["spdx_url"],
            {
                "@type": "CreativeWork",
                "name": lic["name"],
                "identifier": lic["id"],
                "url": lic["url"],
                "description": f"The {lic['name']} licence (SPDX {lic['id']})",
            },
        )
    )
    agents = [_agent(crate, c, i) for i, c in enumerate(s.creators, start=1)]
    if agents:
        # RO-Crate's root SHOULD name its author; one value is written as itself.
        root["creator"] = root["author"] = agents[0] if len(agents) == 1 else agents
    publisher = {"@type": "Organization", "name": common.publisher_name()}
    publisher["url"] = common.base_url(base)
    email = common.contact_email()
    if email:  # RO-Crate 1.2: an author or publisher SHOULD have a contact point
        publisher["contactPoint"] = crate.add(
            ContextEntity(
                crate,
                f"mailto:{email}",
                {
                    "@type": "ContactPoint",
                    "name": f"{common.publisher_name()} administrators",
                    "contactType": "Repository",
                    "email": email,
                },
            )
        )
    root["publisher"] = crate.add(ContextEntity(crate, "#publisher", publisher))
    keywords = list(s.keywords) + [t["scientific_name"] for t in s.taxa]
    if keywords:
        root["keywords"] = keywords
    if s.version:
        root["version"] = s.version
    geo = _coverage_shape(crate, s)
    if geo:
        shape = crate.add(
            ContextEntity(crate, "#coverage-shape", {**geo, "name": "Outline of the coverage"})
        )
        root["spatialCoverage"] = crate.add(
            ContextEntity(
                crate, "#coverage", {"@type": "Place", "name": "Spatial coverage", "geo": shape}
            )
        )
    if s.time_start or s.time_end:
        root["temporalCoverage"] = (
            f"{common.iso(s.time_start) or '..'}/{common.iso(s.time_end) or '..'}"
        )


def build(image_set: ImageSet, *, base: str | None = None, version: str = VERSION) -> ROCrate:
    """The crate of a set: entities only; bytes are read when it is streamed."""
    crate = ROCrate(gen_preview=False, version=version)
    crate.metadata.extra_terms.update(EXTRA_TERMS.get(version, {}))
    describe_root(crate, image_set, base)
    for image in image_set.images.order_by("file_name"):
        properties = {
            "name": image.file_name.rsplit("/", 1)[-1],
            "description": _image_description(image),
            "encodingFormat": image.media_type,
            "contentSize": str(image.size),
            "sha256": image.sha256,
            "identifier": f"sha256:{image.sha256}",
        }
        if image.captured_at:
            properties["dateCreated"] = common.iso(image.captured_at)
        crate.add(StorageFile(crate, image.storage_key, IMAGES_DIR + image.file_name, properties))
    for key, name in METADATA_FILES:
        fmt = FORMATS[key]
        body = fmt.render(image_set, base=base)
        crate.add_file(
            io.BytesIO(body),
            dest_path=f"metadata/{key}",
            properties={
                "name": name,
                "description": f"{name}, as the portal serves it at its URL",
                "encodingFormat": fmt.media_type,
                "contentSize": str(len(body)),
                "url": common.metadata_url(image_set, key, base),
            },
        )
    return crate


def _image_description(image) -> str:
    """What the file is in words: RO-Crate 1.2 asks every data entity for a description."""
    parts = [f"Image {image.file_name} of the set"]
    if image.captured_at:
        parts.append(f"captured {common.iso(image.captured_at)}")
    if image.latitude is not None and image.longitude is not None:
        parts.append(f"at {image.latitude:g}, {image.longitude:g}")
    return ", ".join(parts)


class _Sink(io.RawIOBase):
    """A write-only, unseekable buffer that the zip is written into and drained from."""

    def __init__(self):
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.data += b
        return len(b)

    def drain(self) -> bytes:
        out = bytes(self.data)
        self.data.clear()
        return out


def stream_zip(crate: ROCrate, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """The crate as zip bytes, yielded as they are written (the metadata file last)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for entity in crate.data_entities + crate.default_entities:
            current_path: str | None = None
            out: IO[bytes] | None = None
            for path, chunk in entity.stream(chunk_size=chunk_size):
                if out is None or path != current_path:
                    if out:
                        out.close()
                    current_path, out = path, zf.open(unquote(path), mode="w", force_zip64=True)
                out.write(chunk)
                if len(sink.data) >= chunk_size:
                    yield sink.drain()
            if out:
                out.close()
    if sink.data:
        yield sink.drain()


def download_name(image_set: ImageSet) -> str:
    return f"{image_set.uuid}-rocrate.zip"
