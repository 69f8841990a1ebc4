"""Cross-validation arithmetic: folds, intervals, per-class scores, calibration and the
thresholds that curators bulk-validate above, on hand-made predictions."""

from __future__ import annotations

import pytest

from inference import evaluation


def test_folds_spread_each_class_evenly_and_repeat_with_the_seed():
    targets = [0] * 10 + [1] * 5 + [2] * 3
    folds = evaluation.stratified_folds(targets, 5, seed=1)
    assert folds == evaluation.stratified_folds(targets, 5, seed=1)
    for label, size in ((0, 10), (1, 5)):
        mine = [f for f, t in zip(folds, targets, strict=True) if t == label]
        assert sorted(mine.count(f) for f in range(5)) == [size // 5] * 5
    assert len({f for f, t in zip(folds, targets, strict=True) if t == 2}) == 3


@pytest.mark.parametrize(
    ("right", "total", "low", "high"),
    [(8, 10, 0.4902, 0.9433), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0)],
)
def test_wilson_interval_matches_published_values(right, total, low, high):
    got = evaluation.wilson(right, total)
    assert got == pytest.approx((low, high), abs=1e-4)


def test_thresholds_are_the_lowest_confidence_that_stays_precise_enough():
    # Class 0 called 12 times: right at 0.99 ... 0.80, wrong at 0.75 and 0.70.
    confidences = [0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93, 0.92, 0.91, 0.80, 0.75, 0.70]
    targets = [0] * 10 + [1, 1]
    probabilities = [[c, 1 - c] for c in confidences]
    found = evaluation.thresholds(targets, probabilities, ["diatom", "ciliate"])
    assert found["diatom"] == {"confidence": 0.8, "precision": 1.0, "above": 10, "of": 12}
    assert found["ciliate"] is None  # never called


def test_a_threshold_needs_enough_predictions():
    probabilities = [[0.9, 0.1]] * 4
    assert evaluation.thresholds([0] * 4, probabilities, ["a", "b"])["a"] is None
    assert evaluation.thresholds([0] * 5, [[0.9, 0.1]] * 5, ["a", "b"])["a"]["above"] == 5


def test_calibration_error_of_overconfident_predictions():
    # Ten predictions at 0.9 confidence, half of them right: ECE = |0.9 - 0.5| = 0.4.
    targets = [0] * 5 + [1] * 5
    probabilities = [[0.9, 0.1]] * 10
    result = evaluation.calibration(targets, probabilities)
    assert result["ece"] == pytest.approx(0.4)
    assert result["bins"] == [
        {"from": 0.9, "to": 1.0, "count": 10, "confidence": 0.9, "accuracy": 0.5}
    ]


def test_summary_of_out_of_fold_predictions():
    targets = [0, 0, 1, 1]
    probabilities = [[0.8, 0.2], [0.4, 0.6], [0.3, 0.7], [0.1, 0.9]]
    summary = evaluation.summarise(targets, probabilities, [0, 1, 0, 1], ["a", "b"])
    assert summary["accuracy"] == 0.75 and summary["accuracy_by_fold"] == [1.0, 0.5]
    assert summary["per_class"]["a"] == {
        "support": 2,
        "predicted": 1,
        "precision": 1.0,
        "recall": 0.5,
    }
    assert summary["per_class"]["b"]["precision"] == round(2 / 3, 4)
