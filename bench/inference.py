"""Inference throughput: the whole job pipeline against a bare loop, same run.

    .venv/bin/python bench/inference.py [--copies 4] [--batch 32]

Input: the 105 FlowCam demo images, re-encoded --copies times (distinct files),
ingested into a set on SQLite with local file storage in a temporary folder.
The broker is CELERY_BROKER_URL when set (Redis), else the embedded one.

- bare: read each file, decode + pre-process (the runner's `decode`), predict
  in batches of --batch with the same runner, same torch threads; nothing else.
- verification: what registration queues for a worker (inference/numerics/):
  the fastest numerics whose outputs match fp32's on 64 held-out images,
  recorded on the card; run here, in this process, before the pipeline.
- pipeline: `start_job` -> one task per batch of the product's size (from the
  verified speed: inference.services.jobs.task_size) -> a real worker process
  (`--pool=solo`, one process, same threads) -> storage reads and decodes in a
  thread pool ahead of the model -> model in the verified numerics ->
  predictions, enrichment and outbox rows in the database; timed from
  start_job until the job is done, after a warm-up job has loaded the weights.
  The worker serves the inference queue only, as the README's deployment has it;
  indexing tasks go to the default queue, which no worker serves here.
  `--task-size` sets the images per task instead (the old behaviour: --batch).

Bare variants: fp32 (channels-last, as before verification), fp32 without
channels-last, no_grad instead of inference_mode, bf16 autocast (with its top-1
agreement with fp32) and the verified numerics. `ratio` is the pipeline against
the fastest bare variant. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "catalogue" / "demo" / "phytoplankton-flowcam" / "images"


def make_inputs(folder: Path, copies: int) -> None:
    from PIL import Image

    for copy in range(copies):
        for path in sorted(DEMO.glob("*/*.jpg")):
            with Image.open(path) as image:
                buffer = io.BytesIO()
                image.convert("RGB").save(buffer, "JPEG", quality=95 - copy)
            (folder / f"{copy}-{path.name}").write_bytes(buffer.getvalue())


def bare_loop(runner, files: list[bytes], batch: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(files), batch):
        runner.predict([runner.decode(data) for data in files[i : i + batch]])
    return len(files) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--task-size", type=int, default=None, help="default: the product's")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="aquacat-bench-inference-"))
    for variable in ("DATABASE_URL", "S3_BUCKET", "SEARCH_URL"):
        os.environ.pop(variable, None)
    queue = f"bench-inference-{os.getpid()}"
    os.environ.update(
        AQUACAT_VAR_DIR=str(scratch / "var"),
        DJANGO_SETTINGS_MODULE="aquacat.settings",
        LOG_LEVEL="WARNING",
        # The deployment README describes: the inference worker serves only the
        # inference queue; indexing and other tasks go to the default queue, which
        # other workers serve (none here: the ingests' and predictions' indexing
        # tasks wait there and never take the measured worker's time).
        INFERENCE_QUEUE=queue,
        CELERY_TASK_DEFAULT_QUEUE=f"{queue}-other",
        # Only the classifier's job is measured: no embedding job after the ingest.
        INFERENCE_EMBED_NEW_IMAGES="false",
    )
    import django

    django.setup()
    import torch
    from django.core.management import call_command

    from catalogue import services as catalogue_services
    from catalogue.access import SYSTEM
    from catalogue.models import Image
    from inference.models import InferenceJob
    from inference.numerics.policy import Numerics
    from inference.numerics.verify import verify_version
    from inference.runners import LinearProbeRunner
    from inference.services import start_job
    from inference.services.jobs import task_size
    from tests.inference.conftest import register_shipped

    call_command("migrate", verbosity=0)
    inputs = scratch / "inputs"
    inputs.mkdir()
    make_inputs(inputs, args.copies)
    warm_set = catalogue_services.create_image_set(title="warm-up", actor=SYSTEM)
    catalogue_services.ingest(warm_set, [sorted(inputs.iterdir())[0]], actor=SYSTEM)
    catalogue_services.publish_image_set(warm_set, actor=SYSTEM)  # a draft selects nothing
    sets = []
    for number in range(args.rounds):  # a set per round: a job skips images already done
        image_set = catalogue_services.create_image_set(title=f"bench {number}", actor=SYSTEM)
        catalogue_services.ingest(image_set, [inputs], actor=SYSTEM)
        catalogue_services.publish_image_set(image_set, actor=SYSTEM)
        sets.append(image_set)
    version = register_shipped()
    keys = list(Image.objects.filter(image_set=sets[0]).values_list("storage_key", flat=True))
    media = Path(os.environ["AQUACAT_VAR_DIR"]) / "media"
    files = [(media / key).read_bytes() for key in keys]
    threads = torch.get_num_threads()

    verified = verify_version(version)  # what registration queues for a worker
    version.refresh_from_db()

    class NoGrad(LinearProbeRunner):
        def forward(self, images):
            with torch.no_grad():
                return self.module(self.tensor(images))

    fp32 = Numerics(batch_size=args.batch)
    contiguous = Numerics("fp32", False, args.batch)
    runner = LinearProbeRunner(version, numerics=fp32)
    bf16 = LinearProbeRunner(version, numerics=Numerics("bf16", True, args.batch))
    bare_runners = {
        "fp32_channels_last": runner,
        "no_channels_last": LinearProbeRunner(version, numerics=contiguous),
        "no_grad_instead_of_inference_mode": NoGrad(version, numerics=fp32),
        "bf16_autocast": bf16,
        "verified": LinearProbeRunner(version),  # the verified numerics, as the worker runs them
    }
    for bare_runner in bare_runners.values():
        bare_loop(bare_runner, files[: args.batch], bare_runner.batch_size)  # warm-up

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "aquacat", "worker", "--pool=solo",
         "-Q", queue, "-n", f"{queue}@bench", "--without-mingle", "--without-gossip",
         "--loglevel=WARNING"],
        cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": str(threads)},
    )  # fmt: skip
    variants = dict.fromkeys(bare_runners, 0.0)
    pipeline = 0.0
    best_round: dict = {}
    try:

        def run_job(selection) -> tuple[float, dict]:
            start = time.perf_counter()
            job = start_job(version, selection, None, batch_size=args.task_size)
            while (job := InferenceJob.objects.get(pk=job.pk)).state not in ("done", "failed"):
                if time.perf_counter() - start > 1800 or worker.poll() is not None:
                    raise SystemExit("the pipeline's job did not finish (see the worker's log)")
                time.sleep(0.02)
            seconds = time.perf_counter() - start
            # Where the time went: before the worker took the first task (the job's
            # creation, the broker), the worker's run, and after it (noticing "done").
            waiting = (job.started - job.created).total_seconds()
            working = (job.finished - job.started).total_seconds()
            breakdown = {
                "seconds": round(seconds, 3),
                "until_worker_started": round(waiting, 3),
                "worker_running": round(working, 3),
                "after_worker_finished": round(seconds - waiting - working, 3),
            }
            return seconds, breakdown

        run_job({"image_set": warm_set.pk})
        # Rounds alternate the bare variants and the pipeline, each keeping its best
        # round, so that load from elsewhere weighs on both alike.
        for image_set in sets:
            for name, bare_runner in bare_runners.items():
                speed = bare_loop(bare_runner, files, bare_runner.batch_size)
                variants[name] = max(variants[name], speed)
            seconds, breakdown = run_job({"image_set": image_set.pk})
            if len(files) / seconds > pipeline:
                pipeline, best_round = len(files) / seconds, breakdown
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    bare = variants["fp32_channels_last"]
    fastest = max(variants, key=variants.__getitem__)
    sample = [runner.decode(data) for data in files[:105]]
    a = [r[0]["label"] for r in runner.predict(sample)]
    b = [r[0]["label"] for r in bf16.predict(sample)]
    agreement = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)

    print(
        json.dumps(
            {
                "images": len(files),
                "rounds": args.rounds,
                "batch_size": args.batch,
                "task_size": args.task_size or task_size(version),
                "torch_threads": threads,
                "device": str(runner.device),
                "broker": os.environ.get("CELERY_BROKER_URL", "embedded sqlite").split(":")[0],
                "verified_numerics": verified["chosen"],
                "verification": {
                    key: verified.get(key) for key in ("sample", "speedup_over_fp32", "fallback")
                },
                "bare_fp32_images_per_s": round(bare, 2),
                "pipeline_images_per_s": round(pipeline, 2),
                "fastest_bare_variant": fastest,
                "ratio": round(pipeline / variants[fastest], 3),
                "ratio_to_bare_fp32": round(pipeline / bare, 3),
                "pipeline_best_round": best_round,
                "goal_ratio": 0.85,
                "bare_variants_images_per_s": {k: round(v, 2) for k, v in variants.items()},
                "bf16_top1_agreement_with_fp32": round(agreement, 4),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
