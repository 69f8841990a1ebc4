"""Pascal VOC sidecars (catalogue/ingest/sidecars/voc.py): one XML per image, in the
shape OBSEA's observatory camera archive uses (samples16/voc, see its README).
No database: the parser only turns bytes into records."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image as PILImage

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.ingest.sidecars import (
    PASCAL_VOC,
    SidecarRefused,
    parse_sidecar,
    parse_voc,
    sniff_sidecar,
)
from curation.models import Annotation
from tests.catalogue.conftest import real_jpegs

VOC = Path(__file__).parent / "samples16" / "voc"


def refused(data: bytes | str, name: str = "00009.xml") -> SidecarRefused:
    with pytest.raises(SidecarRefused) as caught:
        parse_voc(data, name=name)
    return caught.value


def rows(error: SidecarRefused) -> list[tuple[int | None, str, str, str]]:
    return [(p.line, p.column, p.value, p.reason) for p in error.problems]


def voc(objects: str, *, size: str = "<width>640</width><height>480</height>") -> str:
    return (
        "<annotation>\n<filename>a.jpg</filename>\n"
        f"<size>{size}<depth>3</depth></size>\n{objects}</annotation>\n"
    )


def box(name: str, xmin, ymin, xmax, ymax) -> str:
    return (
        f"<object>\n<name>{name}</name>\n<bndbox>\n<xmin>{xmin}</xmin><ymin>{ymin}</ymin>"
        f"<xmax>{xmax}</xmax><ymax>{ymax}</ymax>\n</bndbox>\n</object>\n"
    )


def test_one_line_obsea_file_is_sniffed_and_read():
    data = (VOC / "00001.xml").read_bytes()

    assert sniff_sidecar("Tagging_XML/00001.xml", data) == PASCAL_VOC
    sidecar = parse_sidecar("Tagging_XML/00001.xml", data)

    assert sidecar.format == PASCAL_VOC
    # <filename> keeps the name the image had before the archive renamed it: both are
    # offered, so whichever of them is in the set gets the box.
    assert sorted(sidecar.images) == ["00001.jpg", "OBSEA140101100706_1045_01.jpg"]
    for image in sidecar.images.values():
        [record] = image.annotations
        assert (record.label, record.shape, record.status) == ("fish", "box", "validated")
        assert record.coordinates == [267, 175, 374, 272]
    assert "is not this file's own name" in sidecar.warnings[0]


def test_box_poking_out_of_the_image_is_clipped_with_a_warning():
    sidecar = parse_voc((VOC / "00002.xml").read_bytes(), name="00002.xml")

    first, second = sidecar.images["00002.jpg"].annotations
    assert first.coordinates == [0, 84, 280, 296]  # xmin -9
    assert second.coordinates == [512, 301, 640, 402]  # xmax 655 on a 640-wide image
    clipped = [w for w in sidecar.warnings if "pokes out" in w]
    assert clipped == [
        "line 19, annotation/object[1]/bndbox: the box (-9,84)-(280,296) pokes out of the "
        "640 x 480 image; clipped to it",
        "line 31, annotation/object[2]/bndbox: the box (512,301)-(655,402) pokes out of the "
        "640 x 480 image; clipped to it",
    ]


def test_a_file_named_as_its_image_pairs_by_that_name_only():
    sidecar = parse_voc(voc(box("fish", 1, 2, 30, 40)), name="labels/a.xml")

    assert list(sidecar.images) == ["a.jpg"]
    assert sidecar.warnings == []


def test_every_problem_is_reported_with_line_element_and_value():
    objects = (
        box("", 1, 1, 5, 5)
        + box("fish", "left", 1, 5, 5)
        + box("fish", 10, 10, 5, 20)
        + box("fish", 700, 500, 800, 600)
        + "<object>\n<name>crab</name>\n</object>\n"
        + box("fish", 1, 1, 5, 5)
    )
    error = refused(voc(objects, size="<width>wide</width><height>480</height>"))

    assert rows(error) == [
        (3, "annotation/size/width", "wide", "is not a size in pixels"),
        (4, "annotation/object[1]/name", "", "expected a label of 1 to 300 characters"),
        (13, "annotation/object[2]/bndbox/xmin", "left", "is not a pixel coordinate"),
        (
            18,
            "annotation/object[3]/bndbox",
            "10,10,5,20",
            "the box is empty (xmin must be below xmax, ymin below ymax)",
        ),
        (28, "annotation/object[5]", "", "no <bndbox>"),
    ]
    assert error.names == {"a.jpg", "00009.jpg"}  # none of its images is imported


def test_box_wholly_outside_the_image_is_a_problem():
    error = refused(voc(box("fish", 700, 500, 800, 600)))

    assert rows(error) == [
        (
            6,
            "annotation/object[1]/bndbox",
            "700,500,800,600",
            "the box lies outside the 640 x 480 image",
        )
    ]


def test_not_well_formed_xml_names_its_line():
    error = refused("<annotation>\n<filename>a.jpg</filename>\n<object>\n</annotation>\n")

    [(line, _, _, reason)] = rows(error)
    assert line == 4
    assert reason.startswith("not well-formed XML (mismatched tag")


def test_entity_bomb_is_refused_before_it_expands():
    lol = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?>\n<!DOCTYPE annotation [<!ENTITY lol0 "lol">{lol}]>\n'
    bomb += "<annotation><filename>a.jpg</filename><object><name>&lol9;</name></object>"
    bomb += "</annotation>"

    assert sniff_sidecar("bomb.xml", bomb.encode()) == PASCAL_VOC  # so it is refused by name
    error = refused(bomb, "bomb.xml")

    [(_, _, _, reason)] = rows(error)
    assert reason.startswith("declares a DTD or entities (DTDForbidden)")
    assert error.names is None  # which images it describes cannot be told


def test_external_entity_is_refused():
    xxe = (
        '<?xml version="1.0"?>\n<!DOCTYPE annotation [<!ENTITY secret SYSTEM '
        '"file:///etc/passwd">]>\n<annotation><filename>&secret;</filename></annotation>'
    )

    error = refused(xxe)

    assert "DTDForbidden" in error.problems[0].reason
    assert "passwd" not in error.reason.replace("file:///etc/passwd", "")


def test_other_xml_is_not_a_voc_sidecar():
    assert sniff_sidecar("feed.xml", b'<?xml version="1.0"?>\n<rss><channel/></rss>') is None
    error = refused("<?xml version='1.0'?><!-- a note --><gpx><trk/></gpx>")
    assert rows(error) == [
        (1, "gpx", "", "not a Pascal VOC file: the root element must be <annotation>")
    ]


# --- ingested: paired by the XML's own name, boxes stored clipped -----------------------------


@pytest.mark.django_db
def test_renamed_images_get_their_boxes_through_an_ingest(tmp_path):
    folder = tmp_path / "obsea"
    (folder / "Tagging_Img").mkdir(parents=True)
    (folder / "Tagging_XML").mkdir()
    for number, path in enumerate(real_jpegs(2), 1):
        shutil.copy(path, folder / "Tagging_Img" / f"{number:05d}.jpg")
        with PILImage.open(path) as picture:
            width, height = picture.size
        # As OBSEA's: <filename> keeps the camera's name; the box pokes out to the left.
        (folder / "Tagging_XML" / f"{number:05d}.xml").write_text(
            f"<annotation><filename>OBSEA1401011007{number:02d}_1045_01.jpg</filename>"
            + f"<size><width>{width}</width><height>{height}</height><depth>3</depth></size>"
            + box("fish", -3, 1, width - 1, height - 1)
            + "</annotation>"
        )
    image_set = services.create_image_set(title="OBSEA camera", actor=SYSTEM)

    batch = services.ingest(image_set, [folder], actor=SYSTEM)

    assert batch.added == 2
    assert not [entry for entry in batch.rejected if entry["name"].endswith(".xml")]
    found = Annotation.objects.filter(image__image_set=image_set).select_related("image")
    assert sorted(a.image.file_name for a in found) == [
        "Tagging_Img/00001.jpg",
        "Tagging_Img/00002.jpg",
    ]
    for annotation in found:
        assert annotation.label.name == "fish"
        assert annotation.shape == "box"
        assert annotation.coordinates[0] == 0  # clipped from -3
