"""Hydrophone audio in: a real recording of MBARI's MARS cabled hydrophone (WAV and
FLAC) becomes a recording with its spectrogram segments, the blue whale call in it
shows on them, and the call annotated reads as time-frequency boxes in the API and
exports as a Raven selection table."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image as PILImage

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Image, Recording
from curation.services import annotations, labels
from tests.catalogue.conftest import real_jpegs, stored_keys
from tests.recordings.support import CALL, FLAC, VIDEO, WAV, copy, new_set

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]

# The default settings at 2 kHz: a window of 128 samples (64 ms), a hop of 40 (20 ms).
RATE, HOP = 2_000, 40
PPS = RATE / HOP  # spectrogram columns a second
ROWS, FMAX = 512, RATE / 2  # 512 rows from 0 Hz to the Nyquist frequency


def stored_for(image_set) -> set[str]:
    keys = set()
    for image in image_set.images.all():
        keys |= {image.storage_key, image.thumbnail_small, image.thumbnail_medium}
    return keys | {recording.storage_key for recording in image_set.recordings.all()}


def row_of(hz: float) -> float:
    return ROWS * (1 - hz / FMAX)


def band_level(image: Image, begin_s: float, end_s: float) -> float:
    """Mean grey of the call's band (70-90 Hz) between two times of a spectrogram."""
    with default_storage.open(image.storage_key, "rb") as stored:
        pixels = np.asarray(PILImage.open(stored), dtype=np.float32)
    offset = image.recording_start
    rows = slice(int(row_of(CALL["high_hz"])), int(row_of(CALL["low_hz"])) + 1)
    columns = slice(int((begin_s - offset) * PPS), int((end_s - offset) * PPS))
    return float(pixels[rows, columns].mean())


@pytest.mark.parametrize("source", [WAV, FLAC], ids=["wav", "flac"])
def test_a_hydrophone_recording_comes_in_with_its_spectrogram_segments(storage, tmp_path, source):
    image_set = new_set()
    path = copy(source, tmp_path / "in")
    batch = services.ingest(image_set, [path], actor=SYSTEM)
    assert (batch.status, batch.added, batch.rejected) == ("done", 1, [])
    recording = Recording.objects.get(image_set=image_set)
    assert recording.kind == "audio"
    assert recording.media_type == ("audio/wav" if source == WAV else "audio/flac")
    assert (recording.sample_rate, recording.channels) == (RATE, 1)
    assert recording.duration == pytest.approx(30.0)
    # MBARI's names carry the start in UTC (MARS-20150910T000235Z-2kHz).
    assert recording.started_at.isoformat() == "2015-09-10T00:02:35+00:00"
    derivation = recording.derivation
    assert (derivation["window"], derivation["window_samples"], derivation["hop"]) == (
        "hann",
        128,
        HOP,
    )
    assert (derivation["window_s"], derivation["hop_s"], derivation["rows"]) == (0.064, 0.02, ROWS)
    assert derivation["frequency_scale"] == "linear"
    # 10 s segments, each 500 columns of 40 samples.
    images = list(recording.images.order_by("recording_start"))
    assert [image.recording_start for image in images] == [0.0, 10.0, 20.0]
    first, middle, last = images
    assert first.file_name == f"{path.name}#t=0.000,10.000"
    assert (first.width, first.height, first.media_type) == (500, ROWS, "image/png")
    assert first.recording_axes["pixels_per_second"] == PPS
    assert first.recording_axes["fmax_hz"] == FMAX
    assert last.recording_end == pytest.approx(30.0)
    assert [str(image.captured_at) for image in images] == [
        "2015-09-10 00:02:35+00:00",
        "2015-09-10 00:02:45+00:00",
        "2015-09-10 00:02:55+00:00",
    ]
    # The call shows: its band is over 2 dB louder (255 grey levels span 120 dB)
    # while it sounds than in the quiet seconds before it.
    quiet = band_level(first, 0.0, 6.0)
    assert band_level(middle, 10.0, 20.0) > quiet + 2 * 255 / 120
    assert stored_keys() == stored_for(image_set)  # the recording, its images, thumbnails


def test_the_same_recording_again_is_a_duplicate(storage, tmp_path):
    image_set = new_set()
    services.ingest(image_set, [copy(WAV, tmp_path / "a")], actor=SYSTEM)
    batch = services.ingest(image_set, [copy(WAV, tmp_path / "b", "again.wav")], actor=SYSTEM)
    assert batch.added == 0
    assert batch.duplicates[0]["name"] == "again.wav"
    assert batch.duplicates[0]["same_as"] == WAV.name
    assert Recording.objects.filter(image_set=image_set).count() == 1
    assert stored_keys() == stored_for(image_set)
    # The FLAC decodes to the same sound: its spectrograms are the WAV's, left out.
    batch = services.ingest(image_set, [copy(FLAC, tmp_path / "c")], actor=SYSTEM)
    flac = Recording.objects.get(image_set=image_set, media_type="audio/flac")
    assert batch.added == 1 and flac.images.count() == 0
    assert flac.derivation["identical_skipped"] == 3
    assert stored_keys() == stored_for(image_set)


