"""Publishing throughput: packaging and the whole InvenioRDM deposit against bare
equivalents, measured in the same run.

    eval "$(.venv/bin/python scripts/services env)"   # INVENIORDM_URL, INVENIORDM_TOKEN
    .venv/bin/python bench/publish.py [--images 2000] [--repeat 2] [--parts packaging,deposit]

`--parts packaging` measures packaging alone (no InvenioRDM needed).

Input: N JPEGs of 800x600, each a mosaic of real FlowCam images from
catalogue/demo (about 58 kB each, 115 MB for 2,000), made once per run in a
temporary folder and ingested into one ready set (title, creators, licence,
version, open) per repeat, on the embedded default (SQLite, local file storage in a temporary
folder; the broker too, so no worker takes the queued task). The deposit part
needs the local InvenioRDM (`scripts/services up inveniordm`).

- packaging: `curation.packaging.build` of the set (zip packages of 100 images,
  manifest.json, ifdo.json, datacite.xml, ro-crate-metadata.json) against a bare copy of the same
  originals into plain files of 100 images each, in the same temporary folder.
- deposit: `publish()` + `run_deposit()` to the target "rdm" (kind invenio):
  draft, packaging, three calls per file, publish, DOIs read back; against bare
  `requests` calls sending the same package files (already built): create a
  draft, the three-step upload of each file, publish.

Prints one JSON object: sizes, seconds (best of --repeat), bytes/s, the ratios
ours/baseline and their goals (not asserted). The package files' md5 (what
InvenioRDM reports) is not part of packaging: it is taken while each file is
read for its upload (`BuiltFile.open`), so it counts in the deposit part.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "catalogue" / "demo" / "phytoplankton-flowcam" / "images"
WIDTH, HEIGHT = 800, 600
PER_PACKAGE = 100
CHUNK = 1024 * 1024
GOALS = {"packaging_ratio": 0.9, "deposit_ratio": 0.8}


def make_inputs(folder: Path, count: int) -> list[Path]:
    from bench.ingest import make_inputs as mosaics

    return mosaics(folder, count, (WIDTH, HEIGHT), seed=7)


def ready_set(inputs: Path, count: int, number: int):
    from catalogue import services
    from catalogue.access import SYSTEM
    from catalogue.models import Access

    image_set = services.create_image_set(
        title=f"Publishing benchmark {number} ({time.time():.0f})",
        creators=[{"name": "Mortelmans, Jonas", "orcid": "0000-0002-1825-0097"}],
        licence="CC-BY-4.0",
        version="1.0",
        access=Access.OPEN,
        description="Mosaics of FlowCam images, made by bench/publish.py.",
        actor=SYSTEM,
    )
    batch = services.ingest(image_set, [inputs], actor=SYSTEM)
    if batch.added != count or batch.rejected:
        raise SystemExit(f"ingest went wrong: {batch.added} added, {batch.rejected[:3]}")
    image_set.refresh_from_db()
    return image_set


# --- packaging --------------------------------------------------------------------------


def our_packaging(image_set, folder: Path) -> tuple[float, int]:
    from curation import packaging

    started = time.perf_counter()
    bundle = packaging.build(
        image_set, folder, max_files=PER_PACKAGE, max_bytes=packaging_max_bytes()
    )
    elapsed = time.perf_counter() - started
    return elapsed, sum(built.size for built in bundle.files)


def packaging_max_bytes() -> int:
    from curation.repositories.invenio import DEFAULT_MAX_BYTES

    return DEFAULT_MAX_BYTES


def bare_copy(sources: list[Path], folder: Path) -> tuple[float, int]:
    """The same originals, concatenated into one plain file per 100 images."""
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for part, first in enumerate(range(0, len(sources), PER_PACKAGE)):
        with (folder / f"part-{part:03d}.bin").open("wb") as sink:
            for source in sources[first : first + PER_PACKAGE]:
                with source.open("rb") as data:
                    shutil.copyfileobj(data, sink, CHUNK)
            written += sink.tell()
    return time.perf_counter() - started, written


# --- deposit ----------------------------------------------------------------------------


def warm_up() -> None:
    """What a running worker has already done before its first deposit: the modules
    imported and the URLconf loaded (else they count in the first deposit timed)."""
    from django.urls import get_resolver

    from curation.services import deposits  # noqa: F401

    get_resolver().url_patterns  # noqa: B018


def our_deposit(image_set) -> tuple[float, dict]:
    from catalogue.access import SYSTEM
    from curation.services.deposits import publish, run_deposit

    started = time.perf_counter()
    deposit = run_deposit(publish(image_set, actor=SYSTEM, target="rdm").pk)
    elapsed = time.perf_counter() - started
    if deposit.state != "published":
        raise SystemExit(f"deposit {deposit.state}: {deposit.error} {deposit.errors}")
    return elapsed, {"doi": deposit.doi, "files": deposit.files_total}


def bare_deposit(url: str, token: str, files: list[Path], number: int) -> float:
    """A draft, the three-step upload of each file, publish: plain requests."""
    import requests

    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
    api = url.rstrip("/") + "/api"

    def call(method: str, path: str, **kwargs) -> dict:
        response = session.request(method, api + path, timeout=120, **kwargs)
        if response.status_code >= 400:
            raise SystemExit(f"bare {method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else {}

    body = {
        "access": {"record": "public", "files": "public"},
        "files": {"enabled": True},
        "metadata": {
            "resource_type": {"id": "dataset"},
            "title": f"Publishing benchmark, bare upload {number} ({time.time():.0f})",
            "publication_date": time.strftime("%Y-%m-%d"),
            "publisher": "AquaCat benchmark",
            "creators": [
                {
                    "person_or_org": {
                        "type": "personal",
                        "family_name": "Mortelmans",
                        "given_name": "Jonas",
                    }
                }
            ],
            "rights": [{"id": "cc-by-4.0"}],
        },
        "pids": {},
    }
    started = time.perf_counter()
    draft = call("POST", "/records", json=body)
    record = draft["id"]
    for path in files:
        call("POST", f"/records/{record}/draft/files", json=[{"key": path.name}])
        with path.open("rb") as content:
            call(
                "PUT",
                f"/records/{record}/draft/files/{path.name}/content",
                data=content,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(path.stat().st_size),
                },
            )
        call("POST", f"/records/{record}/draft/files/{path.name}/commit")
    published = call("POST", f"/records/{record}/draft/actions/publish")
    elapsed = time.perf_counter() - started
    if not published.get("is_published"):
        raise SystemExit(f"bare publish did not publish {record}")
    return elapsed


def invenio_version() -> str:
    text = (ROOT / "scripts" / "service_inveniordm.py").read_text()
    found = re.search(r"invenio-app-rdm[^=\"]*==([\w.]+)", text)
    return found.group(1) if found else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--parts",
        default="packaging,deposit",
        help="comma-separated: packaging, deposit (default both)",
    )
    args = parser.parse_args()
    parts = {part.strip() for part in args.parts.split(",") if part.strip()}
    if not parts or parts - {"packaging", "deposit"}:
        raise SystemExit(f"--parts: packaging and/or deposit, not {args.parts!r}")

    url, token = os.environ.get("INVENIORDM_URL", ""), os.environ.get("INVENIORDM_TOKEN", "")
    if "deposit" in parts and (not url or not token):
        raise SystemExit(
            "INVENIORDM_URL and INVENIORDM_TOKEN are needed: "
            '.venv/bin/python scripts/services up inveniordm; eval "$(... services env)"'
        )
    scratch = Path(tempfile.mkdtemp(prefix="aquacat-bench-publish-"))
    for variable in (
        "DATABASE_URL",
        "S3_BUCKET",
        "SEARCH_URL",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
    ):
        os.environ.pop(variable, None)
    os.environ.update(
        AQUACAT_VAR_DIR=str(scratch / "var"),
        DJANGO_SETTINGS_MODULE="aquacat.settings",
        LOG_LEVEL="WARNING",
        PUBLISH_TARGETS=json.dumps(
            {"rdm": {"kind": "invenio", "url": url, "token": token}} if url else {}
        ),
    )
    try:
        import django

        django.setup()
        from django.core.files.storage import default_storage
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        warm_up()
        inputs = scratch / "inputs"
        inputs.mkdir()
        paths = make_inputs(inputs, args.images)
        input_bytes = sum(p.stat().st_size for p in paths)

        # A deposit publishes (freezes) its set: one set per repeat. Packaging alone
        # leaves the set as it was: one set, packaged --repeat times.
        started = time.perf_counter()
        count = args.repeat if "deposit" in parts else 1
        sets = [ready_set(inputs, len(paths), number) for number in range(count)]
        ingest_s = time.perf_counter() - started

        best: dict[str, float] = {}
        package_bytes = 0
        out = scratch / "out"
        for number, image_set in enumerate(sets):
            sources = [
                Path(default_storage.path(key))
                for key in image_set.images.order_by("file_name", "pk").values_list(
                    "storage_key", flat=True
                )
            ]
            for source in sources:  # into the page cache for both sides
                source.read_bytes()
            for again in range(1 if "deposit" in parts else args.repeat):
                if again:
                    shutil.rmtree(out / f"ours-{number}")
                # Each side starts with no dirty pages left by the other (os.sync, not
                # timed), and they take turns going first: the kernel's write-back of
                # one side's 120 MB would otherwise slow the other.
                measured = {}
                for side in ("baseline", "ours")[:: -1 if again % 2 else 1]:
                    os.sync()
                    measured[side] = (
                        bare_copy(sources, out / f"bare-{number}")
                        if side == "baseline"
                        else our_packaging(image_set, out / f"ours-{number}")
                    )
                (baseline_s, copied), (ours_s, package_bytes) = (
                    measured["baseline"],
                    measured["ours"],
                )
                best["packaging_baseline_s"] = min(
                    best.get("packaging_baseline_s", 1e9), baseline_s
                )
                best["packaging_ours_s"] = min(best.get("packaging_ours_s", 1e9), ours_s)
                shutil.rmtree(out / f"bare-{number}")

            if "deposit" not in parts:
                shutil.rmtree(out / f"ours-{number}")
                continue
            files = sorted((out / f"ours-{number}").iterdir())
            # Sides alternate which goes first; each starts with no dirty pages (the
            # packages ours writes would otherwise wait on the write-back of the
            # ingest's and the other side's files).
            for side in ("ours", "bare")[:: 1 if number % 2 else -1]:
                os.sync()
                if side == "ours":
                    deposit_s, remote = our_deposit(image_set)
                else:
                    bare_s = bare_deposit(url, token, files, number)
            best["deposit_baseline_s"] = min(best.get("deposit_baseline_s", 1e9), bare_s)
            best["deposit_ours_s"] = min(best.get("deposit_ours_s", 1e9), deposit_s)
            shutil.rmtree(out / f"ours-{number}")

        def timings(part: str, size: int) -> dict:
            baseline, ours = best[f"{part}_baseline_s"], best[f"{part}_ours_s"]
            return {
                "baseline_s": round(baseline, 3),
                "ours_s": round(ours, 3),
                "baseline_mb_per_s": round(size / 1e6 / baseline, 1),
                "ours_mb_per_s": round(size / 1e6 / ours, 1),
                "ratio_ours_to_baseline": round(baseline / ours, 3),
            }

        result: dict = {
            "benchmark": "publish",
            "parts": sorted(parts),
            "images": len(paths),
            "image_pixels": WIDTH * HEIGHT,
            "input_bytes": input_bytes,
            "mean_file_bytes": round(input_bytes / len(paths)),
            "package_bytes": package_bytes,
            "baseline_copy_bytes": copied,
            "repeat": args.repeat,
            "cpus": os.cpu_count(),
            "ingest_s_all_sets": round(ingest_s, 2),
            "packaging": timings("packaging", input_bytes),
        }
        if "deposit" in parts:
            result.update(
                package_files=remote["files"],
                inveniordm=invenio_version(),
                inveniordm_url=url,
                deposit={**timings("deposit", package_bytes), "last_doi": remote["doi"]},
            )
        result["goals"] = GOALS
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
