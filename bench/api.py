"""REST API throughput against a floor, in the same run, printing JSON.

    .venv/bin/python bench/api.py [--sets 2000] [--seconds 2] [--rounds 3]

Runs on a fresh SQLite catalogue (the embedded default) with the database search
backend. Each case is timed through Django's full request stack with the test
client: the API's paginated list (100 sets a page) and a search call, beside a
floor, a bare Django view answering the same rows from `.values()` with orjson
(for the search, the same selector call dumped with orjson). Goal: the API
reaches at least 0.65 of its floor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
GOAL = 0.65
urlpatterns: list = []  # filled in main(); this module is the ROOT_URLCONF


def floor_list(request):
    import orjson
    from django.http import HttpResponse

    from catalogue.api.serializers import SET_FIELDS
    from catalogue.selectors import visible_image_sets

    rows = list(visible_image_sets(request.user).order_by("-id").values(*SET_FIELDS)[:100])
    return HttpResponse(
        orjson.dumps({"next": None, "previous": None, "results": rows}),
        content_type="application/json",
    )


def floor_search(request):
    import orjson
    from django.http import HttpResponse

    from catalogue.search.query import query_from_params
    from catalogue.selectors import search_catalogue

    result = search_catalogue(request.user, query_from_params(dict(request.GET.lists())))
    return HttpResponse(orjson.dumps(result), content_type="application/json")


def make_catalogue(count: int) -> None:
    from catalogue.models import ImageSet
    from catalogue.search.backends.database import DatabaseBackend
    from catalogue.search.documents import documents

    instruments = ["FlowCam", "ZooScan", "UVP5", "IFCB", "HD camera"]
    ImageSet.objects.bulk_create(
        ImageSet(
            title=f"Plankton survey {n}",
            description=f"Samples of station {n % 97}, diatoms and copepods.",
            state="published",
            access="open",
            instrument=instruments[n % len(instruments)],
            platform=f"RV {n % 13}",
            modality="flow-imaging",
            keywords=["plankton", f"station-{n % 97}"],
            creators=[{"name": f"Researcher {n % 31}"}],
            west=2.0,
            south=51.0,
            east=3.0,
            north=52.0,
        )
        for n in range(count)
    )
    backend = DatabaseBackend()
    backend.setup()
    ids = list(ImageSet.objects.values_list("pk", flat=True))
    backend.index("set", list(documents("set", ids)))


def rate(client, url: str, seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        done += 1
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="aquacat.settings",
        AQUACAT_VAR_DIR=tempfile.mkdtemp(prefix="aquacat-bench-api-"),
        SEARCH_URL="",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import clear_url_caches, include, path

    setup_test_environment()
    call_command("migrate", verbosity=0)
    make_catalogue(args.sets)
    settings.API_THROTTLE_RATES = {}
    urlpatterns[:] = [
        path("floor/sets/", floor_list),
        path("floor/search/", floor_search),
        path("", include("aquacat.urls")),
    ]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    cases = {
        "list": ("/api/v1/image-sets/?page_size=100", "/floor/sets/"),
        "search": (
            "/api/v1/search/?q=plankton&instrument=FlowCam&page_size=20",
            "/floor/search/?q=plankton&instrument=FlowCam&page_size=20",
        ),
    }
    client = Client()
    out: dict = {"sets": args.sets, "seconds": args.seconds, "rounds": args.rounds, "goal": GOAL}
    for name, (api_url, floor_url) in cases.items():
        client.get(api_url), client.get(floor_url)  # warm up
        api, floor = [], []
        for _ in range(args.rounds):
            api.append(rate(client, api_url, args.seconds))
            floor.append(rate(client, floor_url, args.seconds))
        api_rps, floor_rps = statistics.median(api), statistics.median(floor)
        out[name] = {
            "api_requests_per_s": round(api_rps, 1),
            "floor_requests_per_s": round(floor_rps, 1),
            "ratio": round(api_rps / floor_rps, 3),
            "meets_goal": api_rps / floor_rps >= GOAL,
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
