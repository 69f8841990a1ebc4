import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0011_taxa_and_nvs_terms"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TaxonQuestion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=300)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("ambiguous", "several accepted taxa have this name"),
                            ("fuzzy", "WoRMS only knows similar names"),
                            ("no_match", "WoRMS knows no such name"),
                            ("pending", "waiting for WoRMS"),
                        ],
                        max_length=16,
                    ),
                ),
                ("candidates", models.JSONField(blank=True, default=list)),
                (
                    "state",
                    models.CharField(
                        choices=[("open", "open"), ("answered", "answered")],
                        default="open",
                        max_length=16,
                    ),
                ),
                ("answer_aphia_id", models.PositiveIntegerField(blank=True, null=True)),
                ("answer_not_taxon", models.BooleanField(default=False)),
                ("answered", models.DateTimeField(blank=True, null=True)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "answered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "image_set",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="taxon_questions",
                        to="catalogue.imageset",
                    ),
                ),
            ],
            options={
                "ordering": ["image_set", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("image_set", "name"), name="taxon_question_once"
                    )
                ],
            },
        ),
    ]
