"""Sets ingested before annotations were rows keep their labels: the annotations
their sidecars left in `Image.fields` become annotation rows, with a label set per
image set made from their categories (as an import makes it now).

Idempotent: an image that already has annotation rows is left alone. The fields
stay as they were, so going back needs nothing undone (a no-op). Geometry that
does not fit its image, or labels a published label set lacks, are skipped:
stored data cannot be refused, only left as it was.
"""

from django.db import migrations
from django.utils import timezone

from catalogue.ingest.sidecars.stored import stored_records
from curation import geometry

CHUNK = 500
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def snapshot(row, label_name):
    return {
        "label": row.label_id,
        "label_name": label_name,
        "status": row.status,
        "shape": row.shape,
        "coordinates": row.coordinates,
        "confidence": row.confidence,
        "revision": row.revision,
    }


class Importer:
    def __init__(self, apps):
        self.Image = apps.get_model("catalogue", "Image")
        self.SearchOutbox = apps.get_model("catalogue", "SearchOutbox")
        self.LabelSet = apps.get_model("curation", "LabelSet")
        self.Label = apps.get_model("curation", "Label")
        self.Labelling = apps.get_model("curation", "Labelling")
        self.Annotation = apps.get_model("curation", "Annotation")
        self.ReviewEvent = apps.get_model("curation", "ReviewEvent")
        self.labels = {}  # image set id -> (label set, {name: label})

    def label_set(self, image_set):
        if image_set.pk not in self.labels:
            labelling = self.Labelling.objects.filter(image_set_id=image_set.pk).first()
            if labelling is None:
                label_set = self.LabelSet.objects.create(
                    name=(image_set.title or f"Image set {image_set.pk}")[:200],
                    description="Labels of the annotations imported with the set.",
                    owner_id=image_set.owner_id,
                )
                self.Labelling.objects.create(image_set_id=image_set.pk, label_set=label_set)
            else:
                label_set = labelling.label_set
            names = {label.name: label for label in self.Label.objects.filter(label_set=label_set)}
            self.labels[image_set.pk] = (label_set, names)
        return self.labels[image_set.pk]

    def label(self, image_set, name):
        label_set, names = self.label_set(image_set)
        if name not in names and label_set.state == "draft":
            colour = PALETTE[len(names) % len(PALETTE)]
            names[name] = self.Label.objects.create(label_set=label_set, name=name, colour=colour)
        label = names.get(name)
        return label if label is not None and not label.retired else None

    def run(self):
        images = (
            self.Image.objects.exclude(fields={})
            .filter(annotations__isnull=True)
            .select_related("image_set")
            .order_by("pk")
        )
        ids = list(images.values_list("pk", flat=True))
        for start in range(0, len(ids), CHUNK):
            self.chunk(list(images.filter(pk__in=ids[start : start + CHUNK])))

    def chunk(self, images):
        now = timezone.now()
        rows, names, touched, sets = [], {}, set(), set()
        for image in images:
            records, _ = stored_records(image.fields)
            for record in records:
                if geometry.check(record.shape, record.coordinates, image.width, image.height):
                    continue
                label = self.label(image.image_set, record.label)
                if label is None:
                    continue
                when = record.created_at or now
                rows.append(
                    self.Annotation(
                        image_id=image.pk,
                        label_id=label.pk,
                        shape=record.shape,
                        coordinates=record.coordinates,
                        status=record.status,
                        confidence=record.confidence,
                        annotator=record.annotator,
                        reviewed_at=when if record.status != "predicted" else None,
                        created=when,
                        updated=now,
                    )
                )
                names[label.pk] = label.name
                touched.add(image.pk)
                sets.add(image.image_set_id)
        created = self.Annotation.objects.bulk_create(rows)
        self.ReviewEvent.objects.bulk_create(
            self.ReviewEvent(
                annotation_id=row.pk,
                annotation_uuid=row.uuid,
                image_id=row.image_id,
                action="predict" if row.status == "predicted" else "create",
                after=snapshot(row, names[row.label_id]),
                at=row.created,
            )
            for row in created
        )
        # Their search documents now carry the labels by status: reindex them.
        self.SearchOutbox.objects.bulk_create(
            [self.SearchOutbox(kind="image", object_id=pk) for pk in sorted(touched)]
            + [self.SearchOutbox(kind="set", object_id=pk) for pk in sorted(sets)]
        )


def forwards(apps, schema_editor):
    Importer(apps).run()


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0007_imageset_reviewers"),
        ("curation", "0002_labels_annotations_review"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
