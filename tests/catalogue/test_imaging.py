"""Type sniffing, decoding, EXIF and thumbnails on real images and crafted hostile ones."""

import io
from datetime import UTC, datetime

import pytest
from django.test import override_settings
from PIL import Image

from catalogue.ingest.errors import IngestError
from catalogue.ingest.imaging import check_name, describe, process_image, sniff
from tests.catalogue.conftest import jpeg_with_exif, real_jpegs


def save_as(image: Image.Image, path, fmt: str, **options):
    image.save(path, fmt, **options)
    return path


def test_sniff_allowed_types(tmp_path):
    source = Image.open(real_jpegs(1)[0]).convert("RGB")
    for fmt, media_type in [
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("TIFF", "image/tiff"),
        ("WEBP", "image/webp"),
    ]:
        buffer = io.BytesIO()
        source.save(buffer, fmt)
        assert sniff(buffer.getvalue()[:64]) == media_type


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script>", "an HTML document"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">', "an SVG image"),
        (b"%PDF-1.7\n", "a PDF document"),
        (b"GIF89a\x01\x00", "a GIF image"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"", "an empty file"),
        (b"hello world", "not a JPEG, PNG, TIFF or WebP image"),
    ],
)
def test_refused_content_is_described(head, what):
    assert sniff(head) is None
    assert describe(head).startswith(what)


def test_name_must_agree_with_content():
    check_name("a/b/diatom.JPG", "image/jpeg")
    check_name("no-suffix", "image/png")
    with pytest.raises(IngestError, match=r"the name says '\.png' but the content is JPEG"):
        check_name("diatom.png", "image/jpeg")
    with pytest.raises(IngestError, match=r"the name says '\.html'"):
        check_name("page.html", "image/jpeg")


def test_real_jpeg_is_described_and_thumbnailed(settings):
    path = real_jpegs(1)[0]
    result = process_image(str(path), path.name, "image/jpeg")
    with Image.open(path) as original:
        assert (result.width, result.height) == original.size
    assert result.frames == 1
    for size_name, limit in (("medium", 512), ("small", 128)):
        thumb = Image.open(io.BytesIO(result.thumbnails[size_name]))
        assert thumb.format == "JPEG"
        assert max(thumb.size) <= limit


def test_large_jpeg_thumbnails_are_bounded(tmp_path):
    big = Image.open(real_jpegs(1)[0]).convert("RGB").resize((2400, 1600))
    path = save_as(big, tmp_path / "big.jpg", "JPEG", quality=90)
    result = process_image(str(path), "big.jpg", "image/jpeg")
    assert (result.width, result.height) == (2400, 1600)
    assert Image.open(io.BytesIO(result.thumbnails["medium"])).size == (512, 341)
    assert Image.open(io.BytesIO(result.thumbnails["small"])).size == (128, 85)


def test_exif_time_and_gps_with_depth(tmp_path):
    when = datetime(2024, 6, 3, 10, 15, 30)
    path = jpeg_with_exif(
        real_jpegs(1)[0], tmp_path / "gps.jpg", lat=51.2325, lon=-2.9261, depth=12.5, when=when
    )
    result = process_image(str(path), "gps.jpg", "image/jpeg")
    assert result.latitude == pytest.approx(51.2325, abs=1e-6)
    assert result.longitude == pytest.approx(-2.9261, abs=1e-6)
    assert result.depth == pytest.approx(12.5)
    assert result.captured_at == when.replace(tzinfo=UTC)
    assert result.exif["GPSLatitudeRef"] == "N"
    assert result.exif["DateTimeOriginal"] == "2024:06:03 10:15:30"


def test_sixteen_bit_tiff(tmp_path):
    gray = Image.open(real_jpegs(1)[0]).convert("L")
    wide = gray.convert("I").point(lambda v: v * 200).convert("I;16")
    path = save_as(wide, tmp_path / "scan.tif", "TIFF")
    result = process_image(str(path), "scan.tif", "image/tiff")
    assert result.mode.startswith("I;16")
    thumb = Image.open(io.BytesIO(result.thumbnails["small"]))
    low, high = thumb.getextrema()
    assert high > 200 and low < 50  # stretched to the data's own range, not black


def test_multi_page_tiff(tmp_path):
    frames = [Image.open(p).convert("RGB") for p in real_jpegs(3)]
    path = tmp_path / "stack.tif"
    frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:])
    assert process_image(str(path), "stack.tif", "image/tiff").frames == 3


def test_png_with_alpha_and_webp(tmp_path):
    rgba = Image.open(real_jpegs(1)[0]).convert("RGBA")
    png = save_as(rgba, tmp_path / "alpha.png", "PNG")
    webp = save_as(rgba, tmp_path / "x.webp", "WEBP")
    assert process_image(str(png), "alpha.png", "image/png").mode == "RGBA"
    assert process_image(str(webp), "x.webp", "image/webp").width == rgba.width


def test_decompression_bomb_is_refused(tmp_path):
    bomb = save_as(Image.new("1", (20_000, 20_000)), tmp_path / "bomb.png", "PNG")
    assert bomb.stat().st_size < 200_000
    with (
        override_settings(INGEST_MAX_PIXELS=100_000_000),
        pytest.raises(IngestError, match="decompression bomb") as caught,
    ):
        process_image(str(bomb), "bomb.png", "image/png")
    assert caught.value.name == "bomb.png"
    assert "400000000 pixels" in caught.value.reason


def test_truncated_jpeg_is_refused(tmp_path):
    data = real_jpegs(1)[0].read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="corrupt or truncated image") as caught:
        process_image(str(path), "cut.jpg", "image/jpeg")
    assert caught.value.name == "cut.jpg"


def test_garbage_after_a_jpeg_header_is_refused(tmp_path):
    path = tmp_path / "fake.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 200)
    with pytest.raises(IngestError) as caught:
        process_image(str(path), "fake.jpg", "image/jpeg")
    assert caught.value.name == "fake.jpg"


def test_a_turned_jpeg_is_described_upright(tmp_path):
    """EXIF orientation 6 (a camera held on its side): width and height as the image
    is seen, as its thumbnails and annotation coordinates are."""
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "turned.jpg"
    Image.new("RGB", (400, 100), "navy").save(path, "JPEG", exif=exif)
    result = process_image(str(path), path.name, "image/jpeg")
    assert (result.width, result.height) == (100, 400)
    thumbnail = Image.open(io.BytesIO(result.thumbnails["small"]))
    assert thumbnail.height > thumbnail.width
