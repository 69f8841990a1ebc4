"""Sample inputs for the ingest tests, built on the real FlowCam demo file names:
EcoTaxa TSV rows, an iFDO document, and Image rows as the pipeline writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogue.ingest.errors import IngestError
from tests.catalogue.conftest import DEMO_IMAGES

IMAGES = DEMO_IMAGES  # the real FlowCam demo images shipped in the repository


def _flowcam() -> dict[str, list[str]]:
    """Class name -> sorted real image file names (the folder name is the class)."""
    return {
        folder.name: sorted(p.name for p in folder.glob("*.jpg"))
        for folder in sorted(IMAGES.iterdir())
        if folder.is_dir() and any(folder.glob("*.jpg"))
    }


FLOWCAM = _flowcam()
CLASSES = sorted(FLOWCAM)
# (class, file name) of the first image of each class
FIRSTS = [(cls, FLOWCAM[cls][0]) for cls in CLASSES]

FULL_COLUMNS = [
    "img_file_name",
    "img_rank",
    "object_id",
    "object_lat",
    "object_lon",
    "object_date",
    "object_time",
    "object_depth_min",
    "object_depth_max",
    "object_annotation_category",
    "object_annotation_status",
    "object_annotation_person_name",
    "object_annotation_date",
    "object_area",
    "sample_id",
    "sample_ship",
    "acq_id",
    "acq_instrument",
    "process_id",
    "process_pixel",
]
FULL_TYPES = [
    "[t]",
    "[f]",
    "[t]",
    "[f]",
    "[f]",
    "[t]",
    "[t]",
    "[f]",
    "[f]",
    "[t]",
    "[t]",
    "[t]",
    "[t]",
    "[f]",
    "[t]",
    "[t]",
    "[t]",
    "[t]",
    "[t]",
    "[f]",
]


def full_row(index: int, cls: str, file_name: str) -> list[str]:
    return [
        file_name,
        "0",
        f"obj_{index}",
        f"{51.2 + index / 10}",
        f"{2.9 - index / 10}",
        f"2023061{index}",
        f"10{index}530",
        f"{index}.5",
        f"{index + 2}.5",
        cls,
        "validated",
        "Wout Decrop",
        "20240102",
        f"{100 + index}.25",
        "vlizbelgica_2023_w01",
        "RV Simon Stevin",
        "flowcam_acq_1",
        "FlowCam",
        "proc_1",
        "0.73",
    ]


def tsv_text(rows: list[list[str]], *, newline: str = "\n") -> str:
    return newline.join("\t".join(r) for r in rows) + newline


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def reject(parse, *args, **kwargs) -> IngestError:
    with pytest.raises(IngestError) as info:
        parse(*args, **kwargs)
    return info.value


def simple_tsv(rows: list[list[str]], *, types: bool = True) -> str:
    """img_file_name, object_lat, object_lon, object_depth_min, object_depth_max, object_area."""
    header = [
        "img_file_name",
        "object_lat",
        "object_lon",
        "object_depth_min",
        "object_depth_max",
        "object_area",
    ]
    type_row = ["[t]", "[f]", "[f]", "[f]", "[f]", "[f]"]
    return tsv_text([header, *([type_row] if types else []), *rows])


SET_UUID = "9d3c4e1a-2b7f-4c8e-9a51-0f6d2e7b8c31"


def ifdo_doc() -> dict:
    """Header defaults (position, time, depth) and three items that override some."""
    (c0, f0), (c1, f1), (_, f2) = FIRSTS[:3]
    return {
        "image-set-header": {
            "image-set-name": "FlowCam Belgica 2023",
            "image-set-uuid": SET_UUID,
            "image-set-handle": "https://hdl.handle.net/20.500.12345/flowcam",
            "image-set-ifdo-version": "v2.1.0",
            "image-abstract": "FlowCam particles from the Belgian part of the North Sea.",
            "image-license": {
                "name": "CC-BY-4.0",
                "uri": "https://creativecommons.org/licenses/by/4.0/",
            },
            "image-creators": [
                {"name": "Wout Decrop", "uri": "https://orcid.org/0000-0002-1825-0097"},
            ],
            "image-pi": {"name": "Jane Doe", "orcid": "0000-0001-5109-3700"},
            "image-platform": {"name": "RV Simon Stevin"},
            "image-sensor": "FlowCam 8400",
            "image-project": {"name": "LifeWatch Belgium"},
            "image-event": {"name": "SS2023-W01"},
            "image-datetime": "2023-06-01 08:00:00.000000",
            "image-latitude": 51.5,
            "image-longitude": 2.75,
            "image-depth": 3.0,
            "image-acquisition": "slide",
        },
        "image-set-items": {
            f0: {"image-annotations": [{"labels": [{"label": c0}]}]},
            f1: {
                "image-datetime": "2023-06-02T09:30:00+02:00",
                "image-latitude": -12.25,
                "image-longitude": 130.5,
                "image-altitude-meters": -40.0,
                "image-acquisition": "photo",
                "image-annotations": [{"labels": [{"label": c1}]}],
            },
            f2: {"image-depth": 7.5, "image-platform": {"name": "RIB Zeekat"}},
        },
    }


def image_row(image_set, index: int, **fields) -> dict:
    """The fields of an Image row of `image_set`, as the pipeline's writer passes them."""
    sha256 = f"{index:064x}"
    return {
        "image_set_id": image_set.pk,
        "file_name": f"img_{index}.jpg",
        "storage_key": f"sets/{image_set.uuid}/originals/{sha256}.jpg",
        "sha256": sha256,
        "size": 100,
        "media_type": "image/jpeg",
        "width": 10,
        "height": 10,
        **fields,
    }
