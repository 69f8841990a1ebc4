"""TorchScript segmenters: the module takes the normalised (N, 3, H, W) batch and
gives (N, K, H, W) scores in 0..1, one map per label of the card (a sigmoid or
softmax inside the module); inference/segmentation.py turns each map into
polygons on the original image. The card's input spec may set `mask_threshold`
(default 0.5) and `min_area` (image pixels, default 16)."""

from __future__ import annotations

import torch

from inference import segmentation
from inference.runner_base import Decoded, RunnerError
from inference.runners import TorchRunner, verified_weights


class TorchScriptSegmentationRunner(TorchRunner):
    batch_size = 16

    def load(self) -> torch.nn.Module:
        return torch.jit.load(str(verified_weights(self.version)), map_location="cpu")

    def predict(self, images: list[Decoded]) -> list[list[dict]]:
        if not images:
            return []
        try:
            return segmentation.finds_of_batch(
                self.forward(images).float().cpu().numpy(), images, self
            )
        except ValueError as error:
            raise RunnerError(str(error)) from error
