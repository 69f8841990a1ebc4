"""Review throughput: a bulk review through the service and one review-grid page
through the API's selector and rows, each against bare database work doing the
same, measured in the same run.

    eval "$(.venv/bin/python scripts/services env)"   # DATABASE_URL: PostgreSQL
    .venv/bin/python bench/review.py [--annotations 10000] [--page 500] [--repeat 3]

Runs on the database DATABASE_URL names (a fresh test database beside it, made
and dropped by the run), or on SQLite in a temporary folder when it names none.
Input: one draft set of 500 images (rows only: no file is read) with two
batches of N predicted annotations (boxes with confidences) and a reviewer.

- bulk review: `curation.services.review.review(action="validate")` of N
  annotations (the locked read, the checks, one UPDATE, N review events, the
  search outbox) against bare SQL in one transaction doing the same: SELECT ...
  FOR UPDATE of the rows, the same UPDATE, the same review-event INSERTs (rows of
  2,000, as the service) and outbox INSERTs. Goal: ours/baseline >= 0.5
  (seconds of the baseline over ours).
- grid page: the first page of the API's list by -confidence (the visible
  annotations selector, its cursor sort key, `.values()` of its columns, each
  row made by the API's `annotation_row`) against a bare `.values()` of the same
  columns ordered by -confidence, -id. Goal >= 0.5.

Prints one JSON object: counts, seconds (best of --repeat; of 5x --repeat for
the page, which takes milliseconds), rows per second,
the ratios and their goals (not asserted). Before each round the annotations go
back to predicted and their events are deleted, outside the timing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
GOALS = {"review_ratio": 0.5, "grid_ratio": 0.5}
IMAGES = 500
EVENT_BATCH = 2000
GRID_ROUNDS = 5


def make_data(count: int):
    """A draft set of IMAGES image rows, a label set, a reviewer, and two batches of
    `count` predicted annotations (ours, baseline)."""
    from django.contrib.auth import get_user_model

    from catalogue import services
    from catalogue.access import SYSTEM
    from catalogue.models import Image
    from curation.models import Annotation, Labelling, LabelSet, Status

    users = get_user_model().objects
    owner = users.create_user("bench-owner")
    reviewer = users.create_user("bench-reviewer")
    image_set = services.create_image_set(
        title="Review benchmark", owner=owner, actor=SYSTEM, licence="CC-BY-4.0"
    )
    image_set.reviewers.add(reviewer)
    Image.objects.bulk_create(
        Image(
            image_set=image_set,
            file_name=f"img/{n:05d}.jpg",
            storage_key=f"bench/{n:05d}.jpg",
            sha256=f"{n:064x}",
            size=1000,
            media_type="image/jpeg",
            width=640,
            height=480,
        )
        for n in range(IMAGES)
    )
    label_set = LabelSet.objects.create(name="Bench labels", owner=owner)
    labels = [label_set.labels.create(name=f"taxon {n}") for n in range(20)]
    Labelling.objects.create(image_set=image_set, label_set=label_set)
    image_ids = list(image_set.images.order_by("pk").values_list("pk", flat=True))
    batches = []
    for batch in range(2):
        rows = [
            Annotation(
                image_id=image_ids[n % IMAGES],
                label=labels[n % len(labels)],
                shape="box",
                coordinates=[n % 600, n % 440, n % 600 + 30, n % 440 + 30],
                status=Status.PREDICTED,
                confidence=((n * 7919 + batch) % 1000) / 1000,
                annotator="bench-model 1.0",
            )
            for n in range(count)
        ]
        made = Annotation.objects.bulk_create(rows, batch_size=2000)
        batches.append([annotation.pk for annotation in made])
    return image_set, reviewer, batches


def reset(ids: list[int]) -> None:
    from curation.models import Annotation, ReviewEvent, Status

    ReviewEvent.objects.filter(annotation_id__in=ids).delete()
    Annotation.objects.filter(pk__in=ids).update(
        status=Status.PREDICTED, reviewed_by=None, reviewed_at=None, revision=1
    )


def our_review(reviewer, ids: list[int]) -> tuple[float, int]:
    from curation.services.review import review

    started = time.perf_counter()
    outcome = review(actor=reviewer, ids=ids, action="validate")
    return time.perf_counter() - started, outcome.changed


def bare_review(reviewer, ids: list[int]) -> tuple[float, int]:
    """The same reads and writes as bare SQL: lock and read the rows, one UPDATE,
    the review events and outbox rows as multi-row INSERTs."""
    from django.db import connection, transaction
    from django.utils import timezone

    from catalogue.models import SearchOutbox
    from curation.models import Annotation, Label, ReviewEvent

    annotation, event, outbox = (
        Annotation._meta.db_table,
        ReviewEvent._meta.db_table,
        SearchOutbox._meta.db_table,
    )
    label = Label._meta.db_table
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"SELECT a.id, a.uuid, a.image_id, a.label_id, l.name, a.status, a.shape, "  # noqa: S608
            f"a.coordinates, a.confidence, a.revision FROM {annotation} a "
            f"JOIN {label} l ON l.id = a.label_id WHERE a.id IN ({marks}) ORDER BY a.id "
            + ("FOR UPDATE OF a" if connection.vendor == "postgresql" else ""),
            ids,
        )
        rows = cursor.fetchall()
        now = timezone.now()
        cursor.execute(
            f"UPDATE {annotation} SET status = %s, reviewed_by_id = %s, reviewed_at = %s, "  # noqa: S608
            f"updated = %s, revision = revision + 1 WHERE id IN ({marks})",
            ["validated", reviewer.pk, now, now, *ids],
        )
        values = []
        for pk, uuid, image_id, label_id, name, status, shape, coords, confidence, rev in rows:
            coords = json.loads(coords) if isinstance(coords, str) else coords
            before = {
                "label": label_id,
                "label_name": name,
                "status": status,
                "shape": shape,
                "coordinates": coords,
                "confidence": confidence,
                "revision": rev,
            }
            after = {**before, "status": "validated", "revision": rev + 1}
            values.append(
                (pk, str(uuid), image_id, "validate", reviewer.pk, json.dumps(before),
                 json.dumps(after), now)
            )  # fmt: skip
        columns = "annotation_id, annotation_uuid, image_id, action, actor_id, before, after, at"
        for start in range(0, len(values), EVENT_BATCH):
            chunk = values[start : start + EVENT_BATCH]
            places = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {event} ({columns}) VALUES {places}",  # noqa: S608
                [value for row in chunk for value in row],
            )
        images = sorted({row[2] for row in rows})
        places = ", ".join(["(%s, %s, %s)"] * len(images))
        cursor.execute(
            f"INSERT INTO {outbox} (kind, object_id, created) VALUES {places}",  # noqa: S608
            [value for image_id in images for value in ("image", image_id, now)],
        )
    return time.perf_counter() - started, len(rows)


def our_grid(reviewer, image_set, size: int) -> tuple[float, int]:
    """The API list's first page by -confidence, as its view builds it."""
    from django.test import RequestFactory

    from curation import selectors
    from curation.api import rows as api_rows

    request = RequestFactory().get("/api/v1/annotations/", {"ordering": "-confidence"})
    request.user = reviewer
    started = time.perf_counter()
    annotations = selectors.visible_annotations(reviewer).filter(image__image_set=image_set)
    keyed = selectors.ordered_annotations(annotations, "-confidence").order_by("-sort_key")
    page = keyed.values(*api_rows.ANNOTATION_COLUMNS, "sort_key")[:size]
    links = api_rows.CurationLinks(request)
    rows = [api_rows.annotation_row(row, links) for row in page]
    return time.perf_counter() - started, len(rows)


