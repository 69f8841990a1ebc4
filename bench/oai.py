"""OAI-PMH harvest throughput, and the cost of a page deep in a harvest.

    .venv/bin/python bench/oai.py [--sets 100000] [--small] [--prefix oai_dc] [--page-size 200]

Creates a throw-away test database on the configured DATABASE_URL (PostgreSQL
or SQLite, named test_<name>), bulk-inserts N public sets with realistic
metadata (creators, keywords, WoRMS taxa, bbox, time and depth coverage), then
harvests them with ListRecords through Django's test client: one web worker,
in-process (the full view, middleware and XML serialisation; no HTTP socket).

Prints one JSON object: records/s of the full harvest (resumption tokens
followed to the end), and the median latency of the first page against a page
at 90 % depth of the harvest (same page size), with their ratio. Goals:
>= 2,500 records/s, deep/first <= 1.2.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aquacat.settings")
TOKEN = b"<resumptionToken"


def populate(count: int) -> None:
    from catalogue.models import ImageSet

    base = datetime(2024, 1, 1, tzinfo=UTC)
    batch = []
    for i in range(count):
        batch.append(
            ImageSet(
                uuid=uuid.uuid4(),
                title=f"Plankton images of station {i}, FlowCam",
                description="FlowCam particle images, net samples. " * 4,
                creators=[
                    {
                        "name": "Doe, Jane",
                        "orcid": "0000-0002-1825-0097",
                        "ror": "0496vr396",
                        "affiliation": "VLIZ",
                    },
                    {"name": "Roe, Richard"},
                ],
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
                instrument=["FlowCam", "ZooScan", "IFCB"][i % 3],
                modality="flow-imaging",
                research_infrastructure="LifeWatch",
                version="1.0",
            )
        )
        if len(batch) == 5000:
            ImageSet.objects.bulk_create(batch)
            batch = []
    if batch:
        ImageSet.objects.bulk_create(batch)


def next_token(body: bytes) -> str | None:
    from lxml import etree

    root = etree.fromstring(body)
    token = root.find(".//{http://www.openarchives.org/OAI/2.0/}resumptionToken")
    return token.text if token is not None and token.text else None


def timed(client, params) -> tuple[float, bytes]:
    start = time.perf_counter()
    response = client.get("/oai", params)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200
    return elapsed, response.content


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", type=int, default=100_000)
    parser.add_argument("--small", action="store_true", help="2,000 sets")
    parser.add_argument("--prefix", default="oai_dc")
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7, help="samples of first/deep page")
    args = parser.parse_args()
    count = 2_000 if args.small else args.sets

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.OAI_PAGE_SIZE = args.page_size
    settings.ALLOWED_HOSTS = ["testserver"]
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        populate(count)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE catalogue_imageset")
        insert_s = time.perf_counter() - started

        client = Client()
        params = {"verb": "ListRecords", "metadataPrefix": args.prefix}
        tokens, records, pages = [], 0, 0
        started = time.perf_counter()
        _elapsed, body = timed(client, params)
        while True:
            pages += 1
            records += body.count(b"<record>")
            token = next_token(body) if TOKEN in body else None
            if not token:
                break
            tokens.append(token)
            _elapsed, body = timed(client, {"verb": "ListRecords", "resumptionToken": token})
        harvest_s = time.perf_counter() - started
        assert records == count, (records, count)

        deep_token = tokens[int(len(tokens) * 0.9)] if tokens else None
        first, deep = [], []
        for _ in range(args.repeat):
            first.append(timed(client, params)[0])
            if deep_token:
                deep.append(
                    timed(client, {"verb": "ListRecords", "resumptionToken": deep_token})[0]
                )
        first_ms = statistics.median(first) * 1000
        deep_ms = statistics.median(deep) * 1000 if deep else first_ms
        print(
            json.dumps(
                {
                    "database": connection.vendor,
                    "server": "Django test client, one in-process worker",
                    "metadata_prefix": args.prefix,
                    "sets": count,
                    "page_size": args.page_size,
                    "pages": pages,
                    "insert_seconds": round(insert_s, 2),
                    "harvest_seconds": round(harvest_s, 2),
                    "records_per_second": round(records / harvest_s),
                    "first_page_ms": round(first_ms, 1),
                    "deep_page_ms": round(deep_ms, 1),
                    "deep_page_at": "90% of the harvest",
                    "deep_over_first": round(deep_ms / first_ms, 3),
                    "goals": {"records_per_second": 2500, "deep_over_first_max": 1.2},
                },
                indent=2,
            )
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
