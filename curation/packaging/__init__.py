"""A set's files as a repository takes them: zip packages of its originals, and
beside them manifest.json, the set's iFDO, its DataCite XML and RO-Crate metadata.

Repositories limit the files of a record (InvenioRDM and Zenodo: 100) and their
sizes, so the originals go into zip packages of at most `max_files` images and
`max_bytes` bytes each (an image larger than `max_bytes` gets a package of its
own). Images are stored, not recompressed, and streamed from `default_storage`
(a local file is opened directly). `manifest.json` says where each image is
(package, path inside it, sha256, size, its AquaCat URL); `ifdo.json` and
`datacite.xml` are the set's own formats (catalogue.formats.registry);
`ro-crate-metadata.json` describes the set (as its RO-Crate download does) and
every file beside it. The output is the same bytes every time for the same set
(fixed entry order and dates), so a resumed upload can compare checksums with
what the repository already holds.

A file's md5 (what repositories report) is taken as it is read for the upload
(`BuiltFile.open`), or read from the file when first asked for: packaging
itself reads every original once and writes every byte once.

One module per job: `planning` (which image goes in which package, at which path),
`zipping` (a package written as a zip of stored images, by a writer of our own that
takes each image's stored CRC-32; see there), `files` (the written files and their
md5) and `bundle` (manifest.json, the metadata files and `build`, all of it).
"""

from __future__ import annotations

from curation.packaging.bundle import (
    DATACITE,
    DESCRIPTIONS,
    IFDO,
    MANIFEST,
    MEDIA_TYPES,
    METADATA_FILES,
    ROCRATE,
    Bundle,
    build,
    crate_metadata,
    manifest,
    manifest_text,
)
from curation.packaging.files import CHUNK, BuiltFile, HashingReader, built, md5_of, write
from curation.packaging.planning import (
    ROW_FIELDS,
    Entry,
    Package,
    Row,
    lay_out,
    paths_of,
    plan,
    rows,
    url_maker,
)
from curation.packaging.zipping import (
    BATCH,
    CENTRAL_HEADER,
    DOS_DATE,
    DOS_TIME,
    END_RECORD,
    ENTRY_DATE,
    EXTERNAL_ATTR,
    IOV_MAX,
    LOCAL_HEADER,
    MADE_BY,
    NO_SENDFILE,
    UTF8_NAME,
    WHOLE,
    ZIP64_FROM,
    ZIP_LIMIT,
    ZIP_MAX_ENTRIES,
    StoredZip,
    check_size,
    needs_zip64,
    read_whole,
    sendable,
    source_opener,
    write_package,
    write_zip64,
    zip_entries,
)

__all__ = [
    "BATCH",
    "CENTRAL_HEADER",
    "CHUNK",
    "DATACITE",
    "DESCRIPTIONS",
    "DOS_DATE",
    "DOS_TIME",
    "END_RECORD",
    "ENTRY_DATE",
    "EXTERNAL_ATTR",
    "IFDO",
    "IOV_MAX",
    "LOCAL_HEADER",
    "MADE_BY",
    "MANIFEST",
    "MEDIA_TYPES",
    "METADATA_FILES",
    "NO_SENDFILE",
    "ROCRATE",
    "ROW_FIELDS",
    "UTF8_NAME",
    "WHOLE",
    "ZIP64_FROM",
    "ZIP_LIMIT",
    "ZIP_MAX_ENTRIES",
    "BuiltFile",
    "Bundle",
    "Entry",
    "HashingReader",
    "Package",
    "Row",
    "StoredZip",
    "build",
    "built",
    "check_size",
    "crate_metadata",
    "lay_out",
    "manifest",
    "manifest_text",
    "md5_of",
    "needs_zip64",
    "paths_of",
    "plan",
    "read_whole",
    "rows",
    "sendable",
    "source_opener",
    "url_maker",
    "write",
    "write_package",
    "write_zip64",
    "zip_entries",
]
