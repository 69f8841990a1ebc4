from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0018_external_images"),
    ]

    operations = [
        migrations.AddField(
            model_name="image",
            name="footprint",
            field=models.JSONField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="image",
            name="raster",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
    ]
