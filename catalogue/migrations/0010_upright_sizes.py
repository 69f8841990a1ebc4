"""Width and height of JPEGs that EXIF orientation turns by 90 degrees, as the image
is seen (upright): ingest records them so from now on, and rows made before are
turned here once, so annotation coordinates, crops and thumbnails agree."""

from django.db import migrations
from django.db.models import F

TURNED = [5, 6, 7, 8]


def turn_upright(apps, schema_editor):
    Image = apps.get_model("catalogue", "Image")
    turned = Image.objects.filter(media_type="image/jpeg", exif__Orientation__in=TURNED)
    turned.update(width=F("height"), height=F("width"), revision=F("revision") + 1)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0009_image_crc32")]

    operations = [migrations.RunPython(turn_upright, migrations.RunPython.noop)]
