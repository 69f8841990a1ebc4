"""Reading DEEPaaS answers: the shapes AI4OS modules answer, and refusals that
name every problem."""

from __future__ import annotations

import pytest

from inference.deepaas_answers import AnswerError, read_answer


def classes(body):
    return read_answer(body, task="classification", width=100, height=50)


def boxes(body):
    return read_answer(body, task="detection", width=100, height=50)


def test_class_answers_in_the_shapes_modules_use():
    expected = [
        {"label": "Tripos", "confidence": 0.8, "scores": {"Tripos": 0.8, "Ciliophora": 0.2}}
    ]
    # DEEPaaS around a module without a response schema.
    wrapped = {"status": "OK", "predictions": [{"label": "Ciliophora", "probability": 0.2}]}
    wrapped["predictions"].append({"label": "Tripos", "probability": 0.8})
    assert classes(wrapped) == expected
    # planktonclas: parallel lists, as its own schema or wrapped, one file's answer in a list.
    planktonclas = {"filenames": ["a.jpg"], "pred_lab": ["Tripos", "Ciliophora"]}
    planktonclas["pred_prob"] = [0.8, 0.2]
    assert classes(planktonclas) == expected
    assert classes([{"status": "OK", "predictions": planktonclas}]) == expected
    parallel = {"predictions": {"labels": ["Tripos", "Ciliophora"], "probabilities": [0.8, 0.2]}}
    assert classes(parallel) == expected
    assert classes({"predictions": []}) == []


def test_detections_as_ultralytics_and_as_lists_clipped_to_the_image():
    answer = {
        "status": "OK",
        "predictions": [
            {
                "name": "fish",
                "class": 3,
                "confidence": 0.5,
                "box": {"x1": -4, "y1": 2, "x2": 30, "y2": 20},
            },
            {"label": "crab", "score": 0.9, "box": [50, 10, 140.5, 49]},
        ],
    }
    assert boxes(answer) == [
        {"label": "crab", "confidence": 0.9, "box": [50.0, 10.0, 100.0, 49.0]},
        {"label": "fish", "confidence": 0.5, "box": [0.0, 2.0, 30.0, 20.0]},
    ]
    assert boxes({"predictions": [[]]}) == []


@pytest.mark.parametrize(
    ("body", "reasons"),
    [
        ("OK", ["a str, not an object"]),
        ({"status": "OK", "predictions": "Tripos"}, ["predictions are a str"]),
        ({"status": "OK"}, ["keys ['status']"]),
        ({"pred_lab": ["Tripos"], "pred_prob": [0.1, 0.9]}, ["1 pred_lab for 2 pred_prob"]),
        (
            {"predictions": [1, {"label": "x", "probability": 1}]},
            ["predictions [0] are not objects"],
        ),
        (
            {"predictions": [{"label": "x", "probability": 1.5}, {"probability": True}]},
            [
                "prediction 0: confidence 1.5 is not a number from 0 to 1",
                "prediction 1: no label",
                "prediction 1: confidence True",
            ],
        ),
    ],
)
def test_unreadable_class_answers_are_refused(body, reasons):
    with pytest.raises(AnswerError) as error:
        classes(body)
    for reason in reasons:
        assert reason in str(error.value)


def test_unreadable_detections_name_every_problem():
    answer = [
        {"name": "fish", "confidence": 0.5},
        {"name": "fish", "confidence": 0.5, "box": {"x1": 1, "y1": 2, "x2": "3"}},
        {"name": "fish", "confidence": 0.5, "box": [120, 0, 150, 10]},
        {"confidence": 0.5, "box": [1, 1, 2, 2]},
    ]
    with pytest.raises(AnswerError) as error:
        boxes({"predictions": answer})
    message = str(error.value)
    assert "detection 0: box None is not x1, y1, x2, y2 in pixels" in message
    assert "detection 1: box {'x1': 1, 'y1': 2, 'x2': '3'} is not" in message
    assert (
        "detection 2: box [120.0, 0.0, 150.0, 10.0] holds no pixel of the 100x50 image" in message
    )
    assert "detection 3: no label" in message
