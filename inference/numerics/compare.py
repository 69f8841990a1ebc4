"""How far a variant's outputs are from fp32's, on the same images, measured the
way each task's results are used (inference/numerics/policy.py has the limits)."""

from __future__ import annotations

import torch

from inference.numerics.policy import (
    MAX_SCORE_DRIFT,
    MIN_BOX_IOU,
    MIN_COSINE,
    MIN_MASK_IOU,
    TOP1_AGREEMENT,
)

# A detector's raw output for one image: boxes (K, 4), scores (K), labels (K).
Boxes = dict[str, torch.Tensor]


def classification(
    reference: torch.Tensor, candidate: torch.Tensor, cutoffs: list[float | None] | None = None
) -> dict:
    """Probabilities (N, classes) of fp32 and of the variant; `cutoffs`, per class,
    the confidence at or above which curators may validate in bulk."""
    top = reference.argmax(1)
    agreement = (top == candidate.argmax(1)).float().mean().item()
    drift = (reference - candidate).abs().max().item() if reference.numel() else 0.0
    problems = []
    if agreement < TOP1_AGREEMENT:
        flipped = int((top != candidate.argmax(1)).sum())
        problems.append(f"top-1 class changed on {flipped} of {len(reference)} images")
    if drift > MAX_SCORE_DRIFT:
        problems.append(f"a probability moved by {drift:.4f} (limit {MAX_SCORE_DRIFT})")
    crossed = 0
    for row, label in enumerate(top.tolist()):
        cutoff = (cutoffs or [None] * reference.shape[1])[label]
        if cutoff is not None:
            crossed += (reference[row, label] >= cutoff) != (candidate[row, label] >= cutoff)
    if crossed:
        problems.append(f"{crossed} predictions crossed their class's bulk-validation threshold")
    return {
        "top1_agreement": round(agreement, 4),
        "max_score_drift": round(drift, 5),
        "threshold_crossings": int(crossed),
        "passes": not problems,
        "problems": problems,
    }


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of every box of `a` (K, 4) with every box of `b` (M, 4), x0 y0 x1 y1."""
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(2)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(1)
    return inter / (area_a[:, None] + area_b[None, :] - inter).clamp(min=1e-9)


def kept(output: Boxes, threshold: float) -> Boxes:
    keep = output["scores"] >= threshold
    return {name: output[name][keep] for name in ("boxes", "scores", "labels")}


def detection(reference: list[Boxes], candidate: list[Boxes], threshold: float) -> dict:
    """Greedy matching, best fp32 box first, to the variant's box of the same
    class with the highest IoU."""
    boxes = matched = 0
    worst_iou, drift = 1.0, 0.0
    problems: list[str] = []
    for number, (ref_all, cand_all) in enumerate(zip(reference, candidate, strict=True)):
        ref, cand = kept(ref_all, threshold), kept(cand_all, threshold)
        boxes += len(ref["scores"])
        if len(ref["scores"]) != len(cand["scores"]):
            problems.append(
                f"image {number}: {len(ref['scores'])} boxes in fp32, {len(cand['scores'])} here"
            )
        ious = box_iou(ref["boxes"], cand["boxes"]) if len(cand["scores"]) else None
        taken: set[int] = set()
        for r in ref["scores"].argsort(descending=True).tolist():
            best, best_iou = None, -1.0
            for c in range(len(cand["scores"])):
                same_class = int(cand["labels"][c]) == int(ref["labels"][r])
                if ious is not None and c not in taken and same_class and ious[r, c] > best_iou:
                    best, best_iou = c, float(ious[r, c])
            if best is None:
                worst_iou = 0.0
                continue
            taken.add(best)
            matched += 1
            worst_iou = min(worst_iou, best_iou)
            drift = max(drift, abs(float(ref["scores"][r]) - float(cand["scores"][best])))
    if matched < boxes:
        problems.append(f"{boxes - matched} of {boxes} boxes have no partner of their class")
    if worst_iou < MIN_BOX_IOU:
        problems.append(f"a box moved to IoU {worst_iou:.3f} (limit {MIN_BOX_IOU})")
    if drift > MAX_SCORE_DRIFT:
        problems.append(f"a box score moved by {drift:.4f} (limit {MAX_SCORE_DRIFT})")
    return {
        "boxes": boxes,
        "matched": matched,
        "min_box_iou": round(worst_iou, 4),
        "max_score_drift": round(drift, 5),
        "passes": not problems,
        "problems": problems,
    }


def embedding(reference: torch.Tensor, candidate: torch.Tensor) -> dict:
    """L2-normalised vectors (N, D): their row-wise cosine."""
    cosine = (reference * candidate).sum(1).min().item() if reference.numel() else 1.0
    problems = [] if cosine >= MIN_COSINE else [f"cosine {cosine:.5f} (limit {MIN_COSINE})"]
    return {"min_cosine": round(cosine, 6), "passes": not problems, "problems": problems}


def segmentation(
    reference: torch.Tensor,
    candidate: torch.Tensor,
    threshold: float,
    polygons: list[tuple[int, int]],
) -> dict:
    """Score maps (N, K, H, W) of fp32 and of the variant: each label's mask (scores
    at or above the card's `threshold`) by IoU, and `polygons`, per image, how many
    polygons fp32's and the variant's maps trace to (what a job writes)."""
    ref, cand = reference >= threshold, candidate >= threshold
    inter = (ref & cand).sum(dim=(2, 3)).double()
    union = (ref | cand).sum(dim=(2, 3)).double()
    # Two empty masks agree; the fewest-pixel masks weigh as much as the rest.
    ious = torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))
    worst = ious.min().item() if ious.numel() else 1.0
    changed = [n for n, (a, b) in enumerate(polygons) if a != b]
    problems = []
    if worst < MIN_MASK_IOU:
        problems.append(f"a mask moved to IoU {worst:.4f} (limit {MIN_MASK_IOU})")
    if changed:
        a, b = polygons[changed[0]]
        problems.append(
            f"the polygons' count changed on {len(changed)} of {len(polygons)} images "
            f"(image {changed[0]}: {a} in fp32, {b} here)"
        )
    return {
        "min_mask_iou": round(worst, 5),
        "polygons": sum(a for a, _ in polygons),
        "polygon_count_changes": len(changed),
        "passes": not problems,
        "problems": problems,
    }
