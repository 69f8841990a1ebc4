"""A new version of a set holds its recordings too, sharing their files, and its
derived images name the copy, not the version they came from."""

from __future__ import annotations

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from tests.catalogue.conftest import stored_keys
from tests.recordings.support import WAV, copy, new_set

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]


def test_a_new_version_copies_its_recordings_without_copying_bytes(
    django_user_model, storage, tmp_path
):
    owner = django_user_model.objects.create_user("station-owner")
    first = new_set(owner=owner, creators=[{"name": "Doe, Jane"}], version="1.0")
    services.ingest(first, [copy(WAV, tmp_path / "in")], actor=SYSTEM)
    first = services.publish_image_set(first, actor=SYSTEM)
    keys = stored_keys()
    draft = services.new_version(first, actor=owner)
    assert stored_keys() == keys  # no byte copied
    old, new = first.recordings.get(), draft.recordings.get()
    assert new.pk != old.pk
    assert (new.storage_key, new.sha256, new.derivation) == (
        old.storage_key,
        old.sha256,
        old.derivation,
    )
    assert sorted(draft.images.values_list("recording_id", flat=True)) == [new.pk] * 3
    assert sorted(first.images.values_list("recording_id", flat=True)) == [old.pk] * 3


def test_deleting_a_draft_set_deletes_its_recordings_files(
    storage, tmp_path, django_capture_on_commit_callbacks
):
    image_set = new_set()
    services.ingest(image_set, [copy(WAV, tmp_path / "in")], actor=SYSTEM)
    assert len(stored_keys()) == 10  # the recording, 3 spectrograms and their thumbnails
    with django_capture_on_commit_callbacks(execute=True):  # the files go after the commit
        services.delete_image_set(image_set, actor=SYSTEM)
    assert stored_keys() == set()
