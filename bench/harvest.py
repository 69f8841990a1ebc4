"""Harvesting a second AquaCat over OAI-PMH, against bare fetching of the same pages.

    .venv/bin/python bench/harvest.py [--sets 10000] [--small] [--rounds 2]

Creates a throw-away test database on the configured DATABASE_URL (PostgreSQL or
SQLite), bulk-inserts N public sets with realistic metadata (as bench/oai.py), and
serves them with gunicorn in a process of its own: the second AquaCat, whose
OAI-PMH provider (/oai) lists only its own sets, never the external sets the
harvest writes beside them. Then, in the same run and against the same server:

- bare: every ListRecords page in oai_datacite, resumption tokens followed, with
  httpx and nothing else (the floor any harvester pays);
- harvest: `catalogue.harvest.runs.harvest` of the same list into external sets
  (the library client, parsing, mapping, validation, writes, search outbox).

The sides take turns going first; each harvest starts with no external sets.
Prints one JSON object: seconds of each side (median over the rounds), records/s,
and bare/harvest (goal >= 0.8).
"""

from __future__ import annotations

import argparse
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
OAI = "{http://www.openarchives.org/OAI/2.0/}"


def database_url(settings_dict: dict, vendor: str) -> str:
    """DATABASE_URL of the test database, for the server process."""
    if vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{settings_dict['NAME']}"))


def serve(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "ALLOWED_HOSTS": "127.0.0.1,localhost"}
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
    import httpx2

    for _ in range(120):
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/oai?verb=Identify", timeout=2).is_success:
                return server
        except httpx2.TransportError:
            pass
        time.sleep(0.5)
    server.kill()
    raise SystemExit("the second AquaCat did not start")


def bare(base: str) -> tuple[float, int]:
    """Every page fetched, its token read; nothing else."""
    import httpx2
    from lxml import etree

    started = time.perf_counter()
    records = 0
    params = {"verb": "ListRecords", "metadataPrefix": "oai_datacite"}
    with httpx2.Client(timeout=60) as client:
        while True:
            body = client.get(base, params=params).content
            root = etree.fromstring(body)
            records += len(root.findall(f".//{OAI}record"))
            token = root.find(f".//{OAI}resumptionToken")
            if token is None or not token.text:
                break
            params = {"verb": "ListRecords", "resumptionToken": token.text}
    return time.perf_counter() - started, records


def harvest(base: str) -> tuple[float, int]:
    from catalogue.access import SYSTEM
    from catalogue.harvest import runs, services
    from catalogue.models import HarvestSource

    for old in HarvestSource.objects.all():
        services.remove_source(old, actor=SYSTEM)
    source = services.add_source(actor=SYSTEM, name="second", kind="oai", base_url=base)
    started = time.perf_counter()
    run = runs.harvest(source)
    elapsed = time.perf_counter() - started
    assert run.status == "done" and not run.errors, run.errors[:3]
    return elapsed, run.new


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", type=int, default=10_000)
    parser.add_argument("--small", action="store_true", help="1,000 sets")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    count = 1_000 if args.small else args.sets

    import django

    django.setup()
    from django.db import connection

    from bench.oai import populate
    from catalogue.models import SearchOutbox

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    server = None
    try:
        populate(count)
        url = database_url(connection.settings_dict, connection.vendor)
        server = serve(url, args.port)
        base = f"http://127.0.0.1:{args.port}/oai"
        bare_s, harvest_s = [], []
        for round_number in range(args.rounds):
            sides = [("bare", bare), ("harvest", harvest)]
            if round_number % 2:
                sides.reverse()
            for name, side in sides:
                elapsed, records = side(base)
                assert records == count, (name, records, count)
                (bare_s if name == "bare" else harvest_s).append(elapsed)
            SearchOutbox.objects.all().delete()  # no indexing in this bench
        bare_median, harvest_median = statistics.median(bare_s), statistics.median(harvest_s)
        print(
            json.dumps(
                {
                    "database": connection.vendor,
                    "server": "gunicorn, 2 workers, this code base (the second AquaCat)",
                    "metadata_prefix": "oai_datacite",
                    "records": count,
                    "rounds": args.rounds,
                    "bare_seconds": [round(s, 2) for s in bare_s],
                    "harvest_seconds": [round(s, 2) for s in harvest_s],
                    "bare_records_per_second": round(count / bare_median),
                    "harvest_records_per_second": round(count / harvest_median),
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
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