def bare_grid(image_set, size: int) -> tuple[float, int]:
    from curation.api.rows import ANNOTATION_COLUMNS
    from curation.models import Annotation

    started = time.perf_counter()
    rows = list(
        Annotation.objects.filter(image__image_set_id=image_set.pk)
        .order_by("-confidence", "-id")
        .values(*ANNOTATION_COLUMNS)[:size]
    )
    return time.perf_counter() - started, len(rows)


def best(times: list[float]) -> float:
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--annotations", type=int, default=10_000)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="aquacat-bench-review-"))
    for variable in ("S3_BUCKET", "SEARCH_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        os.environ.pop(variable, None)
    os.environ.update(
        AQUACAT_VAR_DIR=str(scratch / "var"),
        DJANGO_SETTINGS_MODULE="aquacat.settings",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        image_set, reviewer, (ours_ids, bare_ids) = make_data(args.annotations)
        ours, bare, grid, grid_bare = [], [], [], []
        for _ in range(args.repeat):
            reset(ours_ids + bare_ids)
            seconds, changed = our_review(reviewer, ours_ids)
            assert changed == len(ours_ids), changed
            ours.append(seconds)
            seconds, changed = bare_review(reviewer, bare_ids)
            assert changed == len(bare_ids), changed
            bare.append(seconds)
        reset(ours_ids + bare_ids)
        for _ in range(args.repeat * GRID_ROUNDS):  # milliseconds each: more rounds
            seconds, count = our_grid(reviewer, image_set, args.page)
            assert count == args.page, count
            grid.append(seconds)
            seconds, count = bare_grid(image_set, args.page)
            grid_bare.append(seconds)
        result = {
            "database": connection.vendor,
            "annotations": args.annotations,
            "page": args.page,
            "repeat": args.repeat,
            "review_seconds": round(best(ours), 4),
            "review_bare_seconds": round(best(bare), 4),
            "review_per_second": round(args.annotations / best(ours)),
            "review_ratio": round(best(bare) / best(ours), 3),
            "grid_seconds": round(best(grid), 4),
            "grid_bare_seconds": round(best(grid_bare), 4),
            "grid_ratio": round(best(grid_bare) / best(grid), 3),
            "goals": GOALS,
        }
        print(json.dumps(result, indent=2))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
