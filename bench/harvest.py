"""Harvesting a second AquaCat through its REST API, image by image, against bare
fetching of the same pages.

    .venv/bin/python bench/harvest.py [--images 10000] [--per-set 100] [--rounds 2]
                                      [--profile FILE]

PostgreSQL only. The second AquaCat: this code base served by gunicorn (2 workers,
its per-address rate limit lifted) on a database of its own (`<test database>_peer`,
migrated from empty, then filled by this script run with --fill: N published open
images in sets of --per-set, one validated label each). The harvest writes into a
throw-away test database of the configured DATABASE_URL. In the same run and
against the same server:

- bare: the same pages as the harvest asks for (the set list, each set's detail,
  its image pages and its validated annotations), JSON decoded, with requests and
  nothing else (the floor any harvester pays);
- harvest: `catalogue.harvest.runs.harvest` of an AquaCat source (mapping, taxon
  matching, validation, writes in bulk: ten sets a transaction, their images in one
  COPY, search outbox), one thread fetching the next sets while this one writes.

The sides take turns going first; each harvest starts with no external sets.
Prints one JSON object: seconds of each side (median over the rounds), images/s,
and bare/harvest (goal >= 0.8). --profile writes cProfile stats of the last harvest.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aquacat.settings")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
TAXA = [
    "Noctiluca scintillans",
    "Calanus finmarchicus",
    "Temora longicornis",
    "Acartia clausi",
    "Oithona similis",
    "Pseudocalanus elongatus",
    "Centropages hamatus",
    "Paracalanus parvus",
    "Evadne nordmanni",
    "Podon leuckartii",
]


def fill(images: int, per_set: int) -> None:
    """The second AquaCat's sets, images and labels, in bulk (run in its database)."""
    import hashlib
    import uuid
    from datetime import UTC, datetime, timedelta

    import django

    django.setup()
    from catalogue.models import Image, ImageSet
    from curation.models import Annotation, Label, LabelSet

    label_set = LabelSet.objects.create(name="North Sea zooplankton", state="published")
    labels = Label.objects.bulk_create([Label(label_set=label_set, name=name) for name in TAXA])
    base = datetime(2024, 1, 1, tzinfo=UTC)
    sets = ImageSet.objects.bulk_create(
        [
            ImageSet(
                uuid=uuid.uuid4(),
                title=f"Plankton images of station {number}, FlowCam",
                description="FlowCam particle images, net samples. " * 4,
                creators=[{"name": "Doe, Jane", "orcid": "0000-0002-1825-0097"}],
                licence="CC-BY-4.0",
                access="open",
                state="published",
                keywords=["plankton", "FlowCam", "North Sea"],
                taxa=[{"scientific_name": "Calanus finmarchicus", "aphia_id": 104464}],
                west=2.0,
                south=51.0,
                east=3.0,
                north=52.0,
                time_start=base,
                time_end=base + timedelta(days=30),
                depth_min=0.0,
                depth_max=30.0,
                instrument="FlowCam",
                research_infrastructure="LifeWatch",
                doi=f"10.5281/aquacat.{number}",
            )
            for number in range((images + per_set - 1) // per_set)
        ]
    )
    rows = []
    for number in range(images):
        image_set = sets[number // per_set]
        digest = hashlib.sha256(f"image {number}".encode()).hexdigest()
        rows.append(
            Image(
                image_set=image_set,
                file_name=f"station/{number:06d}.png",
                storage_key=f"sets/{image_set.uuid}/{number:06d}.png",
                sha256=digest,
                size=20_000 + number,
                media_type="image/png",
                width=320,
                height=240,
                mode="RGB",
                captured_at=base + timedelta(seconds=number),
                latitude=51.0 + (number % 100) / 100,
                longitude=2.0 + (number % 97) / 97,
                depth=float(number % 30),
                thumbnail_small=f"thumbs/{digest}-small.jpg",
                thumbnail_medium=f"thumbs/{digest}-medium.jpg",
            )
        )
    Image.objects.bulk_create(rows, batch_size=2000)
    Annotation.objects.bulk_create(
        [
            Annotation(image=image, label=labels[index % len(labels)], status="validated")
            for index, image in enumerate(rows)
        ],
        batch_size=2000,
    )


def peer_database(test_name: str) -> tuple[str, str]:
    """The second AquaCat's database URL, created empty and migrated, and its name."""
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = f"{test_name}_peer"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    return url, name


def drop_database(name: str) -> None:
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def serve(url: str, port: int) -> subprocess.Popen:
    import requests

    # The peer's per-address rate limit (300/min by default, honoured through
    # Retry-After) would time its limit, not the harvester: lifted here.
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "API_THROTTLE_ADDRESS": "1000000/min",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "aquacat.wsgi",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(120):
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/image-sets/", timeout=10).ok:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.kill()
    raise SystemExit("the second AquaCat did not start")


def bare(base: str) -> tuple[float, int]:
    """The harvest's pages fetched and decoded; nothing else."""
    import requests

    from catalogue.harvest import aquacat

    started = time.perf_counter()
    images = 0
    with requests.Session() as session:
        for rows in aquacat.set_pages(session, base, ""):
            for row in rows:
                aquacat.set_detail(session, base, row["id"])
                aquacat.labels_of(session, base, row["id"])
                images += len(aquacat.images_of(session, base, row["id"]))
    return time.perf_counter() - started, images


def harvest(base: str, profile: str | None = None) -> tuple[float, int]:
    from catalogue.access import SYSTEM
    from catalogue.harvest import runs, services
    from catalogue.models import HarvestSource

    for old in HarvestSource.objects.all():
        services.remove_source(old, actor=SYSTEM)
    source = services.add_source(actor=SYSTEM, name="second", kind="aquacat", base_url=base)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    run = runs.harvest(source)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    elapsed = time.perf_counter() - started
    assert run.status == "done" and not run.errors, run.errors[:3]
    return elapsed, run.images


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--per-set", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--profile", help="write cProfile stats of the last harvest here")
    parser.add_argument("--fill", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        fill(args.images, args.per_set)
        return

    import django

    django.setup()
    from django.db import connection

    from catalogue.models import SearchOutbox

    if connection.vendor != "postgresql":
        raise SystemExit("bench/harvest.py needs PostgreSQL (the second AquaCat's database)")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    peer_url, peer_name = peer_database(connection.settings_dict["NAME"])
    server = None
    try:
        subprocess.run(
            [PYTHON, __file__, "--fill", f"--images={args.images}", f"--per-set={args.per_set}"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": peer_url},
            check=True,
        )
        server = serve(peer_url, args.port)
        base = f"http://127.0.0.1:{args.port}"
        bare_s, harvest_s = [], []
        for round_number in range(args.rounds):
            last = round_number == args.rounds - 1
            sides = ["bare", "harvest"]
            if round_number % 2:
                sides.reverse()
            for name in sides:
                if name == "harvest":
                    elapsed, images = harvest(base, args.profile if last else None)
                else:
                    elapsed, images = bare(base)
                assert images == args.images, (name, images, args.images)
                (bare_s if name == "bare" else harvest_s).append(elapsed)
            SearchOutbox.objects.all().delete()  # no indexing in this bench
        bare_median, harvest_median = statistics.median(bare_s), statistics.median(harvest_s)
        print(
            json.dumps(
                {
                    "database": connection.vendor,
                    "server": "gunicorn, 2 workers, this code base (the second AquaCat)",
                    "source": "AquaCat REST API, image by image",
                    "images": args.images,
                    "sets": (args.images + args.per_set - 1) // args.per_set,
                    "rounds": args.rounds,
                    "bare_seconds": [round(s, 2) for s in bare_s],
                    "harvest_seconds": [round(s, 2) for s in harvest_s],
                    "bare_images_per_second": round(args.images / bare_median),
                    "harvest_images_per_second": round(args.images / harvest_median),
                    "bare_over_harvest": round(bare_median / harvest_median, 3),
                    "goal": {"bare_over_harvest_min": 0.8},
                },
                indent=2,
            )
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop_database(peer_name)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
