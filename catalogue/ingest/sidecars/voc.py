"""Pascal VOC XML (one `<annotation>` file per image) read into a Sidecar.

Each `<object>` becomes a box on its image, labelled with its `<name>`, a person's
and so validated. The image is the one `<filename>` names; since observatory
archives (OBSEA's, for one) rename images and their XML together and leave
`<filename>` as it was, the XML's own name with the image's extension
(`00001.xml` -> `00001.jpg`) is offered as well, so whichever is in the set is
paired. A box that pokes out of the image (`<xmin>-9</xmin>`) is clipped to it
with a warning; one wholly outside is a problem.

The XML is read with defusedxml and no DTD is accepted, so entity bombs and
external entities are refused before anything expands. Problems name the line
and the element path ("annotation/object[2]/bndbox/xmin") and are reported all
at once.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from typing import Any
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from catalogue.ingest.sidecars.records import (
    MAX_LABEL_LENGTH,
    PASCAL_VOC,
    AnnotationRecord,
    ImageMetadata,
    SetMetadata,
    Sidecar,
    SidecarProblems,
)
from catalogue.ingest.sidecars.values import nfc

CORNERS = ("xmin", "ymin", "xmax", "ymax")


class _LineBuilder(ET.TreeBuilder):
    """A tree builder that notes the line each element starts on, for messages."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[int, int] = {}
        self.parser: DefusedXMLParser | None = None

    def start(self, tag: Any, attrs: Any) -> ET.Element:
        element = super().start(tag, attrs)
        if self.parser is not None:  # the pure-Python parser defusedxml extends exposes expat
            self.lines[id(element)] = self.parser.parser.CurrentLineNumber
        return element


def _load(data: bytes | str, problems: SidecarProblems) -> tuple[ET.Element, dict[int, int]]:
    builder = _LineBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(data.encode() if isinstance(data, str) else bytes(data))
        root = parser.close()
    except DefusedXmlException as error:
        raise problems.fatal(
            f"declares a DTD or entities ({type(error).__name__}); VOC files need none, and "
            "they can expand without end (entity bombs) or read other files"
        ) from None
    except (ET.ParseError, ExpatError) as error:
        line = getattr(error, "position", (None,))[0] or getattr(error, "lineno", None)
        raise problems.fatal(f"not well-formed XML ({error})", line=line) from None
    return root, builder.lines


def parse_voc(data: bytes | str, *, name: str) -> Sidecar:
    """Read one Pascal VOC annotation file."""
    problems = SidecarProblems(name)
    root, lines = _load(data, problems)
    if root.tag != "annotation":
        raise problems.fatal(
            "not a Pascal VOC file: the root element must be <annotation>",
            line=lines.get(id(root)),
            column=root.tag,
        )
    warnings: list[str] = []
    named = nfc((root.findtext("filename") or "").strip())
    if not named:
        raise problems.fatal(
            "no image file name", line=lines.get(id(root)), column="annotation/filename"
        )
    size = _size(root, lines, problems)
    records = []
    for index, element in enumerate(root.findall("object"), 1):
        record = _box(element, f"annotation/object[{index}]", size, lines, problems, warnings)
        if record is not None:
            records.append(record)
    names = [named]
    own = PurePosixPath(name).stem + PurePosixPath(named).suffix
    if own != PurePosixPath(named).name:
        names.append(own)  # the XML's own name: see the module docstring
    problems.names.update(names)
    problems.raise_if_any()
    images = {
        file_name: ImageMetadata(file_name=file_name, annotations=list(records))
        for file_name in names
    }
    if len(names) > 1:
        warnings.append(
            f"<filename> {named!r} is not this file's own name; the boxes go to whichever of "
            f"{named!r} and {own!r} is in the set"
        )
    return Sidecar(PASCAL_VOC, SetMetadata(), images, warnings, name=name)


def _number(element: ET.Element | None) -> float | None:
    try:
        value = float((element.text or "").strip()) if element is not None else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _size(
    root: ET.Element, lines: dict[int, int], problems: SidecarProblems
) -> tuple[float, float] | None:
    """The image's width and height, when the file gives them (clipping needs them)."""
    size = root.find("size")
    if size is None:
        return None
    found = []
    for key in ("width", "height"):
        element = size.find(key)
        value = _number(element)
        if element is not None and (value is None or value < 0):
            problems.add(
                "is not a size in pixels",
                line=lines.get(id(element)),
                column=f"annotation/size/{key}",
                value=element.text or "",
            )
        found.append(value)
    width, height = found
    # Labelling tools write 0 x 0 when they could not read the image: no size then.
    return (width, height) if width and height else None


def _box(
    element: ET.Element,
    path: str,
    size: tuple[float, float] | None,
    lines: dict[int, int],
    problems: SidecarProblems,
    warnings: list[str],
) -> AnnotationRecord | None:
    line = lines.get(id(element))
    label = (element.findtext("name") or "").strip()
    if not label or len(label) > MAX_LABEL_LENGTH:
        problems.add(
            f"expected a label of 1 to {MAX_LABEL_LENGTH} characters",
            line=line,
            column=f"{path}/name",
            value=label,
        )
        return None
    box = element.find("bndbox")
    if box is None:
        problems.add("no <bndbox>", line=line, column=path)
        return None
    corners = []
    for key in CORNERS:
        corner = box.find(key)
        value = _number(corner)
        if value is None:
            problems.add(
                "is not a pixel coordinate",
                line=lines.get(id(corner), lines.get(id(box))),
                column=f"{path}/bndbox/{key}",
                value=corner.text if corner is not None and corner.text else "",
            )
        corners.append(value)
    if any(value is None for value in corners):
        return None
    x1, y1, x2, y2 = (float(value) for value in corners if value is not None)
    if x1 >= x2 or y1 >= y2:
        problems.add(
            "the box is empty (xmin must be below xmax, ymin below ymax)",
            line=lines.get(id(box)),
            column=f"{path}/bndbox",
            value=f"{x1:g},{y1:g},{x2:g},{y2:g}",
        )
        return None
    if size is not None:
        width, height = size
        clipped = [max(0.0, x1), max(0.0, y1), min(width, x2), min(height, y2)]
        if clipped[0] >= clipped[2] or clipped[1] >= clipped[3]:
            problems.add(
                f"the box lies outside the {width:g} x {height:g} image",
                line=lines.get(id(box)),
                column=f"{path}/bndbox",
                value=f"{x1:g},{y1:g},{x2:g},{y2:g}",
            )
            return None
        if clipped != [x1, y1, x2, y2]:
            warnings.append(
                f"line {lines.get(id(box))}, {path}/bndbox: the box ({x1:g},{y1:g})-"
                f"({x2:g},{y2:g}) pokes out of the {width:g} x {height:g} image; clipped to it"
            )
        x1, y1, x2, y2 = clipped
    return AnnotationRecord(
        label=label, where=f"line {line}, {path}", shape="box", coordinates=[x1, y1, x2, y2]
    )
