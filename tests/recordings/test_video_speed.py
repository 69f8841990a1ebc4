"""Frames of a video larger than the largest thumbnail: their thumbnails are made
from a preview the decoder scales (frames.py), and must be those Pillow would make
from the whole frame, in size and, within resampling differences, in pixels."""

from __future__ import annotations

import av
import numpy as np
import pytest
from django.core.files.storage import default_storage
from PIL import Image as PILImage

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.ingest.imaging import THUMBNAIL_SIZES
from catalogue.models import Recording
from catalogue.recordings import frames, limits
from tests.recordings.support import VIDEO, new_set

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]
SIZE = (800, 600)  # the real 320 x 240 video scaled up: larger than any thumbnail


def enlarged_video(folder, size=SIZE):
    """The real FlowCam video, each frame scaled to `size`, at its own rate and times."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "flowcam_large.mp4"
    with av.open(str(VIDEO)) as source, av.open(str(target), "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.bit_rate = 4_000_000
        for frame in source.decode(video=0):
            picture = frame.to_image().resize(size, PILImage.Resampling.BICUBIC)
            out.mux(stream.encode(av.VideoFrame.from_image(picture)))
        out.mux(stream.encode(None))
    return target


@pytest.mark.parametrize(
    ("width", "height"), [(800, 600), (1920, 1080), (1080, 1920), (513, 512), (2000, 3)]
)
def test_preview_size_is_the_size_pillow_gives(width, height):
    expected = PILImage.new("L", (width, height))
    expected.thumbnail((frames.PREVIEW_SIDE, frames.PREVIEW_SIDE))
    assert frames.preview_size(width, height) == expected.size


def test_previews_look_like_the_frames_they_come_from(tmp_path):
    path = enlarged_video(tmp_path)
    bounds = limits.current()
    info = frames.probe(path, path.name, bounds)
    sampled = list(frames.sample(path, path.name, info, {"mode": "rate", "rate": 1.0}, bounds))
    assert [round(f.time, 3) for f in sampled] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    for frame in sampled:
        assert frame.picture.size == SIZE and frame.picture.mode == "RGB"
        assert frame.preview.size == (512, 384) and frame.preview.mode == "RGB"
        by_pillow = frame.picture.resize((512, 384), PILImage.Resampling.BILINEAR)
        difference = np.abs(
            np.asarray(frame.preview, dtype=np.int16) - np.asarray(by_pillow, dtype=np.int16)
        )
        # Both are area filters: they differ by rounding and phase, not by content.
        assert difference.mean() < 3.0


def test_a_large_video_gets_thumbnails_of_the_usual_sizes(settings, tmp_path):
    settings.RECORDING_FRAMES = {"mode": "rate", "rate": 2.0}
    image_set = new_set()
    batch = services.ingest(image_set, [enlarged_video(tmp_path / "in")], actor=SYSTEM)
    assert (batch.status, batch.added, batch.rejected) == ("done", 1, [])
    recording = Recording.objects.get(image_set=image_set)
    images = list(recording.images.order_by("recording_start"))
    assert len(images) == 12
    for image in images:
        assert (image.width, image.height) == SIZE
        with default_storage.open(image.storage_key) as stream:
            assert PILImage.open(stream).size == SIZE
        for key, side in (
            (image.thumbnail_medium, THUMBNAIL_SIZES["medium"]),
            (image.thumbnail_small, THUMBNAIL_SIZES["small"]),
        ):
            with default_storage.open(key) as stream:
                thumbnail = PILImage.open(stream)
                assert thumbnail.format == "JPEG"
                assert thumbnail.size == (side, side * 3 // 4)
