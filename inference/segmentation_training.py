"""A small real segmenter: plankton particles outlined in FlowCam-like scenes.

Scenes are composed as for the detector (inference/detection_training.py: each
real FlowCam crop's particle cut out by its difference from the crop's border,
pasted at a random scale and place on its background grey with noise), and here
each pasted particle's own mask is kept: the cut-out's alpha where it is over
half. Training scenes use the authors' train and validation crops; held-out
scenes only their test crops.

The network is a small U-Net (four stride-2 encoder blocks, three decoder blocks
with skips, the last map upsampled to the input): one map of particle scores in
0..1, as TorchScriptSegmentationRunner reads it; inference/segmentation.py turns
it into polygons.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from django.conf import settings
from PIL import Image
from torch import nn

from inference import segmentation, training
from inference.detection_training import SCENE, Particle, particles_of, to_tensor

MODEL_NAME = "flowcam-particle-segmenter"
LABELS = ["plankton"]
SEED = 20251206
THRESHOLD = 0.5
MIN_AREA = 24  # pixels: specks of noise are no particle
INPUT_SPEC = {
    "size": [SCENE, SCENE],
    "mean": [0.5, 0.5, 0.5],
    "std": [0.25, 0.25, 0.25],
    "channels": "RGB",
    "resize": "pad",
    "mask_threshold": THRESHOLD,
    "min_area": MIN_AREA,
}

Scene = tuple[Image.Image, list[np.ndarray]]  # the scene and each particle's mask


def compose(particles: list[Particle], rng: random.Random) -> Scene:
    """One scene and the masks of what was pasted into it (no two touching)."""
    grey = rng.choice(particles).grey
    # Camera noise from a generator seeded by `rng` (PIL's effect_noise is not), so the
    # same seed makes the same scenes.
    noise = np.random.default_rng(rng.getrandbits(64)).normal(grey, 6, (SCENE, SCENE))
    scene = Image.fromarray(noise.clip(0, 255).astype(np.uint8), "L").convert("RGB")
    taken = np.zeros((SCENE, SCENE), dtype=bool)
    masks: list[np.ndarray] = []
    for _ in range(rng.randint(1, 4)):
        particle = rng.choice(particles)
        scale = min(rng.uniform(0.6, 1.3), SCENE * 0.5 / max(particle.pixels.size))
        size = (
            max(8, int(particle.pixels.width * scale)),
            max(8, int(particle.pixels.height * scale)),
        )
        pixels = particle.pixels.resize(size, Image.Resampling.BILINEAR)
        if rng.random() < 0.5:
            pixels = pixels.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        alpha = np.asarray(pixels.getchannel("A")) > 128
        if not alpha.any():
            continue
        for _try in range(20):
            x, y = rng.randint(0, SCENE - size[0]), rng.randint(0, SCENE - size[1])
            mask = np.zeros((SCENE, SCENE), dtype=bool)
            mask[y : y + size[1], x : x + size[0]] = alpha
            grown = F.max_pool2d(torch.from_numpy(taken)[None].float(), 5, 1, 2)[0].bool()
            if not (grown.numpy() & mask).any():
                scene.paste(pixels.convert("RGB"), (x, y), pixels.getchannel("A"))
                taken |= mask
                masks.append(mask)
                break
    return scene, masks


class TinyUNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()
            )

        self.down1, self.down2 = block(3, 16, 2), block(16, 32, 2)  # 1/2, 1/4
        self.down3, self.down4 = block(32, 64, 2), block(64, 64, 2)  # 1/8, 1/16
        self.up3, self.up2, self.up1 = block(128, 48), block(80, 32), block(48, 16)
        self.out = nn.Conv2d(16, 1, 1)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        d1 = self.down1(x)
        d2 = self.down2(d1)
        d3 = self.down3(d2)
        d4 = self.down4(d3)
        u3 = self.up3(torch.cat([F.interpolate(d4, size=d3.shape[-2:]), d3], 1))
        u2 = self.up2(torch.cat([F.interpolate(u3, size=d2.shape[-2:]), d2], 1))
        u1 = self.up1(torch.cat([F.interpolate(u2, size=d1.shape[-2:]), d1], 1))
        return F.interpolate(self.out(u1), size=x.shape[-2:], mode="bilinear")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(x))


def batch_of(particles: list[Particle], rng: random.Random, size: int):
    scenes, targets = [], []
    for _ in range(size):
        scene, masks = compose(particles, rng)
        scenes.append(to_tensor(scene))
        union = np.zeros((SCENE, SCENE), dtype=np.float32)
        for mask in masks:
            union[mask] = 1.0
        targets.append(torch.from_numpy(union)[None])
    return torch.stack(scenes), torch.stack(targets)


def loss_of(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy and soft Dice: particles are a small share of a scene."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
    return bce + dice


def fit(steps: int, batch: int = 8) -> TinyUNet:
    training.make_deterministic(SEED)
    rng = random.Random(SEED)  # noqa: S311 - reproducible scenes, not secrets
    particles = particles_of(("train", "val"))
    model = TinyUNet()
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=5e-3, total_steps=steps)
    model.train()
    for _ in range(steps):
        x, target = batch_of(particles, rng, batch)
        loss = loss_of(model.logits(x), target)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
    return model.eval()


def held_out_scenes(count: int = 120) -> list[Scene]:
    """Scenes of the test split's crops only (seeded: the same scenes every time)."""
    rng = random.Random(SEED + 1)  # noqa: S311 - reproducible scenes, not secrets
    particles = particles_of(("test",))
    return [compose(particles, rng) for _ in range(count)]


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def evaluate(model: nn.Module, scenes: list[Scene]) -> dict:
    """Pixel IoU of the particles, and regions (as the runner finds them) matched one
    to one to particles at mask IoU >= 0.5: precision and recall."""
    with torch.inference_mode():
        scores = model(torch.stack([to_tensor(scene) for scene, _ in scenes]))[:, 0].numpy()
    inter = union = found = right = particles = 0
    for (_, masks), score in zip(scenes, scores, strict=True):
        truth = np.zeros_like(score, dtype=bool)
        for mask in masks:
            truth |= mask
        predicted = score >= THRESHOLD
        inter += int((truth & predicted).sum())
        union += int((truth | predicted).sum())
        regions = [r for r, _ in segmentation.outlines(predicted) if r.sum() >= MIN_AREA]
        found += len(regions)
        particles += len(masks)
        unmatched = list(masks)
        for region in regions:
            best = max(unmatched, key=lambda mask: mask_iou(region, mask), default=None)
            if best is not None and mask_iou(region, best) >= 0.5:
                unmatched = [mask for mask in unmatched if mask is not best]
                right += 1
    return {
        "pixel_iou": round(inter / union, 4) if union else 0.0,
        "precision": round(right / found, 4) if found else None,
        "recall": round(right / particles, 4) if particles else None,
        "match": "a region is right when its mask IoU with a particle is >= 0.5 (one to one)",
        "scenes": len(scenes),
        "particles": particles,
    }


def train(
    version: str = "1.0.0", weights_dir: Path | None = None, steps: int = 500, scenes: int = 120
) -> dict:
    """Train, evaluate on held-out scenes, write TorchScript weights; the card fields."""
    weights_dir = weights_dir or training.WEIGHTS_DIR
    model = fit(steps)
    metrics = evaluate(model, held_out_scenes(scenes))
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
            "batch": 8,
            "optimiser": "AdamW, one-cycle lr up to 5e-3; loss BCE + soft Dice",
            "architecture": "U-Net, 4 stride-2 encoder blocks (16-64 channels), 3 decoder "
            "blocks with skips, output upsampled to the input, sigmoid",
            "scenes": f"{SCENE}x{SCENE}, 1-4 particles cut from the authors' train and "
            "validation crops, scaled 0.6-1.3, flipped, on their own background grey "
            "with noise; masks: the cut-out's alpha over half",
            "data": "catalogue/demo/phytoplankton-flowcam (Apache-2.0, VLIZ planktonclas 0.2.4)",
            "torch": torch.__version__,
        },
    }
