"""Which image goes where: the set's images split into packages within the file and
byte limits, and each image's entry (its package, its path inside it, its URL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.urls import reverse

from catalogue.formats.common import entry_path
from catalogue.models import ImageSet


class Row(NamedTuple):
    """What packaging reads of an image."""

    pk: int
    file_name: str
    storage_key: str
    sha256: str
    size: int
    crc32: int | None


ROW_FIELDS = Row._fields


@dataclass(slots=True)
class Entry:
    """One image inside a package."""

    image_id: int
    package: str
    path: str
    sha256: str
    size: int
    url: str


@dataclass
class Package:
    name: str
    images: list[Row] = field(default_factory=list)
    size: int = 0


def url_maker() -> Callable[[int], str]:
    """An image's AquaCat URL by its id: one reverse() for all images."""
    marker = 9876543210123
    url = settings.SITE_URL.rstrip("/") + reverse("catalogue:image-original", kwargs={"pk": marker})
    prefix, suffix = url.split(str(marker), 1)
    return lambda pk: f"{prefix}{pk}{suffix}"


def rows(image_set: ImageSet) -> Iterator[Row]:
    """The set's images in a stable order (file name, then id), only what packaging needs."""
    found = image_set.images.order_by("file_name", "pk").values_list(*ROW_FIELDS)
    for values in found.iterator(chunk_size=2000):
        yield Row(*values)


def plan(image_set: ImageSet, *, max_files: int, max_bytes: int) -> list[Package]:
    """The set's images split into packages, in a stable order (file name, then id)."""
    if max_files < 1 or max_bytes < 1:
        raise ValueError("a package holds at least one file and one byte")
    packages: list[Package] = []
    current: Package | None = None
    for row in rows(image_set):
        full = current is not None and (
            len(current.images) >= max_files or current.size + row.size > max_bytes
        )
        if current is None or full:
            current = Package(name="")
            packages.append(current)
        current.images.append(row)
        current.size += row.size
    width = max(3, len(str(len(packages))))
    for number, package in enumerate(packages, 1):
        package.name = f"images-{number:0{width}d}.zip"
    return packages


def lay_out(packages: list[Package], url: Callable[[int], str]) -> list[Entry]:
    """Each image's entry: its package, its path inside it, its URL (in package order)."""
    entries: list[Entry] = []
    used: set[str] = set()  # across packages: the iFDO names each image by its path
    for package in packages:
        for image in package.images:
            path = entry_path(image.pk, image.file_name, used)
            entries.append(
                Entry(image.pk, package.name, path, image.sha256, image.size, url(image.pk))
            )
    return entries


def paths_of(packages: list[Package], entries: list[Entry]) -> Iterator[list[str]]:
    """Each package's entry paths (entries are in package order)."""
    first = 0
    for package in packages:
        yield [entry.path for entry in entries[first : first + len(package.images)]]
        first += len(package.images)
