"""The shipped TorchScript particle detector (inference/detection_training.py)
exported to ONNX in the layout the ONNX runner reads: the same heads and decoding,
with the greedy suppression unrolled over the K peaks, so each image answers in K
slots (an empty one labelled -1) instead of a list of its own length."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from inference import detection_training
from inference.training import WEIGHTS_DIR

SHIPPED = WEIGHTS_DIR / f"{detection_training.MODEL_NAME}-1.0.0.pt"
OUTPUTS = ["boxes", "scores", "labels"]


class SlottedCenterNet(nn.Module):
    def __init__(self, net: detection_training.CenterNet, overlap: float = 0.4):
        super().__init__()
        self.net = net
        self.overlap = overlap

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        heat, size, offset = self.net.heads(x)
        heat = torch.sigmoid(heat)
        peaks = heat * (F.max_pool2d(heat, 3, 1, 1) == heat).float()
        cols, stride = heat.shape[3], self.net.stride
        scores, index = peaks.flatten(1).topk(self.net.top_k, dim=1)  # best first
        ys = torch.div(index, cols, rounding_mode="floor").float()
        xs = (index % cols).float()
        offset, size = offset.flatten(2), size.flatten(2)
        dx, dy = offset[:, 0].gather(1, index), offset[:, 1].gather(1, index)
        w = size[:, 0].gather(1, index).clamp(min=0.0) * stride
        h = size[:, 1].gather(1, index).clamp(min=0.0) * stride
        cx, cy = (xs + dx) * stride, (ys + dy) * stride
        boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=2)
        keep = self.suppress(boxes)
        empty = torch.full_like(index, -1)
        labels = torch.where(keep, torch.zeros_like(index), empty)
        return boxes.clamp(0.0, float(cols * stride)), torch.where(keep, scores, 0.0), labels

    def suppress(self, boxes: torch.Tensor) -> torch.Tensor:
        """Greedy suppression as CenterNet.suppress does it (peaks come best first):
        a box goes when it overlaps a better box that was kept."""
        x0, y0, x1, y1 = boxes.unbind(2)
        ix = torch.minimum(x1[:, :, None], x1[:, None]) - torch.maximum(x0[:, :, None], x0[:, None])
        iy = torch.minimum(y1[:, :, None], y1[:, None]) - torch.maximum(y0[:, :, None], y0[:, None])
        inter = ix.clamp(min=0) * iy.clamp(min=0)
        area = (x1 - x0) * (y1 - y0)
        union = area[:, :, None] + area[:, None] - inter
        over = inter / union.clamp(min=1e-6) > self.overlap
        kept = [torch.ones_like(over[:, 0, 0])]
        for i in range(1, boxes.shape[1]):
            earlier = torch.stack(kept, dim=1)
            kept.append(~(over[:, :i, i] & earlier).any(dim=1))
        return torch.stack(kept, dim=1)


def shipped_net(path: Path = SHIPPED) -> detection_training.CenterNet:
    net = detection_training.CenterNet()
    net.load_state_dict(torch.jit.load(str(path)).state_dict())
    return net.eval()


def export(module: nn.Module, size: int = detection_training.SCENE, names=OUTPUTS) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracing notices
        torch.onnx.export(
            module.eval(),
            (torch.zeros(1, 3, size, size),),
            out,
            dynamo=False,
            input_names=["images"],
            output_names=list(names),
            dynamic_axes={"images": {0: "batch"}, **{name: {0: "batch"} for name in names}},
        )
    return out.getvalue()
