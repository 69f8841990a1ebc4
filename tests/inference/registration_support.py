"""Model cards and weights files for the registration, ONNX and segmentation tests:
real TorchScript and ONNX files written by torch from small modules."""

from __future__ import annotations

import copy
import hashlib
import io
import warnings

import torch

from curation.models import Label, LabelSet


class Brightness(torch.nn.Module):
    """A classifier: "dark" or "light" by the image's mean (normalised) value; the
    gain makes files of different bytes (the store keeps files by sha256 across tests)."""

    def __init__(self, gain: float = 20.0):
        super().__init__()
        self.gain = gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(1, 2, 3)) - 0.5
        return torch.stack([-mean, mean], dim=1) * self.gain


def torchscript(module: torch.nn.Module) -> bytes:
    out = io.BytesIO()
    torch.jit.save(torch.jit.script(module.eval()), out)
    return out.getvalue()


def onnx(module: torch.nn.Module, size: tuple[int, int]) -> bytes:
    """The module exported by torch's TorchScript-based ONNX exporter, batch dynamic."""
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation notice
        torch.onnx.export(
            module.eval(),
            (torch.zeros(1, 3, *size),),
            out,
            dynamo=False,
            input_names=["images"],
            output_names=["logits"],
            dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
        )
    return out.getvalue()


def checkpoint(module: torch.nn.Module) -> bytes:
    """What torch.save writes: a zip of tensors, not a runnable model."""
    out = io.BytesIO()
    torch.save(module.state_dict(), out)
    return out.getvalue()


BASE_CARD = {
    "metadata_version": "2.0.0",
    "title": "Light or dark",
    "summary": "Says whether a crop is light or dark.",
    "description": "A test classifier on the mean pixel value.",
    "links": {"source_code": "https://example.org/brightness"},
    "libraries": ["PyTorch"],
    "tasks": ["Classification"],
    "categories": ["AI4 inference"],
    "tags": ["test"],
    "license": "Apache-2.0",
    "aquacat": {
        "name": "brightness",
        "version": "1.0.0",
        "task": "classification",
        "framework": "torchscript",
        "labels": ["dark", "light"],
        "input_spec": {"size": [32, 32], "mean": [0, 0, 0], "std": [1, 1, 1]},
        "metrics": {"accuracy": 1.0},
    },
}


def card_for(weights: bytes, **section) -> dict:
    """A valid card for these weights; `section` replaces keys of `aquacat`."""
    card = copy.deepcopy(BASE_CARD)
    card["aquacat"].update(section)
    card["aquacat"]["weights"] = {"sha256": hashlib.sha256(weights).hexdigest()}
    return card


def label_set(names: list[str], *, retired: tuple[str, ...] = (), **fields) -> LabelSet:
    fields.setdefault("name", "Particles")
    fields.setdefault("state", LabelSet.State.PUBLISHED)
    made = LabelSet.objects.create(**fields)
    Label.objects.bulk_create(
        [Label(label_set=made, name=name, retired=name in retired) for name in names]
    )
    return made
