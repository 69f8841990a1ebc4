"""Honest scores for a classifier: stratified k-fold cross-validation on every
labelled image, and what its out-of-fold predictions say.

- accuracy per fold, their mean, and a 95 % Wilson interval on the pooled
  out-of-fold predictions (each image predicted once, by a model that never saw it);
- per-class precision, recall and support;
- calibration: expected calibration error over 10 confidence bins, and the bins;
- per class, the lowest confidence at which the predictions of that class reached
  the target precision (95 %) out of fold, with how many predictions that kept:
  curators bulk-validate predictions above it (curation.services.confident).

Pure Python over (label index, probabilities) pairs, so it can be tested without a
model; inference/training.py feeds it the folds' outputs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

TARGET_PRECISION = 0.95
MIN_ABOVE = 5  # a threshold resting on fewer predictions than this is not given
BINS = 10
Z95 = 1.959964


def stratified_folds(targets: Sequence[int], k: int, seed: int) -> list[int]:
    """A fold number per item, each class spread evenly over the folds (seeded)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible folds, not secrets
    folds = [0] * len(targets)
    by_class: dict[int, list[int]] = {}
    for index, target in enumerate(targets):
        by_class.setdefault(target, []).append(index)
    offset = 0
    for target in sorted(by_class):
        members = by_class[target]
        rng.shuffle(members)
        for position, index in enumerate(members):
            folds[index] = (position + offset) % k
        offset += len(members)  # the next class starts where this one stopped
    return folds


def wilson(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (sound for small samples and at 0 or 1)."""
    if total == 0:
        return (0.0, 1.0)
    share = successes / total
    centre = (share + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    half /= 1 + z * z / total
    return (max(0.0, centre - half), min(1.0, centre + half))


def per_class(targets: Sequence[int], predicted: Sequence[int], labels: Sequence[str]) -> dict:
    out = {}
    for index, label in enumerate(labels):
        support = sum(1 for t in targets if t == index)
        called = sum(1 for p in predicted if p == index)
        right = sum(1 for t, p in zip(targets, predicted, strict=True) if t == p == index)
        out[label] = {
            "support": support,
            "predicted": called,
            "precision": round(right / called, 4) if called else None,
            "recall": round(right / support, 4) if support else None,
        }
    return out


def calibration(
    targets: Sequence[int], probabilities: Sequence[Sequence[float]], bins: int = BINS
) -> dict:
    """Expected calibration error of the top class's confidence, and its bins."""
    rows = [[0, 0.0, 0] for _ in range(bins)]  # count, sum of confidence, correct
    for target, probs in zip(targets, probabilities, strict=True):
        top = max(range(len(probs)), key=probs.__getitem__)
        confidence = probs[top]
        row = rows[min(bins - 1, int(confidence * bins))]
        row[0] += 1
        row[1] += confidence
        row[2] += int(top == target)
    total = len(targets)
    ece = sum(abs(conf - right) for count, conf, right in rows if count) / total if total else 0
    return {
        "ece": round(ece, 4),
        "bins": [
            {
                "from": round(i / bins, 2),
                "to": round((i + 1) / bins, 2),
                "count": count,
                "confidence": round(conf / count, 4),
                "accuracy": round(right / count, 4),
            }
            for i, (count, conf, right) in enumerate(rows)
            if count
        ],
    }


def thresholds(
    targets: Sequence[int],
    probabilities: Sequence[Sequence[float]],
    labels: Sequence[str],
    target: float = TARGET_PRECISION,
    min_above: int = MIN_ABOVE,
) -> dict:
    """Per class, the lowest confidence whose predictions (that class, that confident
    or more) were right at least `target` of the time out of fold; None when none
    holds on at least `min_above` predictions."""
    out: dict[str, dict | None] = {}
    for index, label in enumerate(labels):
        called = sorted(
            (
                (probs[index], target_index == index)
                for target_index, probs in zip(targets, probabilities, strict=True)
                if max(range(len(probs)), key=probs.__getitem__) == index
            ),
            reverse=True,
        )
        best = None
        right = 0
        for count, (confidence, correct) in enumerate(called, start=1):
            right += int(correct)
            if count >= min_above and right / count >= target:
                best = {
                    "confidence": round(confidence, 4),
                    "precision": round(right / count, 4),
                    "above": count,
                    "of": len(called),
                }
        out[label] = best
    return out


def summarise(
    targets: Sequence[int],
    probabilities: Sequence[Sequence[float]],
    folds: Sequence[int],
    labels: Sequence[str],
) -> dict:
    """The card's cross-validation section from out-of-fold probabilities."""
    predicted = [max(range(len(p)), key=p.__getitem__) for p in probabilities]
    k = max(folds) + 1
    fold_accuracy = []
    for fold in range(k):
        members = [i for i, f in enumerate(folds) if f == fold]
        right = sum(1 for i in members if predicted[i] == targets[i])
        fold_accuracy.append(round(right / len(members), 4) if members else None)
    right = sum(1 for t, p in zip(targets, predicted, strict=True) if t == p)
    low, high = wilson(right, len(targets))
    return {
        "folds": k,
        "images": len(targets),
        "accuracy": round(right / len(targets), 4),
        "accuracy_ci95": [round(low, 4), round(high, 4)],
        "accuracy_by_fold": fold_accuracy,
        "per_class": per_class(targets, predicted, labels),
        "calibration": calibration(targets, probabilities),
        "thresholds": thresholds(targets, probabilities, labels),
        "threshold_target_precision": TARGET_PRECISION,
        "method": f"stratified {k}-fold cross-validation, out-of-fold predictions pooled; "
        "accuracy interval: Wilson 95 %",
    }
