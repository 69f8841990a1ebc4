"""A small real detector: plankton particles found in FlowCam-like scenes.

Scenes of 256 x 256 are composed from the demo's real FlowCam crops (Apache-2.0,
catalogue/demo/phytoplankton-flowcam): each crop's particle is cut out by its
difference from the crop's own border (the particle is darker than the flow cell's
background), pasted at a random scale and place on a background of the crop's
grey with camera noise, and its tight box is known. Training scenes use the
authors' train and validation crops; the held-out scenes only their test crops,
so the card's average precision is measured on organisms the model never saw.

The network is a CenterNet of four convolution blocks (stride 8): a heat map of
particle centres, and each centre's size and sub-cell offset. Its `forward` decodes
boxes itself (3 x 3 peak picking, top 20), so the TorchScript file answers as
torchvision's detectors do and TorchScriptDetectionRunner runs it unchanged.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from django.conf import settings
from PIL import Image, ImageFilter
from torch import nn

from inference import training

MODEL_NAME = "flowcam-particle-detector"
LABELS = ["plankton"]
SCENE = 256
STRIDE = 8
TOP_K = 20
SEED = 20251205
SCORE_THRESHOLD = 0.4
INPUT_SPEC = {
    "size": [SCENE, SCENE],
    "mean": [0.5, 0.5, 0.5],
    "std": [0.25, 0.25, 0.25],
    "channels": "RGB",
    "resize": "pad",
    "score_threshold": SCORE_THRESHOLD,
}


@dataclass
class Particle:
    pixels: Image.Image  # RGBA: the particle, transparent around it
    grey: int  # the crop's background


def cut_out(path: Path) -> Particle:
    """The particle of a crop: pixels darker than the crop's border by a margin,
    the mask closed and softened so the paste has no hard rectangle."""
    crop = Image.open(path).convert("L")
    width, height = crop.size
    edges = [(x, 0) for x in range(width)] + [(x, height - 1) for x in range(width)]
    edges += [(0, y) for y in range(height)] + [(width - 1, y) for y in range(height)]
    border = sorted(int(crop.getpixel(xy) or 0) for xy in edges)  # type: ignore[arg-type]
    grey = border[len(border) // 2]
    mask = crop.point(lambda v: 255 if v < grey - 12 else 0)
    mask = mask.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(1))
    particle = crop.convert("RGBA")
    particle.putalpha(mask)
    return Particle(particle, grey)


def compose(particles: list[Particle], rng: random.Random) -> tuple[Image.Image, list[list[float]]]:
    """One scene and the tight boxes of what was pasted into it (no two overlapping)."""
    grey = rng.choice(particles).grey
    scene = Image.effect_noise((SCENE, SCENE), 6).point(lambda v: v - 128 + grey).convert("RGB")
    boxes: list[list[float]] = []
    for _ in range(rng.randint(1, 4)):
        particle = rng.choice(particles)
        longest = max(particle.pixels.size)
        scale = min(rng.uniform(0.6, 1.3), SCENE * 0.5 / longest)  # large crops shrink
        size = (
            max(8, int(particle.pixels.width * scale)),
            max(8, int(particle.pixels.height * scale)),
        )
        pixels = particle.pixels.resize(size, Image.Resampling.BILINEAR)
        if rng.random() < 0.5:
            pixels = pixels.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        tight = pixels.getchannel("A").point(lambda v: 255 if v > 128 else 0).getbbox()
        if tight is None:
            continue
        for _try in range(20):
            x = rng.randint(0, SCENE - size[0])
            y = rng.randint(0, SCENE - size[1])
            box = [x + tight[0], y + tight[1], x + tight[2], y + tight[3]]
            if all(iou(box, other) == 0 for other in boxes):
                scene.paste(pixels.convert("RGB"), (x, y), pixels.getchannel("A"))
                boxes.append([float(v) for v in box])
                break
    return scene, boxes


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def particles_of(splits: tuple[str, ...]) -> list[Particle]:
    return [cut_out(path) for name in splits for path in training.read_split(name).paths]


class CenterNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int, stride: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()
            )

        self.body = nn.Sequential(
            block(3, 16, 2), block(16, 32, 2), block(32, 48, 2), block(48, 64, 1), block(64, 64, 1)
        )
        # Attributes, not globals: TorchScript keeps them in the saved module.
        self.top_k = TOP_K
        self.stride = STRIDE
        self.heat = nn.Conv2d(64, 1, 1)
        self.size = nn.Conv2d(64, 2, 1)
        self.offset = nn.Conv2d(64, 2, 1)
        assert self.heat.bias is not None
        nn.init.constant_(self.heat.bias, -2.19)  # a centre is rare: start near 0.1

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        features = self.body(x)
        return self.heat(features), self.size(features), self.offset(features)

    def forward(self, x: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        heat, size, offset = self.heads(x)
        heat = torch.sigmoid(heat)
        peaks = heat * (F.max_pool2d(heat, 3, 1, 1) == heat).float()
        batch, cols = heat.shape[0], heat.shape[3]
        out: list[dict[str, torch.Tensor]] = []
        for i in range(batch):
            scores, index = peaks[i].flatten().topk(self.top_k)
            ys = torch.div(index, cols, rounding_mode="floor").float()
            xs = (index % cols).float()
            dx = offset[i, 0].flatten()[index]
            dy = offset[i, 1].flatten()[index]
            w = size[i, 0].flatten()[index].clamp(min=0.0) * self.stride
            h = size[i, 1].flatten()[index].clamp(min=0.0) * self.stride
            cx, cy = (xs + dx) * self.stride, (ys + dy) * self.stride
            boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=1)
            keep = suppress(boxes, scores)
            out.append(
                {
                    "boxes": boxes[keep].clamp(0.0, float(cols * self.stride)),
                    "scores": scores[keep],
                    "labels": torch.zeros_like(index[keep]),
                }
            )
        return out


def suppress(boxes: torch.Tensor, scores: torch.Tensor, overlap: float = 0.4) -> torch.Tensor:
    """Greedy non-maximum suppression over the few peaks (an elongated particle can
    light two cells): the indices kept, best first."""
    order = scores.argsort(descending=True)
    kept: list[int] = []
    for position in range(order.shape[0]):
        i = int(order[position])
        box = boxes[i]
        clear = True
        for j in kept:
            other = boxes[j]
            ix = (torch.minimum(box[2], other[2]) - torch.maximum(box[0], other[0])).clamp(min=0)
            iy = (torch.minimum(box[3], other[3]) - torch.maximum(box[1], other[1])).clamp(min=0)
            inter = ix * iy
            union = (box[2] - box[0]) * (box[3] - box[1])
            union = union + (other[2] - other[0]) * (other[3] - other[1]) - inter
            if float(inter / union.clamp(min=1e-6)) > overlap:
                clear = False
                break
        if clear:
            kept.append(i)
    return torch.tensor(kept, dtype=torch.long)


def targets_for(boxes: list[list[float]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """CenterNet targets: a Gaussian per centre, and size/offset at the centre cell."""
    cells = SCENE // STRIDE
    heat = torch.zeros(1, cells, cells)
    regression = torch.zeros(4, cells, cells)  # w, h, dx, dy (grid units)
    mask = torch.zeros(cells, cells)
    ys, xs = torch.meshgrid(torch.arange(cells), torch.arange(cells), indexing="ij")
    for x0, y0, x1, y1 in boxes:
        cx, cy = (x0 + x1) / 2 / STRIDE, (y0 + y1) / 2 / STRIDE
        w, h = (x1 - x0) / STRIDE, (y1 - y0) / STRIDE
        sigma = max(0.5, min(w, h) / 6)
        col, row = min(cells - 1, int(cx)), min(cells - 1, int(cy))
        gaussian = torch.exp(-((xs - col) ** 2 + (ys - row) ** 2) / (2 * sigma**2))
        heat[0] = torch.maximum(heat[0], gaussian)
        regression[:, row, col] = torch.tensor([w, h, cx - col, cy - row])
        mask[row, col] = 1.0
    return heat, regression, mask


def to_tensor(scene: Image.Image) -> torch.Tensor:
    pixels = torch.frombuffer(bytearray(scene.tobytes()), dtype=torch.uint8)
    x = pixels.view(SCENE, SCENE, 3).permute(2, 0, 1).float() / 255.0
    return (x - 0.5) / 0.25


def focal_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss."""
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    positive = target.eq(1).float()
    negative = 1 - positive
    pos = -torch.log(p) * (1 - p) ** 2 * positive
    neg = -torch.log(1 - p) * p**2 * (1 - target) ** 4 * negative
    return (pos.sum() + neg.sum()) / positive.sum().clamp(min=1)


