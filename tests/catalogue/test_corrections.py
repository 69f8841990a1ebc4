"""Corrections: images already in the set, sent again with a corrected sidecar, take its
metadata (revision bumped, queued for indexing) and are reported as updated."""

import shutil
from pathlib import Path

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import SearchOutbox
from tests.catalogue.conftest import stored_keys

pytestmark = pytest.mark.django_db

EXPORT = Path(__file__).parent / "ecotaxa_samples" / "zooscan_export"
TSV = "ecotaxa_m106_mn01_n1_sml.tsv"
NAMES = [f"m106_mn01_n1_sml_{n}.jpg" for n in (409, 821, 822, 850, 851)]


def export_with(tmp_path, old: str, new: str) -> Path:
    """The real ZooScan export folder with one text of its TSV replaced."""
    folder = tmp_path / "m106_mn01_n1_sml"
    shutil.copytree(EXPORT, folder, dirs_exist_ok=True)
    text = (EXPORT / TSV).read_text()
    assert old in text
    (folder / TSV).write_text(text.replace(old, new))
    return folder


def test_a_corrected_tsv_updates_the_images_it_describes(storage, tmp_path):
    # First ingest: the curator typed the wrong sign of the longitude and depth.
    wrong = export_with(
        tmp_path / "first", '-24.4166666666667\t"20140420"', '24.4166666666667\t"20140420"'
    )
    image_set = services.create_image_set(title="M106", actor=SYSTEM)
    first = services.ingest(image_set, [wrong], actor=SYSTEM)
    assert (first.added, first.rejected) == (5, [])
    image = image_set.images.get(file_name="m106_mn01_n1_sml_821.jpg")
    assert image.longitude == 24.4166666666667
    revision = image.revision
    keys = stored_keys()

    SearchOutbox.objects.all().delete()
    second = services.ingest(image_set, [EXPORT], actor=SYSTEM)

    assert second.added == 0
    assert second.duplicates == [] and second.rejected == []
    assert sorted(u["name"] for u in second.updated) == NAMES
    image.refresh_from_db()
    assert image.longitude == -24.4166666666667
    assert image.revision == revision + 1
    queued = set(SearchOutbox.objects.filter(kind="image").values_list("object_id", flat=True))
    assert queued == set(image_set.images.values_list("pk", flat=True))
    # Nothing stored again: the files were the same.
    assert stored_keys() == keys
    assert image_set.images.count() == 5


def test_a_refused_correction_changes_nothing(storage, tmp_path):
    image_set = services.create_image_set(title="M106", actor=SYSTEM)
    services.ingest(image_set, [EXPORT], actor=SYSTEM)
    before = {i.pk: (i.longitude, i.revision, i.fields) for i in image_set.images.all()}
    broken = export_with(tmp_path, '-24.4166666666667\t"20140420"', '-24.4166666666667\t"20140431"')
    batch = services.ingest(image_set, [broken], actor=SYSTEM)
    [refusal] = [r for r in batch.rejected if r["name"] == TSV]
    assert {p["value"] for p in refusal["problems"]} == {"20140431"}
    assert batch.updated == []
    assert len(batch.duplicates) == 5  # the files are the set's, and stay as they were
    after = {i.pk: (i.longitude, i.revision, i.fields) for i in image_set.images.all()}
    assert after == before


def test_a_sidecar_alone_corrects_the_images_it_names(storage, tmp_path):
    image_set = services.create_image_set(title="M106", actor=SYSTEM)
    services.ingest(image_set, [EXPORT], actor=SYSTEM)
    fixed = export_with(tmp_path, '"meteor"', '"Meteor (M106)"')
    alone = tmp_path / "tsv-only"
    alone.mkdir()
    shutil.copy(fixed / TSV, alone / TSV)
    batch = services.ingest(image_set, [alone], actor=SYSTEM)
    assert sorted(u["name"] for u in batch.updated) == NAMES
    assert batch.total == 0  # no file was sent but the sidecar
    ships = set(image_set.images.values_list("fields__sample_ship", flat=True))
    assert ships == {"Meteor (M106)"}


def test_a_corrected_category_relabels_the_imported_annotation_with_its_history(storage, tmp_path):
    image_set = services.create_image_set(title="M106", actor=SYSTEM)
    services.ingest(image_set, [EXPORT], actor=SYSTEM)
    image = image_set.images.get(file_name="m106_mn01_n1_sml_821.jpg")
    [annotation] = image.annotations.all()
    assert (annotation.label.name, annotation.status) == ("Oncaeidae", "predicted")
    # The taxonomist's verdict, in a corrected export: a validated Cyclopoida.
    fixed = export_with(
        tmp_path,
        '"predicted"\t""\t""\t""\t""\t"Oncaeidae"\t78418',
        '"validated"\t"Jane Doe"\t""\t"20240102"\t"101500"\t"Cyclopoida"\t78418',
    )
    batch = services.ingest(image_set, [fixed], actor=SYSTEM)
    assert sorted(u["name"] for u in batch.updated) == NAMES
    [corrected] = image.annotations.all()
    assert corrected.pk == annotation.pk  # changed, not doubled
    assert (corrected.label.name, corrected.status, corrected.annotator) == (
        "Cyclopoida",
        "validated",
        "Jane Doe",
    )
    assert corrected.revision == annotation.revision + 1
    event = corrected.events.order_by("at", "pk").last()
    assert event.action == "relabel"
    assert (event.before["label_name"], event.after["label_name"]) == ("Oncaeidae", "Cyclopoida")
    # The other images' annotations did not change: no second row anywhere.
    assert all(i.annotations.count() == 1 for i in image_set.images.exclude(pk=image.pk))
