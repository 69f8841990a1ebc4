"""Load test: mixed traffic from concurrent clients against gunicorn on the real services.

    eval "$(.venv/bin/python scripts/services env)"
    .venv/bin/python bench/load.py [--clients 50] [--seconds 60] [--max-requests 20000]

On loopback, with PostgreSQL, OpenSearch (or Elasticsearch), Redis and MinIO from
`scripts/services`: a database of its own (`aquacat_load`, made afresh), the demo
sets loaded and indexed, gunicorn started with gunicorn.conf.py and one Celery
worker, then `--clients` clients (threads, each its own connection) send a mix of
requests until `--seconds` or `--max-requests` are reached:

    search page, landing pages, thumbnails, API set lists, API search, OAI-PMH
    pages, and uploads (a small real JPEG posted through the API with a token).

Prints one JSON object: per kind the count, p50/p95/p99/max in ms and the errors;
the 5xx count, the throughput, and the peak memory (RSS) of the web processes
and of the worker processes. Goals: no 5xx, no request over 10 s, no kind's p95
over 5x the median kind's p95 (the baseline here is the mix's own median kind).
Everything it made (database, indexes, stored files) is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import boto3
import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "catalogue" / "demo" / "phytoplankton-flowcam" / "images"
DATABASE = "aquacat_load"
SLOW_SECONDS = 10.0
# How often each kind comes up in the mix (reads dominate, as on a portal).
WEIGHTS = {
    "search_page": 3,
    "landing_page": 3,
    "thumbnail": 6,
    "api_list": 2,
    "api_search": 2,
    "oai_page": 1,
    "upload": 1,
}
QUERIES = ["diatom", "Chaetoceros", "flowcam", "plankton", "ciliate", "", "dinoflagellate"]


def required_environment() -> dict[str, str]:
    missing = [
        name
        for name in ("DATABASE_URL", "SEARCH_URL", "CELERY_BROKER_URL", "S3_BUCKET")
        if not os.environ.get(name)
    ]
    if missing:
        raise SystemExit(
            f"{', '.join(missing)} not set: start the services and export their environment: "
            'eval "$(.venv/bin/python scripts/services env)"'
        )
    token = uuid.uuid4().hex[:8]
    url = urlparse(os.environ["DATABASE_URL"])
    return {
        **os.environ,
        "DATABASE_URL": urlunparse(url._replace(path=f"/{DATABASE}")),
        "SEARCH_INDEX_PREFIX": f"aquacat-load-{token}",
        "CELERY_TASK_DEFAULT_QUEUE": f"load-{token}",
        "S3_PREFIX": f"load-{token}",
        "INFERENCE_EMBED_NEW_IMAGES": "false",
        "DEBUG": "false",
        # 50 clients from one loopback address stand for 50 visitors: no per-address cap.
        "API_THROTTLE_ADDRESS": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "WEB_ACCESS_LOG": "",
        "WEB_LOG_LEVEL": "warning",
    }


def recreate_database(env: dict[str, str]) -> None:
    admin = urlparse(os.environ["DATABASE_URL"])
    with psycopg.connect(urlunparse(admin._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def drop_database() -> None:
    admin = urlparse(os.environ["DATABASE_URL"])
    with psycopg.connect(urlunparse(admin._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


SETUP_PROGRAM = """
from django.contrib.auth import get_user_model
from aquacat import tokens
from catalogue import services
from catalogue.access import SYSTEM
user = get_user_model().objects.create_user("load-curator")
_, secret = tokens.create_token(user=user, name="load", scopes=("read", "write"))
image_set = services.create_image_set(title="Load test uploads", owner=user, actor=SYSTEM)
print(secret, image_set.pk)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(env: dict[str, str], args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=30).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds:g}s")


