"""YOLO labels of a set, as a zip: the layout Ultralytics and most detection
tools read.

    data.yaml                 nc, names (class index -> label), where the images go
    classes.txt               one label per line, line number = class index
    labels/<image path>.txt   one line per box: "class cx cy w h", normalised to 0..1

Every image gets a label file, an empty one when it has no annotation (a
background example). Each area annotation (box, rotated box, polygon, circle,
whole image) is written as the box around it; points and lines have no extent
to detect and are left out. Classes are the labels of the set's label set, in
its order. The image files themselves come with the RO-Crate zip.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

import yaml

from catalogue.formats import annotations as sources
from catalogue.models import Image, ImageSet

NO_EXTENT = {"point", "line"}
# A fixed time for every member: the same set gives the same bytes.
STAMP = (2020, 1, 1, 0, 0, 0)


def classes(found: sources.SetAnnotations, images: list[Image]) -> list[str]:
    names = [category.name for category in found.categories]
    for image in images:
        if found.of(image) is None:
            names += [n for n in sources.sidecar_labels(image.fields) if n not in names]
    return list(dict.fromkeys(names))


def label_lines(image: Image, found: sources.SetAnnotations, index: dict[str, int]) -> list[str]:
    rows = found.of(image)
    if rows is None:  # a sidecar's whole-image classes
        names = dict.fromkeys(sources.sidecar_labels(image.fields))
        return [f"{index[name]} 0.5 0.5 1 1" for name in names]
    lines = []
    for row in rows:
        if row.shape in NO_EXTENT:
            continue
        x0, y0, x1, y1 = row.box
        width, height = float(image.width), float(image.height)
        numbers = (
            (x0 + x1) / 2 / width,
            (y0 + y1) / 2 / height,
            (x1 - x0) / width,
            (y1 - y0) / height,
        )
        lines.append(f"{index[row.label.name]} " + " ".join(f"{n:.6f}" for n in numbers))
    return lines


def label_path(image: Image) -> str:
    return str(PurePosixPath("labels") / PurePosixPath(image.file_name).with_suffix(".txt"))


def to_zip(image_set: ImageSet, *, base: str | None = None) -> bytes:
    found = sources.read(image_set)
    images = list(image_set.images.order_by("file_name", "pk"))
    names = classes(found, images)
    index = {name: number for number, name in enumerate(names)}
    data = {"path": ".", "train": "images", "val": "images", "nc": len(names), "names": names}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, text: str) -> None:
            member = zipfile.ZipInfo(name, STAMP)
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, text)

        add("data.yaml", yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        add("classes.txt", "".join(f"{name}\n" for name in names))
        for image in images:
            lines = label_lines(image, found, index)
            add(label_path(image), "".join(f"{line}\n" for line in lines))
    return out.getvalue()
