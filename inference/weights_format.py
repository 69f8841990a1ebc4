"""What an uploaded weights file is, read from its content (never its name), and
whether it fits the card: TorchScript (the zip `torch.jit.save` writes) or ONNX
(opened by ONNX Runtime, which also gives its input and output shapes).

Free of torch, so a web process refuses a bad file before any worker sees it. Web
processes do not load ONNX Runtime when they start (tests/test_web_imports.py):
it is loaded here on the first upload that may be ONNX.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from inference.models import ModelVersion, Task

TORCHSCRIPT = ModelVersion.Framework.TORCHSCRIPT.value
ONNX = ModelVersion.Framework.ONNX.value


@dataclass
class Sniffed:
    """The file's format (None when neither), why not, and an ONNX model's shapes."""

    framework: str | None
    reason: str = ""
    input_shape: list | None = None  # dimensions: ints, or names/None where dynamic
    output_shapes: list[list] | None = None
    output_names: list[str] | None = None
    output_types: list[str] | None = None  # ONNX Runtime's names: "tensor(float)", ...


def sniff(data: bytes) -> Sniffed:
    if zipfile.is_zipfile(io.BytesIO(data)):
        return sniff_zip(data)
    return sniff_onnx(data)


def sniff_zip(data: bytes) -> Sniffed:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile as error:
        return Sniffed(None, f"a damaged zip: {error}")
    # torch.jit.save writes the module's code next to its tensors; torch.save does not.
    if any("/code/" in name for name in names) and any(
        name.endswith("/constants.pkl") for name in names
    ):
        return Sniffed(TORCHSCRIPT)
    if any(name.endswith("/data.pkl") for name in names):
        return Sniffed(None, "a PyTorch checkpoint (torch.save), not TorchScript (torch.jit.save)")
    return Sniffed(None, "a zip that is not a TorchScript archive")


@cache
def onnx_runtime() -> ModuleType:
    import onnxruntime  # noqa: PLC0415 - on first use: see the module's doc

    return onnxruntime


def sniff_onnx(data: bytes) -> Sniffed:
    try:
        session = onnx_runtime().InferenceSession(data, providers=["CPUExecutionProvider"])
    except Exception as error:  # ONNX Runtime raises its own types for every bad file
        first_line = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
        return Sniffed(
            None,
            "not a TorchScript archive (the zip torch.jit.save writes) nor an ONNX model "
            "ONNX Runtime can load" + (f" ({first_line})" if first_line else ""),
        )
    inputs = session.get_inputs()
    if len(inputs) != 1:
        return Sniffed(None, f"an ONNX model with {len(inputs)} inputs; one image batch is taken")
    return Sniffed(
        ONNX,
        input_shape=list(inputs[0].shape),
        output_shapes=[list(output.shape) for output in session.get_outputs()],
        output_names=[output.name for output in session.get_outputs()],
        output_types=[output.type for output in session.get_outputs()],
    )


def fit_problems(sniffed: Sniffed, section: dict) -> dict[str, str]:
    """How the file disagrees with the card's `aquacat` section (field -> reason)."""
    if sniffed.framework is None:
        return {"weights": sniffed.reason}
    problems: dict[str, str] = {}
    if section.get("framework") != sniffed.framework:
        problems["aquacat.framework"] = (
            f"the weights are {sniffed.framework}, the card says {section.get('framework')!r}"
        )
    if sniffed.framework == ONNX:
        problems.update(onnx_fit_problems(sniffed, section))
    return problems


def onnx_fit_problems(sniffed: Sniffed, section: dict) -> dict[str, str]:
    problems: dict[str, str] = {}
    shape = sniffed.input_shape or []
    if len(shape) != 4 or (isinstance(shape[1], int) and shape[1] not in (1, 3)):
        problems["weights"] = f"the ONNX input is {shape}; a batch (N, C, H, W) is required"
        return problems
    given = section.get("input_spec")
    spec: dict = given if isinstance(given, dict) else {}
    size = spec.get("size")
    channels = 1 if spec.get("channels") == "L" else 3
    if isinstance(shape[1], int) and shape[1] != channels:
        problems["aquacat.input_spec.channels"] = (
            f"{spec.get('channels', 'RGB')!r} but the ONNX input has {shape[1]} channel(s)"
        )
    fixed = [dim for dim in shape[2:] if isinstance(dim, int)]
    if isinstance(size, list) and len(fixed) == 2 and fixed != size:
        problems["aquacat.input_spec.size"] = (
            f"{size} but the ONNX input is {fixed[0]} x {fixed[1]}"
        )
    labels = section.get("labels")
    outputs = sniffed.output_shapes or []
    if section.get("task") == Task.CLASSIFICATION and isinstance(labels, list) and labels:
        classes = outputs[0][-1] if outputs and outputs[0] else None
        if len(outputs) != 1 or len(outputs[0]) != 2:
            problems["weights"] = f"a classifier gives one (N, classes) output, not {outputs}"
        elif isinstance(classes, int) and classes != len(labels):
            problems["aquacat.labels"] = (
                f"{len(labels)} labels but the ONNX model gives {classes} classes"
            )
    elif section.get("task") == Task.SEGMENTATION and isinstance(labels, list) and labels:
        maps = outputs[0][1] if outputs and len(outputs[0]) == 4 else None
        if len(outputs) != 1 or len(outputs[0]) != 4:
            problems["weights"] = f"a segmenter gives one (N, labels, H, W) output, not {outputs}"
        elif isinstance(maps, int) and maps != len(labels):
            problems["aquacat.labels"] = (
                f"{len(labels)} labels but the ONNX model gives {maps} maps"
            )
    elif section.get("task") == Task.DETECTION:
        problems.update(detector_problems(sniffed))
    elif section.get("task") not in (Task.CLASSIFICATION, Task.SEGMENTATION):
        problems["aquacat.task"] = "ONNX models run as classifiers, detectors and segmenters"
    return problems


# An ONNX detector's outputs, by name (inference/onnx_runner.py): per image a fixed
# number K of slots, (N, K, 4) boxes, (N, K) scores and (N, K) integer labels.
DETECTOR_OUTPUTS = {"boxes": 3, "scores": 2, "labels": 2}


def detector_problems(sniffed: Sniffed) -> dict[str, str]:
    """The outputs a detector must give, each problem named at once."""
    found = dict(
        zip(
            sniffed.output_names or [],
            zip(sniffed.output_shapes or [], sniffed.output_types or [], strict=True),
            strict=True,
        )
    )
    reasons = []
    missing = [name for name in DETECTOR_OUTPUTS if name not in found]
    if missing:
        reasons.append(
            f"no output named {', '.join(missing)} (outputs: {', '.join(found) or 'none'})"
        )
    slots = set()
    for name, rank in DETECTOR_OUTPUTS.items():
        if name not in found:
            continue
        shape, kind = found[name]
        corners = shape[-1] if shape else None
        if len(shape) != rank or (name == "boxes" and isinstance(corners, int) and corners != 4):
            wanted = "(N, K, 4)" if name == "boxes" else "(N, K)"
            reasons.append(f"{name} is {shape}, not {wanted}")
        elif isinstance(shape[1], int):
            slots.add(shape[1])
        if name == "labels" and "int" not in kind:
            reasons.append(f"labels are {kind}, not integer indices into the card's labels")
        if name in ("boxes", "scores") and "float" not in kind:
            reasons.append(f"{name} are {kind}, not floats")
    if len(slots) > 1:
        reasons.append(f"boxes, scores and labels disagree on K: {sorted(slots)}")
    return {"weights": "a detector: " + "; ".join(reasons)} if reasons else {}
