"""Every write of the inference app, one module per job; callers import the
public functions from here.

- registry: models, their cards and versions (and the embedder)
- jobs: start, cancel, retry and close a job
- batches: run one batch (idempotent, redelivery cap, transient errors); imported
  from inference.services.batches by workers only, as it loads torch, which web
  processes never need
- enrichment: results from model outputs, written onto images and sets
  through catalogue.services.enrichment
"""

from inference.services.jobs import (
    JobError,
    cancel_job,
    retry_job,
    start_embedding,
    start_job,
)
from inference.services.registry import register_embedder, register_model_version

__all__ = [
    "JobError",
    "cancel_job",
    "register_embedder",
    "register_model_version",
    "retry_job",
    "start_embedding",
    "start_job",
]
