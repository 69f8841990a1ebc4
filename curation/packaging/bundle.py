"""The deposit as a whole: the packages written, then manifest.json (where each image
is), ifdo.json and datacite.xml (the set's own formats) and ro-crate-metadata.json
(the set and every file beside it), by `build`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rocrate.model.file import File as CrateFile
from rocrate.rocrate import ROCrate

from catalogue.formats import rocrate as rocrate_format
from catalogue.formats.registry import FORMATS
from catalogue.models import ImageSet
from curation.packaging.files import BuiltFile, write
from curation.packaging.planning import Entry, lay_out, paths_of, plan, url_maker
from curation.packaging.zipping import source_opener, write_package

MANIFEST = "manifest.json"
IFDO = "ifdo.json"
DATACITE = "datacite.xml"
ROCRATE = "ro-crate-metadata.json"
#: The files beside the packages, in the order they are built (and uploaded).
METADATA_FILES = (MANIFEST, IFDO, DATACITE, ROCRATE)
MEDIA_TYPES = {
    MANIFEST: "application/json",
    IFDO: "application/json",
    DATACITE: "application/vnd.datacite.datacite+xml",
}
DESCRIPTIONS = {
    MANIFEST: "Where each image is: its package, its path inside it, sha256, size and URL",
    IFDO: "iFDO (image FAIR Digital Object) of the set: a header and one item per image",
    DATACITE: "DataCite metadata of the set",
}


@dataclass
class Bundle:
    folder: Path
    files: list[BuiltFile]
    entries: list[Entry]

    @property
    def packages(self) -> list[BuiltFile]:
        return [built for built in self.files if built.name.endswith(".zip")]


def manifest_text(image_set: ImageSet, entries: list[Entry]) -> str:
    """manifest.json: the set, then one image per line."""
    head = json.dumps(
        {"image_set": str(image_set.uuid), "title": image_set.title, "version": image_set.version},
        indent=2,
        ensure_ascii=False,
    )
    encode = json.JSONEncoder(ensure_ascii=False).encode
    # One line per image, formatted directly (sha256 is hex, size an int): a dict and
    # its encoding per image took most of the time of the whole file.
    images = ",\n".join(
        f'    {{"package": {encode(entry.package)}, "path": {encode(entry.path)}, '
        f'"sha256": "{entry.sha256}", "size": {int(entry.size)}, "url": {encode(entry.url)}}}'
        for entry in entries
    )
    return head[: -len("\n}")] + ',\n  "images": [\n' + images + "\n  ]\n}\n"


def manifest(image_set: ImageSet, entries: list[Entry]) -> dict:
    return json.loads(manifest_text(image_set, entries))


def crate_metadata(image_set: ImageSet, files: list[BuiltFile], counts: dict[str, int]) -> bytes:
    """ro-crate-metadata.json: the set as root Dataset (as its RO-Crate download
    describes it), each package and metadata file a File of it."""
    crate = ROCrate(gen_preview=False, version=rocrate_format.VERSION)
    rocrate_format.describe_root(crate, image_set, None)
    for built in files:
        properties: dict = {"name": built.name, "contentSize": str(built.size)}
        if built.name in counts:
            properties["encodingFormat"] = "application/zip"
            properties["description"] = (
                f"{counts[built.name]} images of the set, stored (not compressed); "
                f"{MANIFEST} lists each one's path, sha256 and size"
            )
        else:
            properties["encodingFormat"] = MEDIA_TYPES[built.name]
            properties["description"] = DESCRIPTIONS[built.name]
        crate.add(CrateFile(crate, source=None, dest_path=built.name, properties=properties))
    text = json.dumps(crate.metadata.generate(), indent=2, ensure_ascii=False) + "\n"
    return text.encode()


def build(image_set: ImageSet, folder: Path | str, *, max_files: int, max_bytes: int) -> Bundle:
    """Write the set's packages, manifest.json, ifdo.json, datacite.xml and
    ro-crate-metadata.json into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    packages = plan(image_set, max_files=max_files, max_bytes=max_bytes)
    entries = lay_out(packages, url_maker())
    opener = source_opener()
    files = [
        write_package(package, paths, folder / package.name, opener)
        for package, paths in zip(packages, paths_of(packages, entries), strict=True)
    ]
    files += [
        write(folder, MANIFEST, manifest_text(image_set, entries).encode()),
        write(folder, IFDO, FORMATS["ifdo.json"].render(image_set)),
        write(folder, DATACITE, FORMATS["datacite.xml"].render(image_set)),
    ]
    counts = {package.name: len(package.images) for package in packages}
    files.append(write(folder, ROCRATE, crate_metadata(image_set, files, counts)))
    return Bundle(folder, files, entries)