# --- memory ------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    tree, seen = [pid], 0
    while seen < len(tree):
        current = tree[seen]
        seen += 1
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        tree += [int(child) for child in children]
    return tree


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class MemoryWatch(threading.Thread):
    """Samples the summed RSS of each process tree (web, worker) twice a second."""

    def __init__(self, roots: dict[str, int]):
        super().__init__(daemon=True)
        self.roots = roots
        self.peak = dict.fromkeys(roots, 0)
        self.processes = dict.fromkeys(roots, 0)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            for role, root in self.roots.items():
                tree = process_tree(root)
                self.peak[role] = max(self.peak[role], sum(rss_bytes(pid) for pid in tree))
                self.processes[role] = max(self.processes[role], len(tree))


# --- traffic -----------------------------------------------------------------------


class Targets:
    def __init__(self, base: str, token: str, upload_set: int):
        self.base = base
        self.token = token
        self.upload_set = upload_set
        sets = requests.get(f"{base}/api/v1/image-sets/", {"page_size": 100}, timeout=30).json()
        self.set_uuids = [s["uuid"] for s in sets["results"]]
        images = requests.get(f"{base}/api/v1/images/", {"page_size": 100}, timeout=30).json()
        self.image_ids = [i["id"] for i in images["results"]]
        if not self.set_uuids or not self.image_ids:
            raise SystemExit("the demo data is not visible through the API")
        self.jpegs = [path.read_bytes() for path in sorted(DEMO.glob("*/*.jpg"))]


def send(session: requests.Session, kind: str, targets: Targets, rng: random.Random):
    base = targets.base
    if kind == "search_page":
        return session.get(f"{base}/search/", params={"q": rng.choice(QUERIES)}, timeout=30)
    if kind == "landing_page":
        return session.get(f"{base}/sets/{rng.choice(targets.set_uuids)}/", timeout=30)
    if kind == "thumbnail":
        image = rng.choice(targets.image_ids)
        variant = rng.choice(["small", "medium"])
        return session.get(f"{base}/files/images/{image}/{variant}", timeout=30)
    if kind == "api_list":
        return session.get(f"{base}/api/v1/image-sets/", params={"page_size": 20}, timeout=30)
    if kind == "api_search":
        params = {"q": rng.choice(QUERIES), "page_size": 20}
        return session.get(f"{base}/api/v1/search/", params=params, timeout=30)
    if kind == "oai_page":
        params = {"verb": "ListRecords", "metadataPrefix": rng.choice(["oai_dc", "oai_datacite"])}
        return session.get(f"{base}/oai", params=params, timeout=30)
    # An upload: a real FlowCam JPEG, made unique so it is never a duplicate.
    data = rng.choice(targets.jpegs) + uuid.uuid4().bytes
    return session.post(
        f"{base}/api/v1/image-sets/{targets.upload_set}/images/",
        files={"files": (f"load-{uuid.uuid4().hex}.jpg", io.BytesIO(data), "image/jpeg")},
        headers={"Authorization": f"Bearer {targets.token}"},
        timeout=60,
    )


