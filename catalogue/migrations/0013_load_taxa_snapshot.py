"""Loads the bundled WoRMS snapshot, so a new portal matches and finds taxa offline."""

from django.db import migrations

from catalogue.vocabularies.taxa import snapshot


def load(apps, schema_editor):
    snapshot.load(apps.get_model("catalogue", "Taxon"))


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0012_taxon_questions")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
