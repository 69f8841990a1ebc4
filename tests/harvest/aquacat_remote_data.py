"""The second AquaCat's data (tests/harvest/aquacat_remote.py), written in its own
database by this script: `python -m tests.harvest.aquacat_remote_data COMMAND` with
JSON on stdin, an answer in JSON on stdout.

Commands: `seed` {"sets": [SET]} (SET: title, doi, access, taxa, images: [{name,
latitude, longitude, depth, captured_at, labels, file}]; `file`: a
kind of FILES, stored and served there; answers each set's uuid and id by
title), `change` {"uuid", "fields"}, `delete` {"uuid"}, `drop_image` {"uuid", "name"},
`replace_file` {"uuid", "name", "file"},
`token` {"user"} (a staff reader's API token: its secret), `token_used` {"user"}."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from datetime import datetime

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aquacat.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402 - after django.setup()
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from aquacat.models import ApiToken  # noqa: E402
from aquacat.tokens import create_token  # noqa: E402
from catalogue.models import Image, ImageSet  # noqa: E402
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
            key, size = f"sets/{image_set.uuid}/{image['name']}", 1234
            if image.get("file"):  # a file stored there, served by its file URLs
                key, digest, size = stored_file(key, image["file"])
            row = Image.objects.create(
                image_set=image_set,
                file_name=image["name"],
                storage_key=key,
                sha256=digest,
                size=size,
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


def png(width: int, height: int, shade: int) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (shade, 90, 160)).save(out, "PNG")
    return out.getvalue()


# What a stored file is: its bytes, and the sha256 and size the record states.
FILES = {
    "png": lambda: (png(64, 48, 10), None, None),
    "png2": lambda: (png(80, 60, 200), None, None),
    "png3": lambda: (png(80, 60, 120), None, None),
    "html": lambda: (b"<!doctype html><html><body>not an image</body></html>", None, None),
    # The record states another file's sha256: the bytes were changed since.
    "tampered": lambda: (png(64, 48, 30), hashlib.sha256(b"another file").hexdigest(), None),
    # The record states fewer bytes than the file holds.
    "oversized": lambda: (png(64, 48, 40), None, 100),
    # 1,200 x 1,000 pixels: over a limit of a million (INGEST_MAX_PIXELS).
    "bomb": lambda: (png(1200, 1000, 50), None, None),
}


def stored_file(key: str, kind: str) -> tuple[str, str, int]:
    data, stated_sha256, stated_size = FILES[kind]()
    stored = default_storage.save(key, ContentFile(data))
    return stored, stated_sha256 or hashlib.sha256(data).hexdigest(), stated_size or len(data)


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


def replace_file(payload: dict) -> dict:
    """Another file for an image (its sha256 and size follow); the set's `updated` moves."""
    image_set = ImageSet.objects.get(uuid=payload["uuid"])
    image = image_set.images.get(file_name=payload["name"])
    key, image.sha256, image.size = stored_file(image.storage_key, payload["file"])
    image.storage_key = key
    image.save()
    image_set.save()
    return {"sha256": image.sha256}


def token(payload: dict) -> dict:
    """A reader's API token: a staff user (who may read restricted sets there)."""
    user = get_user_model().objects.create_user(payload["user"], is_staff=True)
    _token, secret = create_token(user=user, name="harvest", scopes=("read",))
    return {"secret": secret}


def token_used(payload: dict) -> dict:
    row = ApiToken.objects.get(user__username=payload["user"])
    return {"last_used": row.last_used.isoformat() if row.last_used else None}


COMMANDS = {
    "seed": seed,
    "change": change,
    "delete": delete,
    "drop_image": drop_image,
    "replace_file": replace_file,
    "token": token,
    "token_used": token_used,
}


def main() -> None:
    print(json.dumps(COMMANDS[sys.argv[1]](json.loads(sys.stdin.read()))))


if __name__ == "__main__":
    main()
