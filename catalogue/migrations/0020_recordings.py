import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0019_image_footprint"),
    ]

    operations = [
        migrations.CreateModel(
            name="Recording",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("audio", "Audio"), ("video", "Video")], max_length=8
                    ),
                ),
                (
                    "file_name",
                    models.CharField(help_text="name within the source, NFC", max_length=1000),
                ),
                ("storage_key", models.CharField(max_length=1000)),
                ("sha256", models.CharField(max_length=64)),
                ("size", models.PositiveBigIntegerField()),
                ("media_type", models.CharField(max_length=64)),
                ("codec", models.CharField(blank=True, max_length=64)),
                ("duration", models.FloatField(help_text="seconds")),
                (
                    "sample_rate",
                    models.PositiveIntegerField(blank=True, help_text="audio, Hz", null=True),
                ),
                ("channels", models.PositiveSmallIntegerField(blank=True, null=True)),
                (
                    "width",
                    models.PositiveIntegerField(blank=True, help_text="video, pixels", null=True),
                ),
                (
                    "height",
                    models.PositiveIntegerField(blank=True, help_text="video, pixels", null=True),
                ),
                (
                    "frame_rate",
                    models.FloatField(blank=True, help_text="video, frames per second", null=True),
                ),
                ("frame_count", models.PositiveIntegerField(blank=True, null=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("derivation", models.JSONField(blank=True, default=dict)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "image_set",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="recordings",
                        to="catalogue.imageset",
                    ),
                ),
            ],
            options={
                "ordering": ["image_set", "file_name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("image_set", "sha256"), name="recording_sha256_once_per_set"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("duration__gte", 0)), name="recording_duration_sign"
                    ),
                ],
            },
        ),
        migrations.AddField(
            model_name="image",
            name="recording",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="images",
                to="catalogue.recording",
            ),
        ),
        migrations.AddField(
            model_name="image",
            name="recording_start",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="image",
            name="recording_end",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="image",
            name="recording_axes",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
    ]
