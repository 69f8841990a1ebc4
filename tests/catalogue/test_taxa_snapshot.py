"""The bundled WoRMS snapshot: loaded by the migrations, complete (every lineage and
parent present, synonyms pointing at accepted rows), real names and AphiaIDs, and
the lookups search uses."""

from __future__ import annotations

import importlib
import json
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from catalogue.models import Taxon
from catalogue.vocabularies.taxa import lookup, snapshot
from tests.catalogue import taxa_support

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("taxa_snapshot")]
taxa_snapshot = taxa_support.taxa_snapshot


def test_the_data_migration_loads_the_whole_snapshot():
    Taxon.objects.all().delete()
    migration = importlib.import_module("catalogue.migrations.0013_load_taxa_snapshot")
    migration.load(apps, None)
    assert Taxon.objects.count() == len(snapshot.records()) > 800
    assert Taxon.objects.filter(source="snapshot").count() == len(snapshot.records())


def test_every_lineage_step_and_parent_is_a_row():
    ids = set(Taxon.objects.values_list("aphia_id", flat=True))
    missing = {
        (row.scientific_name, step["aphia_id"])
        for row in Taxon.objects.all()
        for step in row.lineage
        if step["aphia_id"] not in ids
    }
    assert missing == set()
    parents = set(
        Taxon.objects.exclude(parent_aphia_id=None).values_list("parent_aphia_id", flat=True)
    )
    assert parents <= ids


def test_synonyms_point_at_accepted_rows_with_their_lineage():
    synonyms = Taxon.objects.exclude(status="accepted")
    assert synonyms.count() >= 2
    for synonym in synonyms:
        accepted = Taxon.objects.get(aphia_id=synonym.valid_aphia_id)
        assert accepted.accepted and accepted.status == "accepted"
        assert synonym.valid_name == accepted.scientific_name
        assert synonym.lineage == accepted.lineage


def test_lineages_start_at_a_kingdom_and_end_with_the_parent():
    for row in Taxon.objects.filter(status="accepted").exclude(lineage=[]):
        assert row.lineage[0]["rank"] == "Kingdom", row
        assert row.lineage[-1]["aphia_id"] == row.parent_aphia_id, row


@pytest.mark.parametrize(
    ("name", "aphia_id"),
    [
        ("Copepoda", 1080),
        ("Calanoida", 1100),
        ("Oncaeidae", 128586),
        ("Bacillariophyceae", 148899),
        ("Chaetognatha", 2081),
        ("Appendicularia", 146421),
        ("Foraminifera", 1410),
        ("Cnidaria", 1267),
        ("Mollusca", 51),
        ("Echinodermata", 1806),
        ("Porifera", 558),
        ("Ciliophora", 11),
    ],
)
def test_plankton_and_benthos_groups_are_there(name, aphia_id):
    taxon = Taxon.objects.get(aphia_id=aphia_id)
    assert taxon.scientific_name == name and taxon.accepted
    assert taxon.lsid == f"urn:lsid:marinespecies.org:taxname:{aphia_id}"


def test_oncaeidae_lineage_is_worms_classification():
    names = [step["name"] for step in Taxon.objects.get(aphia_id=128586).lineage]
    assert names == [
        "Animalia",
        "Arthropoda",
        "Crustacea",
        "Multicrustacea",
        "Copepoda",
        "Neocopepoda",
        "Podoplea",
        "Cyclopoida",
        "Ergasilida",
    ]


def test_vernaculars_in_several_languages():
    languages = {v["language"] for row in Taxon.objects.all() for v in row.vernaculars}
    assert {"eng", "fra", "deu", "jpn"} <= languages


def test_resolve_finds_scientific_names_synonyms_and_vernaculars_in_any_case():
    assert [t.aphia_id for t in lookup.resolve("copepod")] == [1080]
    assert [t.aphia_id for t in lookup.resolve("COPEPODA")] == [1080]
    assert 148899 in {t.aphia_id for t in lookup.resolve("diatom")}
    assert [t.aphia_id for t in lookup.resolve("Rhiniodontidae")] == [105706]
    assert [t.aphia_id for t in lookup.resolve("whale shark")] == [105706]
    assert [t.aphia_id for t in lookup.resolve("Kieselalgen")] == [148898, 148899] or {
        t.aphia_id for t in lookup.resolve("Kieselalgen")
    } == {148898, 148899}
    assert lookup.resolve("no such creature") == []


def test_descendants_of_copepoda_hold_orders_families_and_synonyms():
    below = lookup.descendants_ids(1080)
    assert {1100, 1101, 128586, 1381349} <= below
    assert 889851 in below  # Sarcotacidea, a synonym of Ergasilida
    assert 148899 not in below and 1080 not in below


def test_expansion_holds_ancestors_synonyms_and_vernaculars():
    words = lookup.expansion(128586)
    assert {"Oncaeidae", "Copepoda", "copepods", "Crustacea", "crustaceans"} <= set(words)
    assert "Sarcotacidea" in lookup.expansion(1381349)


def test_load_command_keeps_rows_read_from_worms():
    Taxon.objects.filter(aphia_id=1080).update(source="worms", authority="changed")
    out = StringIO()
    call_command("taxa", "load", stdout=out)
    report = json.loads(out.getvalue())
    assert report["kept_from_worms"] == 1
    assert Taxon.objects.get(aphia_id=1080).authority == "changed"
    assert Taxon.objects.count() == len(snapshot.records())