def test_a_duplicate_is_found_before_its_sound_is_decoded(storage, settings, tmp_path):
    """With no spectrogram allowed any more, a file the set holds is still reported as
    a duplicate (its hash is compared first), while a new file is refused."""
    image_set = new_set()
    services.ingest(image_set, [copy(WAV, tmp_path / "a")], actor=SYSTEM)
    settings.RECORDING_MAX_DERIVED_IMAGES = 0
    batch = services.ingest(
        image_set,
        [copy(WAV, tmp_path / "b", "again.wav"), copy(FLAC, tmp_path / "b")],
        actor=SYSTEM,
    )
    assert [(entry["name"], entry["same_as"]) for entry in batch.duplicates] == [
        ("again.wav", WAV.name)
    ]
    assert [entry["name"] for entry in batch.rejected] == [FLAC.name]
    assert "over the limit of 0" in batch.rejected[0]["reason"]
    assert Recording.objects.filter(image_set=image_set).count() == 1
    assert stored_keys() == stored_for(image_set)


def test_the_call_annotated_reads_as_a_time_frequency_box_and_exports_to_raven(tmp_path):
    owner = get_user_model().objects.create_user("hydrophone-owner")
    image_set = new_set(owner=owner)
    services.ingest(image_set, [copy(WAV, tmp_path / "in")], actor=SYSTEM)
    recording = Recording.objects.get(image_set=image_set)
    first, middle = recording.images.filter(recording_start__lt=20).order_by("recording_start")
    label_set = labels.create_label_set(
        actor=owner,
        name="Calls",
        labels=[{"name": "Balaenoptera musculus call"}, {"name": "noise"}],
    )
    call, noise = label_set.labels.order_by("name")
    high, low = row_of(CALL["high_hz"]), row_of(CALL["low_hz"])
    # The call from its start to the first segment's 10 s, then over the whole second.
    start = [CALL["begin_s"] * PPS, high, 10.0 * PPS, low]
    annotations.create_annotation(
        actor=owner, image=first, label=call, shape="box", coordinates=start
    )
    annotations.create_annotation(
        actor=owner, image=middle, label=call, shape="box", coordinates=[0, high, 10 * PPS, low]
    )
    annotations.create_annotation(actor=owner, image=middle, label=noise)
    client = Client()
    client.force_login(owner)
    answer = client.get(f"/api/v1/recordings/{recording.pk}/")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["kind"] == "audio" and body["duration_s"] == pytest.approx(30.0)
    found = [
        (a["label"], a["time_frequency"]) for image in body["images"] for a in image["annotations"]
    ]
    assert found[0][1] == pytest.approx({**CALL, "end_s": 10.0})
    assert found[1][1] == pytest.approx({**CALL, "begin_s": 10.0, "end_s": 20.0})
    assert found[2][0] == "noise"
    assert found[2][1] == pytest.approx(
        {"begin_s": 10.0, "end_s": 20.0, "low_hz": 0.0, "high_hz": FMAX}  # the whole image
    )
    export = client.get(f"/api/v1/recordings/{recording.pk}/annotations/export")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/tab-separated-values")
    assert 'filename="MARS-20150910T000235Z-2kHz.selections.txt"' in export["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(export.content.decode()), delimiter="\t"))
    assert [row["Annotation"] for row in table] == ["Balaenoptera musculus call"] * 2 + ["noise"]
    assert [row["Selection"] for row in table] == ["1", "2", "3"]
    assert table[0]["View"] == "Spectrogram 1"
    times = [(float(row["Begin Time (s)"]), float(row["End Time (s)"])) for row in table[:2]]
    assert times == [pytest.approx((CALL["begin_s"], 10.0)), pytest.approx((10.0, 20.0))]
    assert float(table[0]["Low Freq (Hz)"]) == pytest.approx(CALL["low_hz"])
    assert float(table[0]["High Freq (Hz)"]) == pytest.approx(CALL["high_hz"])
    # A spectrogram segment's detail leads back to its recording, with its place in it.
    detail = client.get(f"/api/v1/images/{middle.pk}/").json()
    assert detail["recording"] == recording.pk
    assert detail["recording_url"].endswith(f"/api/v1/recordings/{recording.pk}/")
    assert (detail["recording_start"], detail["recording_end"]) == pytest.approx((10.0, 20.0))
    assert detail["recording_axes"] == middle.recording_axes
    # The recording's file downloads as it came.
    download = client.get(body["file"].split("testserver", 1)[1])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == WAV.read_bytes()


def test_a_restricted_recording_is_hidden_like_its_images(tmp_path):
    owner = get_user_model().objects.create_user("restricted-owner")
    image_set = new_set(owner=owner, access="restricted")
    services.ingest(image_set, [copy(WAV, tmp_path / "in")], actor=SYSTEM)
    recording = Recording.objects.get(image_set=image_set)
    anonymous = Client()
    assert anonymous.get(f"/api/v1/recordings/{recording.pk}/").status_code == 404
    assert anonymous.get(f"/files/recordings/{recording.pk}/original").status_code == 404
    assert Image.objects.filter(recording=recording).count() == 3


@pytest.mark.django_db(transaction=True)  # the pipeline closes connections before it forks
def test_recordings_and_images_together_in_worker_processes(tmp_path):
    folder = tmp_path / "deployment"
    copy(WAV, folder)
    copy(VIDEO, folder)
    for path in real_jpegs(3):
        copy(path, folder)
    image_set = new_set()
    batch = services.ingest(image_set, [folder], workers=2, actor=SYSTEM)
    assert (batch.status, batch.total, batch.added, batch.rejected) == ("done", 5, 5, [])
    kinds = sorted(image_set.recordings.values_list("kind", flat=True))
    assert kinds == ["audio", "video"]
    # 3 photographs, 3 spectrograms, 6 frames (one a second).
    assert image_set.images.filter(recording__isnull=True).count() == 3
    assert image_set.images.filter(recording__kind="audio").count() == 3
    assert image_set.images.filter(recording__kind="video").count() == 6
