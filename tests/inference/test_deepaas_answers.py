"""Reading DEEPaaS answers: the shapes AI4OS modules answer, and refusals that
name every problem."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import Polygon, box

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


def regions(body):
    return read_answer(body, task="segmentation", width=100, height=50)


def yolo_text(entries: list[dict]) -> dict:
    """What DEEPaaS answers around the AI4OS YOLOv8 module's `seg` prediction: one
    `Results.tojson()` text per file sent."""
    return {"status": "OK", "predictions": [json.dumps(entries)]}


def test_regions_as_ultralytics_segments_and_as_polygons_clipped_to_the_image():
    square = {"x": [10, 30, 30, 10], "y": [10, 10, 30, 30]}
    answer = yolo_text(
        [
            {
                "name": "wrack",
                "class": 0,
                "confidence": 0.6,
                "box": {"x1": 10, "y1": 10, "x2": 30, "y2": 30},
                "segments": square,
            },
            # Past the right edge: clipped there.
            {
                "name": "sand",
                "class": 1,
                "confidence": 0.9,
                "segments": {"x": [80, 120, 120, 80], "y": [0, 0, 20, 20]},
            },
            {"name": "wrack", "class": 0, "confidence": 0.3, "segments": {"x": [], "y": []}},
        ]
    )
    found = regions(answer)  # the empty outline (a mask too small to trace) skipped
    assert [(f["label"], f["confidence"], f["box"]) for f in found] == [
        ("sand", 0.9, [80.0, 0.0, 100.0, 20.0]),
        ("wrack", 0.6, [10.0, 10.0, 30.0, 30.0]),
    ]
    assert Polygon(found[0]["polygon"]).equals(box(80, 0, 100, 20))
    assert Polygon(found[1]["polygon"]).equals(box(10, 10, 30, 30))
    polygon = {"label": "wrack", "score": 0.5, "polygon": [[0, 0], [40, 0], [0, 40]]}
    (triangle,) = regions({"predictions": [polygon]})
    assert Polygon(triangle["polygon"]).equals(Polygon([(0, 0), (40, 0), (0, 40)]))
    # A contour crossing itself (a bow tie) becomes its larger valid part.
    bow = {"label": "wrack", "score": 0.5, "polygon": [[0, 0], [40, 40], [40, 0], [0, 20]]}
    (untied,) = regions({"predictions": [bow]})
    assert Polygon(untied["polygon"]).is_valid and Polygon(untied["polygon"]).area > 0


def test_regions_as_the_beach_wrack_module_answers_them():
    """SOCIB's beach-wrack module: one list of regions per file (already objects),
    integer contour points, an empty outline where a region has no mask; and the
    one- or two-point or flat contours of masks one pixel wide."""
    answer = {
        "status": "OK",
        "predictions": [
            [
                {
                    "name": "dense wrack",
                    "class": 0,
                    "confidence": 0.71,
                    "box": {"x1": 5, "y1": 5, "x2": 45, "y2": 25},
                    "segments": {"x": [5, 45, 45, 5], "y": [5, 5, 25, 25]},
                },
                {
                    "name": "intermediate wrack",
                    "class": 1,
                    "confidence": 0.4,
                    "box": {"x1": 0, "y1": 0, "x2": 3, "y2": 3},
                    "segments": {"x": [], "y": []},
                },
                {
                    "name": "dense wrack",
                    "class": 0,
                    "confidence": 0.3,
                    "segments": {"x": [60, 61], "y": [7, 7]},
                },
                {
                    "name": "dense wrack",
                    "class": 0,
                    "confidence": 0.3,
                    "segments": {"x": [60, 62, 64], "y": [7, 7, 7]},
                },
            ]
        ],
    }
    (found,) = regions(answer)
    assert (found["label"], found["confidence"], found["box"]) == (
        "dense wrack",
        0.71,
        [5.0, 5.0, 45.0, 25.0],
    )


def test_unreadable_regions_name_every_problem():
    answer = [
        {"name": "wrack", "confidence": 0.5, "segments": {"x": [1, 2, 3], "y": [1, 2]}},
        {"name": "wrack", "confidence": 0.5},
        {"name": "wrack", "confidence": 0.5, "polygon": [[1, 1], [2, "2"], [3, 1]]},
        {"name": "wrack", "confidence": 0.5, "segments": {"x": [1, 2], "y": None}},
        {"name": "wrack", "confidence": 0.5, "polygon": [[120, 0], [150, 0], [150, 10]]},
        {"confidence": 1.5, "polygon": [[1, 1], [9, 1], [9, 9]]},
    ]
    with pytest.raises(AnswerError) as error:
        regions(yolo_text(answer))
    message = str(error.value)
    assert "region 0: segments {'x': [1, 2, 3], 'y': [1, 2]} are not x and y lists" in message
    assert "region 1: no outline (segments {x, y} or polygon [[x, y], ...])" in message
    assert "region 2: the outline's points are not pairs of finite numbers" in message
    assert "region 3: segments {'x': [1, 2], 'y': None} are not x and y lists" in message
    assert "region 4: its outline holds no area of the 100x50 image" in message
    assert "region 5: no label" in message and "region 5: confidence 1.5" in message
    with pytest.raises(AnswerError, match="the prediction is text that is not JSON"):
        regions({"status": "OK", "predictions": ["[{'name': 'wrack'"]})
