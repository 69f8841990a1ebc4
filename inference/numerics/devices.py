"""Which device a runner uses and what it can do. Called in the process that runs
the model (a worker's child, or a `--pool=solo` worker), never in a parent that
forks afterwards: asking CUDA anything before a fork breaks the children's CUDA."""

from __future__ import annotations

import platform

import torch
from billiard.process import current_process
from django.conf import settings


def choose_device() -> torch.device:
    """INFERENCE_DEVICE when set; else a GPU when there is one: a prefork worker
    with one child per GPU (`--concurrency` = GPUs) gives child i GPU i (billiard
    numbers its children and a replacement takes the number of the one it
    replaces); a `--pool=solo` worker takes the first it sees (pick it with
    CUDA_VISIBLE_DEVICES)."""
    wanted = getattr(settings, "INFERENCE_DEVICE", "")
    if wanted:
        return torch.device(wanted)
    if not torch.cuda.is_available():
        return torch.device("cpu")
    index = getattr(current_process(), "index", None)
    return torch.device("cuda", index % torch.cuda.device_count() if isinstance(index, int) else 0)


def bf16_supported(device: torch.device) -> bool:
    """Native bf16: CUDA devices that have it (Ampere and later), CPUs with
    AVX512-BF16 or AMX (oneDNN's check); elsewhere autocast would only emulate it."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(
            torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
        )
    return False


def device_key(device: torch.device) -> str:
    """The record's key: numerics verified on one GPU model hold for the same model."""
    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    return device.type


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