def warm_up(targets: Targets, clients: int) -> None:
    """Untimed: every kind a few times from many connections, so each web process has
    imported its views and opened its connections before the clock starts."""
    rng = random.Random(0)

    def touch(kind: str) -> None:
        with contextlib.suppress(requests.RequestException):
            send(requests.Session(), kind, targets, rng)

    threads = [
        threading.Thread(target=touch, args=(kind,))
        for kind in WEIGHTS
        for _ in range(max(2, clients // 10))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def client(number: int, targets: Targets, until: float, budget, results, lock) -> None:
    rng = random.Random(number)
    kinds = [kind for kind, weight in WEIGHTS.items() for _ in range(weight)]
    session = requests.Session()
    while time.monotonic() < until:
        with lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
        kind = rng.choice(kinds)
        started = time.perf_counter()
        try:
            status = send(session, kind, targets, rng).status_code
        except requests.RequestException as error:
            status = f"{type(error).__name__}"
        elapsed = time.perf_counter() - started
        with lock:
            results[kind].append((elapsed, status))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(results: dict[str, list], seconds: float) -> dict:
    kinds = {}
    for kind, rows in sorted(results.items()):
        times = [elapsed * 1000 for elapsed, _ in rows]
        failed = [status for _, status in rows if not (isinstance(status, int) and status < 400)]
        kinds[kind] = {
            "requests": len(rows),
            "p50_ms": round(percentile(times, 0.50), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "p99_ms": round(percentile(times, 0.99), 1),
            "max_ms": round(max(times), 1),
            "errors": len(failed),
            "error_statuses": sorted({str(s) for s in failed})[:5],
        }
    total = sum(k["requests"] for k in kinds.values())
    server_errors = sum(
        1
        for rows in results.values()
        for _, status in rows
        if not isinstance(status, int) or status >= 500
    )
    median_p95 = statistics.median(k["p95_ms"] for k in kinds.values())
    worst = max(kinds.items(), key=lambda item: item[1]["p95_ms"])
    slowest = max(k["max_ms"] for k in kinds.values())
    return {
        "kinds": kinds,
        "requests": total,
        "seconds": round(seconds, 1),
        "requests_per_s": round(total / seconds, 1),
        "server_errors": server_errors,
        "errors": sum(k["errors"] for k in kinds.values()),
        "median_kind_p95_ms": median_p95,
        "worst_kind": worst[0],
        "worst_kind_p95_over_median": round(worst[1]["p95_ms"] / median_p95, 2),
        "goals": {
            "no_5xx": server_errors == 0,
            "no_request_over_10s": slowest <= SLOW_SECONDS * 1000,
            "no_kind_p95_over_5x_median": worst[1]["p95_ms"] <= 5 * median_p95,
        },
    }


def remove_indexes(env: dict[str, str]) -> None:
    prefix = env["SEARCH_INDEX_PREFIX"]
    with contextlib.suppress(requests.RequestException):
        requests.delete(f"{env['SEARCH_URL']}/{prefix}*", timeout=30)


def remove_files(env: dict[str, str]) -> None:
    bucket = boto3.resource(
        "s3",
        endpoint_url=env.get("S3_ENDPOINT_URL") or None,
        aws_access_key_id=env.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=env.get("S3_SECRET_ACCESS_KEY") or None,
    ).Bucket(env["S3_BUCKET"])
    bucket.objects.filter(Prefix=env["S3_PREFIX"] + "/").delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--web-workers", type=int, default=0, help="default: gunicorn.conf.py")
    args = parser.parse_args()

    env = required_environment()
    logs = ROOT / "artifacts" / "load"
    logs.mkdir(parents=True, exist_ok=True)
    recreate_database(env)
    processes: list[subprocess.Popen] = []
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo")
        manage(env, "search_reconcile")
        secret, upload_set = manage(env, "shell", "-c", SETUP_PROGRAM).split()[-2:]
        port = free_port()
        web_env = {**env, "WEB_BIND": f"127.0.0.1:{port}"}
        if args.web_workers:
            web_env["WEB_WORKERS"] = str(args.web_workers)
        worker = start(
            env,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "aquacat",
                "worker",
                "--concurrency=1",
                "-Q",
                env["CELERY_TASK_DEFAULT_QUEUE"],
                "--loglevel=WARNING",
            ],
            logs / "worker.log",
        )
        web = start(
            web_env,
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
            logs / "gunicorn.log",
        )
        processes += [worker, web]
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/")
        targets = Targets(base, secret, int(upload_set))
        warm_up(targets, args.clients)
        watch = MemoryWatch({"web": web.pid, "worker": worker.pid})
        watch.start()
        results: dict[str, list] = defaultdict(list)
        lock = threading.Lock()
        budget = [args.max_requests]
        started = time.monotonic()
        until = started + args.seconds
        threads = [
            threading.Thread(target=client, args=(n, targets, until, budget, results, lock))
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        watch.stopping.set()
        report = {
            "benchmark": "load",
            "clients": args.clients,
            "server": "gunicorn (gunicorn.conf.py), PostgreSQL, "
            f"{os.environ.get('SEARCH_ENGINE', 'search engine')}, Redis, MinIO",
            **summary(results, elapsed),
            "peak_rss_mb": {role: round(b / 1024**2, 1) for role, b in watch.peak.items()},
            "processes": watch.processes,
        }
        print(json.dumps(report, indent=2))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        remove_indexes(env)
        remove_files(env)
        drop_database()


if __name__ == "__main__":
    main()
