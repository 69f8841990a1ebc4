"""Hydrophone-style audio in: real WAV and FLAC files become recordings with their
spectrogram segments; a spectrogram annotated reads as time-frequency boxes in the
API and exports as a Raven selection table."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Image, Recording
from curation.services import annotations, labels
from tests.catalogue.conftest import real_jpegs, stored_keys
from tests.recordings.support import FLAC, VIDEO, WAV, copy, new_set

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]


def stored_for(image_set) -> set[str]:
    keys = set()
    for image in image_set.images.all():
        keys |= {image.storage_key, image.thumbnail_small, image.thumbnail_medium}
    return keys | {recording.storage_key for recording in image_set.recordings.all()}


@pytest.mark.parametrize("source", [WAV, FLAC], ids=["wav", "flac"])
def test_a_recording_comes_in_with_its_spectrogram_segments(storage, tmp_path, source):
    image_set = new_set()
    path = copy(source, tmp_path / "in", f"station_20240601T120000Z{source.suffix}")
    batch = services.ingest(image_set, [path], actor=SYSTEM)
    assert (batch.status, batch.added, batch.rejected) == ("done", 1, [])
    recording = Recording.objects.get(image_set=image_set)
    assert recording.kind == "audio"
    assert recording.media_type == ("audio/wav" if source == WAV else "audio/flac")
    assert (recording.sample_rate, recording.channels) == (32_000, 1)
    assert recording.duration == pytest.approx(10.133, abs=0.001)
    assert recording.started_at.isoformat() == "2024-06-01T12:00:00+00:00"
    derivation = recording.derivation
    assert (derivation["window"], derivation["n_fft"], derivation["hop"]) == ("hann", 1024, 512)
    assert derivation["frequency_scale"] == "linear"
    # 10 s segments: a full one and the last 0.133 s.
    images = list(recording.images.order_by("recording_start"))
    assert [image.recording_start for image in images] == [0.0, 10.0]
    first, last = images
    assert first.file_name == f"{path.name}#t=0.000,10.000"
    assert (first.width, first.height, first.media_type) == (625, 513, "image/png")
    assert first.recording_axes["pixels_per_second"] == 62.5
    assert first.recording_axes["fmax_hz"] == 16_000.0
    assert last.width == 9 and last.recording_end == pytest.approx(10.144, abs=0.001)
    assert str(first.captured_at) == "2024-06-01 12:00:00+00:00"
    assert str(last.captured_at) == "2024-06-01 12:00:10+00:00"
    assert stored_keys() == stored_for(image_set)  # the recording, its images, thumbnails


def test_the_same_recording_again_is_a_duplicate(storage, tmp_path):
    image_set = new_set()
    services.ingest(image_set, [copy(WAV, tmp_path / "a")], actor=SYSTEM)
    batch = services.ingest(image_set, [copy(WAV, tmp_path / "b", "again.wav")], actor=SYSTEM)
    assert batch.added == 0
    assert batch.duplicates[0]["name"] == "again.wav"
    assert batch.duplicates[0]["same_as"] == "birds_10s.wav"
    assert Recording.objects.filter(image_set=image_set).count() == 1
    assert stored_keys() == stored_for(image_set)
    # The FLAC decodes to the same sound: its spectrograms are the WAV's, left out.
    batch = services.ingest(image_set, [copy(FLAC, tmp_path / "c")], actor=SYSTEM)
    flac = Recording.objects.get(image_set=image_set, media_type="audio/flac")
    assert batch.added == 1 and flac.images.count() == 0
    assert flac.derivation["identical_skipped"] == 2
    assert stored_keys() == stored_for(image_set)


def test_a_spectrogram_annotated_reads_as_time_frequency_boxes_and_exports_to_raven(tmp_path):
    owner = get_user_model().objects.create_user("hydrophone-owner")
    image_set = new_set(owner=owner)
    services.ingest(image_set, [copy(WAV, tmp_path / "in")], actor=SYSTEM)
    recording = Recording.objects.get(image_set=image_set)
    spectrogram = recording.images.get(recording_start=10.0 - 10.0)
    label_set = labels.create_label_set(
        actor=owner, name="Calls", labels=[{"name": "bird song"}, {"name": "noise"}]
    )
    song, noise = label_set.labels.order_by("name")
    # A box from 2 s to 4 s and 2 kHz to 6 kHz (62.5 px/s; 513 rows over 16 kHz).
    rows = spectrogram.height
    box = [2 * 62.5, rows * (1 - 6_000 / 16_000), 4 * 62.5, rows * (1 - 2_000 / 16_000)]
    annotations.create_annotation(
        actor=owner, image=spectrogram, label=song, shape="box", coordinates=box
    )
    annotations.create_annotation(actor=owner, image=spectrogram, label=noise)
    client = Client()
    client.force_login(owner)
    answer = client.get(f"/api/v1/recordings/{recording.pk}/")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["kind"] == "audio" and body["duration_s"] == pytest.approx(10.133, abs=0.001)
    found = {a["label"]: a for a in body["images"][0]["annotations"]}
    assert found["bird song"]["time_frequency"] == pytest.approx(
        {"begin_s": 2.0, "end_s": 4.0, "low_hz": 2_000.0, "high_hz": 6_000.0}
    )
    assert found["noise"]["time_frequency"]["high_hz"] == 16_000.0  # the whole image
    export = client.get(f"/api/v1/recordings/{recording.pk}/annotations/export")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/tab-separated-values")
    assert 'filename="birds_10s.selections.txt"' in export["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(export.content.decode()), delimiter="\t"))
    assert [row["Annotation"] for row in table] == ["bird song", "noise"]
    assert table[0]["View"] == "Spectrogram 1" and table[0]["Selection"] == "1"
    assert float(table[0]["Begin Time (s)"]) == pytest.approx(2.0)
    assert float(table[0]["End Time (s)"]) == pytest.approx(4.0)
    assert float(table[0]["Low Freq (Hz)"]) == pytest.approx(2_000.0)
    assert float(table[0]["High Freq (Hz)"]) == pytest.approx(6_000.0)
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
    assert Image.objects.filter(recording=recording).count() == 2


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
    # 3 photographs, 2 spectrograms, 6 frames (one a second).
    assert image_set.images.filter(recording__isnull=True).count() == 3
    assert image_set.images.filter(recording__kind="audio").count() == 2
    assert image_set.images.filter(recording__kind="video").count() == 6