def batch_of(particles, rng, size: int):
    scenes, heats, regressions, masks = [], [], [], []
    for _ in range(size):
        scene, boxes = compose(particles, rng)
        heat, regression, mask = targets_for(boxes)
        scenes.append(to_tensor(scene))
        heats.append(heat)
        regressions.append(regression)
        masks.append(mask)
    return torch.stack(scenes), torch.stack(heats), torch.stack(regressions), torch.stack(masks)


def fit(steps: int, batch: int = 16) -> CenterNet:
    training.make_deterministic(SEED)
    rng = random.Random(SEED)  # noqa: S311 - reproducible scenes, not secrets
    particles = particles_of(("train", "val"))
    model = CenterNet()
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=4e-3, total_steps=steps)
    model.train()
    for _ in range(steps):
        x, heat, regression, mask = batch_of(particles, rng, batch)
        logits, size, offset = model.heads(x)
        cells = mask.unsqueeze(1)
        l1 = (torch.cat([size, offset], 1) - regression).abs() * cells
        loss = focal_loss(logits, heat) + 0.1 * l1[:, :2].sum() / cells.sum().clamp(min=1)
        loss = loss + l1[:, 2:].sum() / cells.sum().clamp(min=1)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
    return model.eval()


def held_out_scenes(count: int = 120) -> list[tuple[Image.Image, list[list[float]]]]:
    """Scenes of the test split's crops only (seeded: the same scenes every time)."""
    rng = random.Random(SEED + 1)  # noqa: S311 - reproducible scenes, not secrets
    particles = particles_of(("test",))
    return [compose(particles, rng) for _ in range(count)]


