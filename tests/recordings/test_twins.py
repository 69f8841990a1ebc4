"""Two files of the same recording in one batch: the second is known a duplicate of the
first before anything of it is decoded, in one process and across several."""

from __future__ import annotations

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Image, Recording
from catalogue.recordings import storing
from catalogue.recordings.claims import claim
from tests.catalogue.conftest import stored_keys
from tests.recordings.support import FLAC, VIDEO, copy, new_set

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]


def twins(folder, source):
    suffix = source.suffix
    return [copy(source, folder, f"a{suffix}"), copy(source, folder, f"b{suffix}")]


@pytest.mark.parametrize("source", [FLAC, VIDEO], ids=["audio", "video"])
def test_the_second_of_two_identical_recordings_is_not_decoded(
    source, storage, monkeypatch, tmp_path
):
    decoded = []

    def counted(parts):
        def wrapper(name, *args, **kwargs):
            decoded.append(name)
            return parts(name, *args, **kwargs)

        return wrapper

    # Counted where the recording is opened for decoding (probe, then its derived images).
    monkeypatch.setattr(storing, "audio_parts", counted(storing.audio_parts))
    monkeypatch.setattr(storing, "video_parts", counted(storing.video_parts))
    image_set = new_set()
    twins(tmp_path / "in", source)
    batch = services.ingest(image_set, [tmp_path / "in"], workers=1, actor=SYSTEM)
    assert decoded == ["a" + source.suffix]
    assert (batch.added, batch.rejected, batch.total) == (1, [], 2)
    assert [(d["name"], d["same_as"]) for d in batch.duplicates] == [
        ("b" + source.suffix, "a" + source.suffix)
    ]
    recording = Recording.objects.get(image_set=image_set)
    assert recording.file_name == "a" + source.suffix
    keys = {recording.storage_key}
    for image in Image.objects.filter(recording=recording):
        keys |= {image.storage_key, image.thumbnail_small, image.thumbnail_medium}
    assert stored_keys() == keys  # nothing of the second was stored


def test_a_copy_of_a_refused_recording_is_refused_with_it(storage, tmp_path):
    """The first copy claims the file and is refused when decoded: the second, not
    decoded, is refused with it, not called a duplicate of a file the set lacks."""
    image_set = new_set()
    folder = tmp_path / "in"
    folder.mkdir()
    broken = FLAC.read_bytes()[:4096]  # a FLAC cut short: its header, then nothing
    for name in ("a.flac", "b.flac"):
        (folder / name).write_bytes(broken)
    batch = services.ingest(image_set, [folder], workers=1, actor=SYSTEM)
    assert (batch.added, batch.duplicates, batch.total) == (0, [], 2)
    reasons = {entry["name"]: entry["reason"] for entry in batch.rejected}
    assert set(reasons) == {"a.flac", "b.flac"}
    assert reasons["b.flac"] == f"the same file as a.flac, which was refused: {reasons['a.flac']}"
    assert not Recording.objects.filter(image_set=image_set).exists()
    assert stored_keys() == set()


@pytest.mark.django_db(transaction=True)  # the pipeline closes connections before it forks
def test_identical_recordings_in_parallel_processes(tmp_path):
    image_set = new_set()
    folder = tmp_path / "in"
    names = [copy(FLAC, folder, f"{letter}.flac").name for letter in "abcd"]
    batch = services.ingest(image_set, [folder], workers=2, actor=SYSTEM)
    assert batch.added == 1 and batch.rejected == []
    (recording,) = Recording.objects.filter(image_set=image_set)
    assert sorted(d["name"] for d in batch.duplicates) == sorted(set(names) - {recording.file_name})
    assert {d["same_as"] for d in batch.duplicates} == {recording.file_name}
    assert recording.images.count() == 3


def test_a_claim_names_the_first_file(tmp_path):
    claims = tmp_path / "claims"
    assert claim(claims, "f" * 64, "first.wav") is None
    assert claim(claims, "f" * 64, "second.wav") == "first.wav"
    assert claim(claims, "e" * 64, "other.wav") is None
    assert sorted(p.name for p in claims.iterdir()) == ["e" * 64, "f" * 64]
