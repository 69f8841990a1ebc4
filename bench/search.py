"""Search speed per backend, against the bare engine, in the same run.

    .venv/bin/python bench/search.py --small                 # 2 k sets, 20 k images
    .venv/bin/python bench/search.py                         # 100 k sets, 1 M images
    .venv/bin/python bench/search.py --backends opensearch,database --queries 300

Builds a seeded synthetic catalogue of search documents (the same fields as
catalogue/search/documents.py: text from a marine vocabulary, instruments,
platforms, taxa with lineages, bounding boxes, time and depth ranges, access
states), indexes it into each backend (docs/s), then runs a mixed query load
through `catalogue.selectors.search_catalogue` (visibility, validation, result
model included) and reports p50/p95/p99 latency. For an engine backend the
very same request bodies are also sent bare with the client, so our overhead is
measured against the engine itself. Prints one JSON object.

Engines come from SEARCH_URL_OPENSEARCH / SEARCH_URL_ELASTICSEARCH (see
`scripts/services env`); the database backend uses DATABASE_URL (or SQLite).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VOCABULARY = (
    "plankton diatom copepod bloom estuary fjord reef coral seagrass kelp sediment trawl "
    "transect survey cruise station profile net sample larvae jellyfish krill foraminifera "
    "dinoflagellate ciliate radiolaria coccolithophore turbidity upwelling frontal coastal "
    "benthic pelagic abyssal hadal lagoon mangrove salt marsh harbour porpoise whale seal "
    "oil slick spill sar scene spectrogram hydrophone beach camera microscope frustule"
)
WORDS = VOCABULARY.split()
INSTRUMENTS = ["FlowCam", "ZooScan", "IFCB", "UVP5", "UVP6", "C-SAR", "Hydrophone", "Microscope"]
PLATFORMS = [
    "RV Simon Stevin",
    "RV Belgica",
    "RV Thalassa",
    "Sentinel-1A",
    "ROV Genesis",
    "Mooring",
]
MODALITIES = ["flow-imaging", "scanner", "sar", "spectrogram", "microscopy", "photograph"]
INFRASTRUCTURES = ["LifeWatch", "EMBRC", "Euro-Argo", "EMSO", ""]
LICENCES = ["CC-BY-4.0", "CC0-1.0", "CC-BY-NC-4.0", "CC-BY-SA-4.0"]
LINEAGES = {
    "Calanus finmarchicus": ["Animalia", "Arthropoda", "Copepoda", "Calanidae", "Calanus"],
    "Acartia tonsa": ["Animalia", "Arthropoda", "Copepoda", "Acartiidae", "Acartia"],
    "Bacillariophyceae": ["Chromista", "Ochrophyta"],
    "Noctiluca scintillans": ["Chromista", "Myzozoa", "Dinoflagellata", "Noctilucales"],
    "Tripos furca": ["Chromista", "Myzozoa", "Dinoflagellata", "Gonyaulacales", "Tripos"],
    "Aurelia aurita": ["Animalia", "Cnidaria", "Scyphozoa", "Semaeostomeae", "Aurelia"],
}
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def synthetic_sets(count: int, seed: int):
    rng = random.Random(seed)
    for pk in range(1, count + 1):
        taxa = rng.sample(sorted(LINEAGES), rng.randint(0, 3))
        labels = rng.sample(taxa, len(taxa) // 2) if taxa else []
        west, south = rng.uniform(-180, 170), rng.uniform(-80, 75)
        start = EPOCH + timedelta(days=rng.randint(0, 9000))
        end = start + timedelta(days=rng.randint(0, 400))
        dmin = rng.choice([None, rng.uniform(0, 200)])
        access = rng.choices(["open", "embargoed", "restricted"], [85, 10, 5])[0]
        yield {
            "id": pk,
            "kind": "set",
            "revision": 1,
            "set_id": pk,
            "title": " ".join(rng.choices(WORDS, k=rng.randint(3, 8))).capitalize(),
            "description": " ".join(rng.choices(WORDS, k=rng.randint(15, 60))),
            "file_name": "",
            "keywords": rng.sample(WORDS, 3),
            "creators": [f"Researcher {rng.randint(1, 5000)}"],
            "taxa": taxa,
            "taxon_path": sorted({n for t in taxa for n in [*LINEAGES[t], t]}),
            "labels": labels,
            "platform": rng.choice(PLATFORMS),
            "instrument": rng.choice(INSTRUMENTS),
            "modality": rng.choice(MODALITIES),
            "research_infrastructure": rng.choice(INFRASTRUCTURES),
            "licence": rng.choice(LICENCES),
            "access": access,
            "state": rng.choices(["published", "draft"], [95, 5])[0],
            "embargo_until": (
                (start + timedelta(days=3000)).date().isoformat() if access == "embargoed" else None
            ),
            "owner_id": rng.randint(1, 500),
            "curator_ids": [rng.randint(1, 500)],
            "years": list(range(start.year, end.year + 1)),
            "time_start": start.isoformat(),
            "time_end": end.isoformat(),
            "depth_min": dmin,
            "depth_max": None if dmin is None else dmin + rng.uniform(1, 500),
            "bbox": [west, south, west + rng.uniform(0.1, 9), south + rng.uniform(0.1, 4.9)],
            "polygon": None,
            "point": None,
            "image_count": 10,
            "size": rng.randint(10**5, 10**10),
            "has_annotations": bool(labels),
            "doi": "",
            "created": (EPOCH + timedelta(seconds=pk * 97)).isoformat(),
        }


def synthetic_images(sets: list[dict], per_set: int, seed: int):
    rng = random.Random(seed + 1)
    pk = 0
    for parent in sets:
        for _ in range(per_set):
            pk += 1
            west, south, east, north = parent["bbox"]
            lon, lat = rng.uniform(west, east), rng.uniform(south, north)
            start = datetime.fromisoformat(parent["time_start"])
            moment = (start + timedelta(hours=rng.randint(0, 2000))).isoformat()
            depth = None if parent["depth_min"] is None else rng.uniform(0, 700)
            labels = [rng.choice(parent["labels"])] if parent["labels"] else []
            yield {
                **parent,
                "id": pk,
                "kind": "image",
                "title": parent["title"],
                "description": "",
                "file_name": f"img_{pk:08d}.jpg",
                "creators": [],
                "taxa": labels,
                "taxon_path": sorted({n for t in labels for n in [*LINEAGES[t], t]}),
                "labels": labels,
                "years": [int(moment[:4])],
                "time_start": moment,
                "time_end": moment,
                "depth_min": depth,
                "depth_max": depth,
                "bbox": [lon, lat, lon, lat],
                "point": [lon, lat],
                "image_count": 1,
                "size": rng.randint(10**5, 10**7),
                "has_annotations": bool(labels),
            }


def query_mix(seed: int, count: int):
    """(name, params) pairs: the load a portal sees, seeded."""
    from catalogue.search.query import SearchQuery

    rng = random.Random(seed + 2)
    shapes = ["text+facets+bbox", "text", "filters", "taxon+time", "images", "deep-page"]
    for n in range(count):
        shape = shapes[n % len(shapes)]
        west, south = rng.uniform(-170, 150), rng.uniform(-70, 50)
        bbox = (west, south, west + 25, south + 15)
        if shape == "text+facets+bbox":
            query = SearchQuery(text=rng.choice(WORDS), bbox=bbox)
        elif shape == "text":
            query = SearchQuery(text=" ".join(rng.sample(WORDS, 2)), facets=[])
        elif shape == "filters":
            query = SearchQuery(
                instrument=[rng.choice(INSTRUMENTS)], year=[rng.randint(2000, 2024)], sort="newest"
            )
        elif shape == "taxon+time":
            start = EPOCH + timedelta(days=rng.randint(0, 8000))
            query = SearchQuery(
                taxon=[rng.choice(["Copepoda", "Dinoflagellata", "Chromista", "Cnidaria"])],
                time_from=start,
                time_to=start + timedelta(days=365),
            )
        elif shape == "images":
            query = SearchQuery(
                kind="image", label=[rng.choice(sorted(LINEAGES))], bbox=bbox, depth_max=300
            )
        else:
            query = SearchQuery(sort="newest", page_size=50, page=rng.randint(1, 20))
        yield shape, query


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": round(statistics.mean(ordered) * 1000, 2),
    }


def index_all(backend, kind: str, docs, batch: int) -> float:
    written, started, chunk = 0, time.perf_counter(), []
    for doc in docs:
        chunk.append(doc)
        if len(chunk) == batch:
            failures = backend.index(kind, chunk)
            assert not failures, failures[:3]
            written += len(chunk)
            chunk = []
    if chunk:
        assert not backend.index(kind, chunk)
        written += len(chunk)
    backend.refresh()
    return written / (time.perf_counter() - started)


def analyse_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def run_backend(name: str, args) -> dict:
    from catalogue.access import Visibility
    from catalogue.selectors import search_catalogue

    if name == "database":
        from catalogue.search.backends.database import DatabaseBackend

        backend = DatabaseBackend()
    else:
        from catalogue.search.backends.engine import EngineBackend

        backend = EngineBackend(
            url=os.environ[f"SEARCH_URL_{name.upper()}"],
            kind=name,
            prefix=f"aquacat-bench-{uuid.uuid4().hex[:8]}",
        )
    backend.setup()
    try:
        sets = list(synthetic_sets(args.sets, args.seed))
        report = {
            "sets": len(sets),
            "images": len(sets) * args.images_per_set,
            "index_sets_docs_per_s": round(index_all(backend, "set", iter(sets), 1000), 1),
            "index_images_docs_per_s": round(
                index_all(
                    backend, "image", synthetic_images(sets, args.images_per_set, args.seed), 2000
                ),
                1,
            ),
        }
        del sets
        if name == "database":
            analyse_tables()  # what autovacuum would do soon after a bulk load
        queries = list(query_mix(args.seed, args.queries))
        for _, query in queries[:20]:  # warm caches
            search_catalogue(None, query, backend=backend)
        ours, bare, by_shape = [], [], {}
        for shape, query in queries:
            started = time.perf_counter()
            search_catalogue(None, query, backend=backend)
            elapsed = time.perf_counter() - started
            ours.append(elapsed)
            by_shape.setdefault(shape, []).append(elapsed)
            if name != "database":
                visibility = Visibility(
                    everything=False, user_id=None, today=datetime.now(UTC).date()
                )
                index, body = backend.request_for(query, visibility)
                started = time.perf_counter()
                backend.engine.client.search(index=index, body=body)
                bare.append(time.perf_counter() - started)
        report["ours"] = percentiles(ours)
        report["by_query"] = {shape: percentiles(times) for shape, times in by_shape.items()}
        if bare:
            report["bare_engine"] = percentiles(bare)
            report["overhead_p95"] = round(
                report["ours"]["p95_ms"] / report["bare_engine"]["p95_ms"], 3
            )
            report["overhead_mean"] = round(
                report["ours"]["mean_ms"] / report["bare_engine"]["mean_ms"], 3
            )
        return report
    finally:
        if name != "database":
            backend.drop()
        else:
            for kind in ("set", "image"):
                backend.rebuild(kind, iter([]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="2 k sets and 20 k images")
    parser.add_argument("--sets", type=int, default=None)
    parser.add_argument("--images-per-set", type=int, default=10)
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backends", default="opensearch,elasticsearch,database")
    args = parser.parse_args()
    if args.sets is None:
        args.sets = 2_000 if args.small else 100_000

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aquacat.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not os.environ.get("DATABASE_URL"):
        os.environ["AQUACAT_VAR_DIR"] = tempfile.mkdtemp(prefix="aquacat-bench-")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    results = {"benchmark": "search", "seed": args.seed, "queries": args.queries, "backends": {}}
    for name in args.backends.split(","):
        if name != "database" and not os.environ.get(f"SEARCH_URL_{name.upper()}"):
            results["backends"][name] = {"skipped": f"SEARCH_URL_{name.upper()} is not set"}
            continue
        if name == "database" and args.sets > 20_000:
            results["backends"][name] = {"skipped": "the database backend is for small catalogues"}
            continue
        results["backends"][name] = run_backend(name, args)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