def average_precision(found: list[list[tuple[float, list[float]]]], truth, at: float = 0.5):
    """VOC all-point average precision at IoU `at`, and recall, over scenes."""
    ranked = sorted(
        ((score, scene, box) for scene, boxes in enumerate(found) for score, box in boxes),
        key=lambda item: -item[0],
    )
    total = sum(len(boxes) for boxes in truth)
    taken = [[False] * len(boxes) for boxes in truth]
    hits, precisions, recalls = 0, [], []
    for rank, (_score, scene, box) in enumerate(ranked, start=1):
        best, best_iou = -1, at
        for index, other in enumerate(truth[scene]):
            overlap = iou(box, other)
            if overlap >= best_iou and not taken[scene][index]:
                best, best_iou = index, overlap
        if best >= 0:
            taken[scene][best] = True
            hits += 1
        precisions.append(hits / rank)
        recalls.append(hits / total)
    ap, previous = 0.0, 0.0
    for index, recall in enumerate(recalls):
        ap += (recall - previous) * max(precisions[index:])
        previous = recall
    return round(ap, 4), round(hits / total if total else 0.0, 4)


def evaluate(model: nn.Module, scenes, threshold: float) -> dict:
    with torch.inference_mode():
        outputs = model(torch.stack([to_tensor(scene) for scene, _ in scenes]))
    found = [
        [
            (score, box)
            for box, score in zip(o["boxes"].tolist(), o["scores"].tolist(), strict=True)
            if score >= 0.05
        ]
        for o in outputs
    ]
    confident = [[(s, b) for s, b in f if s >= threshold] for f in found]
    truth = [boxes for _, boxes in scenes]
    ap, recall = average_precision(found, truth)
    _, recall_at_threshold = average_precision(confident, truth)
    kept = sum(len(f) for f in confident)
    right = sum(
        1
        for f, boxes in zip(confident, truth, strict=True)
        for _, box in f
        if any(iou(box, other) >= 0.5 for other in boxes)
    )
    return {
        "ap50": ap,
        "recall": recall,
        "recall_at_threshold": recall_at_threshold,
        "precision_at_threshold": round(right / kept, 4) if kept else None,
        "score_threshold": threshold,
        "scenes": len(scenes),
        "particles": sum(len(b) for b in truth),
    }


def train(version: str = "1.0.0", weights_dir: Path | None = None, steps: int = 1500) -> dict:
    """Train, evaluate on held-out scenes, write TorchScript weights; the card fields."""
    weights_dir = weights_dir or training.WEIGHTS_DIR
    model = fit(steps)
    metrics = evaluate(model, held_out_scenes(), SCORE_THRESHOLD)
    weights_dir.mkdir(parents=True, exist_ok=True)
    path = weights_dir / f"{MODEL_NAME}-{version}.pt"
    torch.jit.script(model).save(str(path))
    try:
        stored = str(path.relative_to(settings.BASE_DIR))
    except ValueError:
        stored = str(path)
    return {
        "labels": LABELS,
        "weights_path": stored,
        "weights_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "input_spec": INPUT_SPEC,
        "metrics": {**metrics, "held_out": "scenes composed from the authors' test crops only"},
        "training": {
            "seed": SEED,
            "steps": steps,
            "batch": 16,
            "optimiser": "AdamW, one-cycle lr up to 4e-3",
            "architecture": "CenterNet, 5 conv blocks, stride 8, heat map + size + offset",
            "scenes": f"{SCENE}x{SCENE}, 1-4 particles cut from the authors' train and "
            "validation crops, scaled 0.6-1.3, flipped, on their own background grey "
            "with noise",
            "data": "catalogue/demo/phytoplankton-flowcam (Apache-2.0, VLIZ planktonclas 0.2.4)",
            "torch": torch.__version__,
        },
    }
