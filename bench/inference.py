"""Inference throughput: the whole job pipeline against a bare loop, same run.

    .venv/bin/python bench/inference.py [--copies 4] [--batch 32]

Input: the 105 FlowCam demo images, re-encoded --copies times (distinct files),
ingested into a set on SQLite with local file storage in a temporary folder.
The broker is CELERY_BROKER_URL when set (Redis), else the embedded one.

- bare: read each file, decode + pre-process (the runner's `decode`), predict
  in batches of --batch with the same runner, same torch threads; nothing else.
- pipeline: `start_job` -> one task per batch -> a real worker process
  (`--pool=solo`, one process, same threads) -> storage reads -> decode ->
  model -> predictions, enrichment and outbox rows in the database; timed from
  start_job until the job is done, after a warm-up job has loaded the weights.

Also measures the bare loop without channels-last, with no_grad instead of
inference_mode, and with bf16 autocast (with its top-1 agreement with fp32).
Prints one JSON object.
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
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="aquacat-bench-inference-"))
    for variable in ("DATABASE_URL", "S3_BUCKET", "SEARCH_URL"):
        os.environ.pop(variable, None)
    queue = f"bench-inference-{os.getpid()}"
    os.environ.update(
        AQUACAT_VAR_DIR=str(scratch / "var"),
        DJANGO_SETTINGS_MODULE="aquacat.settings",
        LOG_LEVEL="WARNING",
        INFERENCE_QUEUE=queue,
        CELERY_TASK_DEFAULT_QUEUE=queue,
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
    from inference.runners import LinearProbeRunner
    from inference.services import start_job
    from tests.inference.conftest import register_shipped

    call_command("migrate", verbosity=0)
    inputs = scratch / "inputs"
    inputs.mkdir()
    make_inputs(inputs, args.copies)
    warm_set = catalogue_services.create_image_set(title="warm-up", actor=SYSTEM)
    catalogue_services.ingest(warm_set, [sorted(inputs.iterdir())[0]], actor=SYSTEM)
    image_set = catalogue_services.create_image_set(title="bench", actor=SYSTEM)
    catalogue_services.ingest(image_set, [inputs], actor=SYSTEM)
    catalogue_services.publish_image_set(image_set, actor=SYSTEM)
    version = register_shipped()
    keys = list(Image.objects.filter(image_set=image_set).values_list("storage_key", flat=True))
    media = Path(os.environ["AQUACAT_VAR_DIR"]) / "media"
    files = [(media / key).read_bytes() for key in keys]
    threads = torch.get_num_threads()

    runner = LinearProbeRunner(version)
    bare_loop(runner, files[: args.batch], args.batch)  # warm-up
    bare = max(bare_loop(runner, files, args.batch) for _ in range(2))

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "aquacat", "worker", "--pool=solo",
         "-Q", queue, "-n", f"{queue}@bench", "--without-mingle", "--without-gossip",
         "--loglevel=WARNING"],
        cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": str(threads)},
    )  # fmt: skip
    try:

        def run_job(selection) -> float:
            start = time.perf_counter()
            job = start_job(version, selection, None, batch_size=args.batch)
            while InferenceJob.objects.get(pk=job.pk).state not in ("done", "failed"):
                time.sleep(0.02)
            return time.perf_counter() - start

        run_job({"image_set": warm_set.pk})
        seconds = run_job({"image_set": image_set.pk})
        pipeline = len(files) / seconds
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    variants = {}
    plain = LinearProbeRunner(version)
    plain.module = plain.module.to(memory_format=torch.contiguous_format)
    plain.tensor = lambda images, r=plain: (
        torch.stack([i.pixels for i in images]).float().mul_(r.scale).add_(r.shift)
    )
    variants["no_channels_last"] = bare_loop(plain, files, args.batch)

    class NoGrad(LinearProbeRunner):
        def forward(self, images):
            with torch.no_grad():
                return self.module(self.tensor(images))

    variants["no_grad_instead_of_inference_mode"] = bare_loop(NoGrad(version), files, args.batch)
    bf16 = LinearProbeRunner(version, precision="bf16")
    variants["bf16_autocast"] = bare_loop(bf16, files, args.batch)
    sample = [runner.decode(data) for data in files[:105]]
    a = [r[0]["label"] for r in runner.predict(sample)]
    b = [r[0]["label"] for r in bf16.predict(sample)]
    agreement = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)

    print(
        json.dumps(
            {
                "images": len(files),
                "batch_size": args.batch,
                "torch_threads": threads,
                "device": str(runner.device),
                "broker": os.environ.get("CELERY_BROKER_URL", "embedded sqlite").split(":")[0],
                "bare_images_per_s": round(bare, 2),
                "pipeline_images_per_s": round(pipeline, 2),
                "ratio": round(pipeline / bare, 3),
                "goal_ratio": 0.85,
                "bare_variants_images_per_s": {k: round(v, 2) for k, v in variants.items()},
                "bf16_top1_agreement_with_fp32": round(agreement, 4),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
