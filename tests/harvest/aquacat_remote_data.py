"""The second AquaCat's data (tests/harvest/aquacat_remote.py), written in its own
database by this script: `python -m tests.harvest.aquacat_remote_data COMMAND` with
JSON on stdin, an answer in JSON on stdout.

Commands: `seed` {"sets": [SET]} (SET: title, doi, access, taxa, images: [{name,
latitude, longitude, depth, captured_at, labels}]; answers each set's uuid and id by
title), `change` {"uuid", "fields"}, `delete` {"uuid"}, `drop_image` {"uuid", "name"}."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from datetime import datetime

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aquacat.settings")
django.setup()

from catalogue.models import Image, ImageSet  # noqa: E402 - after django.setup()
from curation.models import Annotation, Label, LabelSet  # noqa: E402


def seed(payload: dict) -> dict:
    label_set = LabelSet.objects.create(name="Plankton", state="published")
    labels: dict[str, Label] = {}
    made = {}
    for entry in payload["sets"]:
        image_set = ImageSet.objects.create(
            title=entry["title"],
            description="FlowCam images of net samples.",
            creators=[{"name": "Doe, Jane"}],
            doi=entry.get("doi", ""),
            access=entry.get("access", "open"),
            state="published",
            taxa=entry.get("taxa", []),
            instrument="FlowCam",
            research_infrastructure=entry.get("research_infrastructure", ""),
            west=2.0,
            south=51.0,
            east=3.5,
            north=51.8,
            depth_min=0.0,
            depth_max=30.0,
        )
        for image in entry.get("images", []):
            digest = hashlib.sha256(f"{entry['title']}/{image['name']}".encode()).hexdigest()
            row = Image.objects.create(
                image_set=image_set,
                file_name=image["name"],
                storage_key=f"sets/{image_set.uuid}/{image['name']}",
                sha256=digest,
                size=1234,
                media_type="image/png",
                width=64,
                height=48,
                latitude=image.get("latitude"),
                longitude=image.get("longitude"),
                depth=image.get("depth"),
                captured_at=datetime.fromisoformat(image["captured_at"])
                if image.get("captured_at")
                else None,
                thumbnail_small=f"thumbs/{digest}-small.jpg",
                thumbnail_medium=f"thumbs/{digest}-medium.jpg",
            )
            for name in image.get("labels", []):
                if name not in labels:
                    labels[name] = Label.objects.create(label_set=label_set, name=name)
                Annotation.objects.create(image=row, label=labels[name], status="validated")
        made[entry["title"]] = {"uuid": str(image_set.uuid), "id": image_set.pk}
    return made


def change(payload: dict) -> dict:

    image_set = ImageSet.objects.get(uuid=payload["uuid"])
    for name, value in payload["fields"].items():
        setattr(image_set, name, value)
    image_set.save()  # `updated` moves on: what an incremental harvest reads
    return {"updated": image_set.updated.isoformat()}


def delete(payload: dict) -> dict:

    ImageSet.objects.filter(uuid=payload["uuid"]).delete()
    return {}


def drop_image(payload: dict) -> dict:

    image_set = ImageSet.objects.get(uuid=payload["uuid"])
    image_set.images.filter(file_name=payload["name"]).delete()
    image_set.save()
    return {}


COMMANDS = {"seed": seed, "change": change, "delete": delete, "drop_image": drop_image}


def main() -> None:
    print(json.dumps(COMMANDS[sys.argv[1]](json.loads(sys.stdin.read()))))


if __name__ == "__main__":
    main()
