"""Safe archive reading: real images round-trip, hostile archives are refused by name.

Every archive is built here, with zipfile/tarfile, or by patching their bytes
where the libraries refuse to write the hostile thing. No database, no services.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import struct
import tarfile
import unicodedata
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.ingest.archive_budget import Budget
from catalogue.ingest.archives import (
    ArchiveEntry,
    ArchiveLimits,
    _MemberReader,
    is_archive,
    iter_archive,
)
from catalogue.ingest.errors import IngestError
from catalogue.ingest.expansion import Expander
from catalogue.ingest.outcomes import Outcome, discard
from catalogue.ingest.sources import resolve
from curation.models import Annotation
from tests.catalogue.conftest import DEMO_IMAGES

IMAGES = DEMO_IMAGES  # the real FlowCam demo images shipped in the repository


# --- helpers ---------------------------------------------------------------------------------


def sample_images() -> dict[str, bytes]:
    """A few real FlowCam JPEGs, under their class folder, as the archive will name them."""
    found = {}
    for folder in sorted(IMAGES.glob("*"))[:3]:
        for path in sorted(folder.glob("*.jpg"))[:2]:
            found[f"{folder.name}/{path.name}"] = path.read_bytes()
    if not found:
        pytest.skip(f"no sample images under {IMAGES}")
    return found


def write_zip(path: Path, members, compression=zipfile.ZIP_DEFLATED) -> Path:
    """members: (name or ZipInfo, bytes) pairs."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def write_tar(path: Path, members, mode: str = "w:gz") -> Path:
    """members: (name or TarInfo, bytes) pairs; a TarInfo keeps its type (link, FIFO...)."""
    with tarfile.open(path, mode) as archive:
        for member, data in members:
            info = member if isinstance(member, tarfile.TarInfo) else tarfile.TarInfo(member)
            if info.isreg():
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                archive.addfile(info)
    return path


def special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def collect(source, name: str = "up.zip", **limits) -> list:
    """Everything the iteration yields: (name, bytes) for entries, read at once, or errors."""
    out: list = []
    for item in iter_archive(source, archive_name=name, limits=ArchiveLimits(**limits)):
        if isinstance(item, IngestError):
            out.append(item)
        else:
            with item.open() as reader:
                out.append((item.name, reader.read()))
    return out


def collect_refused(source, name: str, **limits) -> IngestError:
    """The IngestError that collecting the whole archive must raise."""
    with pytest.raises(IngestError) as caught:
        collect(source, name, **limits)
    return caught.value


def names_until_refused(source, name: str, **limits) -> tuple[list[str], IngestError]:
    """The names iterating the archive yields before the IngestError it must raise,
    and that error."""
    got = []
    with pytest.raises(IngestError) as caught:
        for item in iter_archive(source, archive_name=name, limits=ArchiveLimits(**limits)):
            got.append(item.name)
    return got, caught.value


def read_refused(entry) -> IngestError:
    """The IngestError that reading the entry must raise."""
    with entry.open() as reader, pytest.raises(IngestError) as caught:
        reader.read()
    return caught.value


def errors(items) -> list[tuple[str, str]]:
    return [(item.name, item.reason) for item in items if isinstance(item, IngestError)]


def entries(items) -> dict[str, bytes]:
    return dict(item for item in items if not isinstance(item, IngestError))


def raw_zip(name: bytes, data: bytes) -> bytes:
    """A one-member stored ZIP, by hand: zipfile will not write an empty name or a NUL."""
    crc, size = zlib.crc32(data), len(data)
    # flags (UTF-8 names), method (stored), time, date, CRC, sizes, name and extra lengths
    common = (0x800, 0, 0, 0x21, crc, size, size, len(name), 0)
    local = struct.pack("<I H HHHHIIIHH", 0x04034B50, 20, *common) + name
    central = struct.pack("<I HH HHHHIIIHH HHHII", 0x02014B50, 20, 20, *common, 0, 0, 0, 0, 0)
    central += name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + size, 0)
    return local + data + central + end


def patch_zip(data: bytes, **fields) -> bytes:
    """Rewrite header fields of a one-member ZIP, in the local and the central header.

    zipfile refuses to write encrypted members, unknown methods or lying sizes.
    """
    local = {"flag": (6, "<H"), "method": (8, "<H"), "crc": (14, "<I"), "size": (22, "<I")}
    central = {"flag": (8, "<H"), "method": (10, "<H"), "crc": (16, "<I"), "size": (24, "<I")}
    buf = bytearray(data)
    at_local, at_central = buf.index(b"PK\x03\x04"), buf.rindex(b"PK\x01\x02")
    for key, value in fields.items():
        struct.pack_into(local[key][1], buf, at_local + local[key][0], value)
        struct.pack_into(central[key][1], buf, at_central + central[key][0], value)
    return bytes(buf)


# --- round trips -----------------------------------------------------------------------------


def test_zip_round_trip_of_real_images(tmp_path):
    images = sample_images()
    archive = write_zip(tmp_path / "images.zip", [("Actinoptychus/", b""), *images.items()])

    names = []
    for item in iter_archive(archive, archive_name="images.zip"):
        assert isinstance(item, ArchiveEntry)
        assert item.size_hint == len(images[item.name])
        with item.open() as reader:
            assert reader.read() == images[item.name]
        names.append(item.name)

    assert names == list(images)  # archive order, directory skipped


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_round_trip_of_real_images(tmp_path, mode):
    images = sample_images()
    archive = write_tar(tmp_path / "images.tar", images.items(), mode)

    got = []
    for item in iter_archive(archive, archive_name="images.tar"):
        assert isinstance(item, ArchiveEntry)
        with item.open() as reader:
            chunks = []
            while chunk := reader.read(1000):  # small reads stream, never the whole member
                chunks.append(chunk)
        got.append((item.name, b"".join(chunks)))

    assert got == list(images.items())


def test_reader_works_as_a_binary_file(tmp_path):
    images = sample_images()
    archive = write_tar(tmp_path / "images.tar.bz2", images.items(), "w:bz2")

    for item in iter_archive(archive, archive_name="images.tar.bz2"):
        copy = io.BytesIO()
        with item.open() as reader:
            assert reader.readable() and not reader.seekable()
            shutil.copyfileobj(io.BufferedReader(reader), copy)  # readinto, as buffers use it
        assert copy.getvalue() == images[item.name]


def test_file_objects_are_read_from_their_start(tmp_path):
    images = sample_images()
    data = write_zip(tmp_path / "images.zip", images.items()).read_bytes()
    upload = io.BytesIO(data)
    upload.seek(len(data))  # as after computing a checksum

    assert entries(collect(upload)) == images


def test_is_archive_sniffs_content_not_names(tmp_path):
    jpeg = next(iter(sample_images().values()))
    zipped = write_zip(tmp_path / "photo.jpg", [("a.jpg", jpeg)])  # a ZIP named .jpg
    tarred = write_tar(tmp_path / "data.bin", [("a.jpg", jpeg)], "w:xz")
    picture = tmp_path / "pictures.zip"  # a JPEG named .zip
    picture.write_bytes(jpeg)
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")

    assert is_archive(zipped) and is_archive(str(tarred))
    assert not is_archive(picture) and not is_archive(empty)
    upload = io.BytesIO(tarred.read_bytes())
    upload.seek(7)
    assert is_archive(upload) and upload.tell() == 7  # left where it was
    assert not is_archive(io.BytesIO(b"just text, long enough to look at " * 20))


def test_not_an_archive_stops_the_whole_upload(tmp_path):
    picture = tmp_path / "photo.zip"
    picture.write_bytes(next(iter(sample_images().values())))

    with pytest.raises(IngestError) as caught:
        list(iter_archive(picture, archive_name="photo.zip"))

    assert (caught.value.name, caught.value.reason) == ("photo.zip", "not a ZIP or TAR archive")


# --- names -----------------------------------------------------------------------------------

HOSTILE_NAMES = [
    ("../evil.jpg", "path escapes the archive ('..' component)"),
    ("good/../../evil.jpg", "path escapes the archive ('..' component)"),
    ("..\\..\\evil.jpg", "path escapes the archive ('..' component)"),
    ("good\\..\\..\\evil.jpg", "path escapes the archive ('..' component)"),
    ("good/.. /evil.jpg", "path escapes the archive ('..' component)"),
    ("/etc/passwd", "absolute path"),
    ("\\\\server\\share\\evil.jpg", "absolute path"),
    ("\\evil.jpg", "absolute path"),
    ("C:\\Windows\\evil.jpg", "absolute path (Windows drive)"),
    ("c:evil.jpg", "absolute path (Windows drive)"),
    ("bell\x07.jpg", "name contains a control character"),
    ("line\nbreak.jpg", "name contains a control character"),
]


@pytest.mark.parametrize(("raw", "reason"), HOSTILE_NAMES)
@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_hostile_names_are_rejected_and_the_rest_goes_on(tmp_path, kind, raw, reason):
    members = [("before.jpg", b"1"), (raw, b"evil"), ("after.jpg", b"2")]
    if kind == "zip":
        archive = write_zip(tmp_path / "up.zip", members)
    else:
        archive = write_tar(tmp_path / "up.zip", members)

    items = collect(archive)

    shown = raw.replace("\x07", "\\x07").replace("\n", "\\n")
    assert errors(items) == [(f"up.zip/{shown}", reason)]
    assert entries(items) == {"before.jpg": b"1", "after.jpg": b"2"}


def test_nul_byte_in_a_zip_name_is_not_hidden(tmp_path):
    archive = tmp_path / "nul.zip"  # zipfile would cut the name at the NUL, hiding '.exe'
    archive.write_bytes(raw_zip(b"evil.jpg\x00.exe", b"MZ"))

    assert errors(collect(archive, "nul.zip")) == [
        ("nul.zip/evil.jpg\\x00.exe", "name contains a NUL byte")
    ]


@pytest.mark.parametrize(("raw", "shown"), [("", ""), (".", "."), ("./", "./"), ("a/../", "a/../")])
def test_empty_names_are_rejected(tmp_path, raw, shown):
    archive = tmp_path / "up.zip"
    archive.write_bytes(raw_zip(raw.encode(), b"1"))
    if raw.endswith("/"):  # a directory entry: skipped, whatever its name
        assert collect(archive) == []
    else:
        assert errors(collect(archive)) == [(f"up.zip/{shown}", "empty name")]


def test_dot_and_empty_components_are_dropped(tmp_path):
    archive = write_zip(tmp_path / "up.zip", [("./a//b.jpg", b"3"), ("c/./d.jpg", b"4")])

    assert entries(collect(archive)) == {"a/b.jpg": b"3", "c/d.jpg": b"4"}


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_nfc_collision_is_rejected(tmp_path, kind):
    composed, decomposed = "caf\u00e9.jpg", "cafe\u0301.jpg"
    members = [(composed, b"first"), (decomposed, b"second")]
    if kind == "zip":
        archive = write_zip(tmp_path / "up.zip", members)
    else:
        archive = write_tar(tmp_path / "up.zip", members, "w")

    items = collect(archive)

    assert entries(items) == {composed: b"first"}
    assert errors(items) == [
        (f"up.zip/{decomposed}", f"collides with {composed!r} after Unicode NFC normalisation")
    ]


def test_decomposed_names_come_out_as_nfc(tmp_path):
    archive = write_zip(tmp_path / "up.zip", [("Ame\u0301lie/cafe\u0301.jpg", b"x")])

    [(name, _)] = collect(archive)

    assert name == "Am\u00e9lie/caf\u00e9.jpg"


def test_exact_duplicates_are_rejected(tmp_path):
    archive = write_tar(tmp_path / "up.tar", [("a.jpg", b"1"), ("a.jpg", b"2")], "w")

    items = collect(archive, "up.tar")

    assert entries(items) == {"a.jpg": b"1"}
    assert errors(items) == [("up.tar/a.jpg", "duplicates an earlier member")]


def test_macos_and_windows_clutter_is_skipped_silently(tmp_path):
    archive = write_zip(
        tmp_path / "up.zip",
        [
            ("photos/", b""),
            ("photos/a.jpg", b"real"),
            ("__MACOSX/photos/._a.jpg", b"appledouble"),
            ("__MACOSX/../../evil", b"a name is checked before clutter is skipped"),
            ("photos/._a.jpg", b"appledouble"),
            ("photos/.DS_Store", b"finder"),
            ("Thumbs.db", b"explorer"),
        ],
    )

    items = collect(archive)

    assert entries(items) == {"photos/a.jpg": b"real"}
    assert errors(items) == [
        ("up.zip/__MACOSX/../../evil", "path escapes the archive ('..' component)")
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.text(), kind=st.sampled_from(["zip", "tar"]))
def test_any_name_is_rejected_or_comes_out_safe(raw, kind):
    buf = io.BytesIO()
    if kind == "zip":
        buf.write(raw_zip(raw.encode("utf-8"), b"data"))
    else:
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as archive:
            info = tarfile.TarInfo(raw)
            info.size = 4
            archive.addfile(info, io.BytesIO(b"data"))
    buf.seek(0)

    for item in iter_archive(buf, archive_name="prop"):
        if isinstance(item, IngestError):
            assert item.name.startswith("prop/") and item.reason
            continue
        name = item.name
        assert name and name == unicodedata.normalize("NFC", name)
        assert not name.startswith("/") and "\\" not in name
        assert ".." not in name.split("/") and "" not in name.split("/")
        assert not re.match(r"[A-Za-z]:", name)  # no Windows drive
        assert all(unicodedata.category(char) not in ("Cc", "Cs") for char in name)
        with item.open() as reader:
            assert reader.read() == b"data"


# --- links and special files -----------------------------------------------------------------


def test_links_and_special_files_in_tar_are_rejected(tmp_path):
    archive = write_tar(
        tmp_path / "up.tar.gz",
        [
            (special("sym.jpg", tarfile.SYMTYPE, "/etc/passwd"), b""),
            ("real.jpg", b"real"),
            (special("hard.jpg", tarfile.LNKTYPE, "real.jpg"), b""),
            (special("pipe", tarfile.FIFOTYPE), b""),
            (special("tty", tarfile.CHRTYPE), b""),
            (special("disk", tarfile.BLKTYPE), b""),
            (special("folder", tarfile.DIRTYPE), b""),
        ],
    )

    items = collect(archive, "up.tar.gz")

    assert entries(items) == {"real.jpg": b"real"}
    assert errors(items) == [
        ("up.tar.gz/sym.jpg", "is a symbolic link, not a regular file"),
        ("up.tar.gz/hard.jpg", "is a hard link, not a regular file"),
        ("up.tar.gz/pipe", "is a FIFO, not a regular file"),
        ("up.tar.gz/tty", "is a device file, not a regular file"),
        ("up.tar.gz/disk", "is a device file, not a regular file"),
    ]


def test_symlink_in_zip_is_rejected(tmp_path):
    link = zipfile.ZipInfo("link.jpg")
    link.create_system = 3  # Unix: the high 16 bits of external_attr are st_mode
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = write_zip(tmp_path / "up.zip", [(link, b"/etc/passwd"), ("real.jpg", b"real")])

    items = collect(archive)

    assert errors(items) == [("up.zip/link.jpg", "is a symbolic link, not a regular file")]
    assert entries(items) == {"real.jpg": b"real"}


# --- encryption, methods, corruption ---------------------------------------------------------


def test_encrypted_zip_member_is_rejected(tmp_path):
    data = write_zip(tmp_path / "x.zip", [("secret.jpg", b"x" * 100)]).read_bytes()
    archive = tmp_path / "enc.zip"
    archive.write_bytes(patch_zip(data, flag=0x1))

    assert errors(collect(archive, "enc.zip")) == [("enc.zip/secret.jpg", "is encrypted")]


def test_unsupported_compression_method_is_named(tmp_path):
    data = write_zip(tmp_path / "x.zip", [("odd.jpg", b"x" * 100)]).read_bytes()
    archive = tmp_path / "odd.zip"
    archive.write_bytes(patch_zip(data, method=9))

    assert errors(collect(archive, "odd.zip")) == [
        ("odd.zip/odd.jpg", "uses unsupported compression method 9 (deflate64)")
    ]


def test_corrupt_crc_is_reported_by_the_reader(tmp_path):
    payload = b"pixels" * 100
    data = bytearray(
        write_zip(tmp_path / "x.zip", [("a.jpg", payload)], zipfile.ZIP_STORED).read_bytes()
    )
    at = data.index(payload)
    data[at + 10] ^= 0xFF
    archive = tmp_path / "crc.zip"
    archive.write_bytes(bytes(data))

    items = iter_archive(archive, archive_name="crc.zip")  # kept alive while reading
    entry = next(items)
    error = read_refused(entry)

    assert (error.name, error.reason) == (
        "crc.zip/a.jpg",
        "corrupt data (CRC-32 mismatch)",
    )


def test_corrupt_deflate_stream_is_reported_by_the_reader(tmp_path):
    payload = os.urandom(1000) + b"pixels" * 1000
    data = bytearray(write_zip(tmp_path / "x.zip", [("a.jpg", payload)]).read_bytes())
    start = 30 + len("a.jpg")  # the local header, then the compressed data
    data[start : start + 64] = b"\xff" * 64
    archive = tmp_path / "bad.zip"
    archive.write_bytes(bytes(data))

    error = collect_refused(archive, "bad.zip")

    assert error.name == "bad.zip/a.jpg"
    assert error.reason.startswith("corrupt data")


def test_truncated_zip_stops_the_archive(tmp_path):
    data = write_zip(tmp_path / "x.zip", sample_images().items()).read_bytes()
    archive = tmp_path / "cut.zip"
    archive.write_bytes(data[: len(data) // 2])

    error = collect_refused(archive, "cut.zip")

    assert error.name == "cut.zip"
    assert error.reason.startswith("corrupt ZIP archive: ")


def test_truncated_member_of_a_tar_gz_is_reported_by_the_reader(tmp_path):
    data = write_tar(tmp_path / "x.tar.gz", [("noise.bin", os.urandom(200_000))]).read_bytes()
    archive = tmp_path / "cut.tar.gz"
    archive.write_bytes(data[: len(data) // 2])

    items = iter_archive(archive, archive_name="cut.tar.gz")  # kept alive while reading
    entry = next(items)
    error = read_refused(entry)

    assert (error.name, error.reason) == ("cut.tar.gz/noise.bin", "truncated data")


def test_tar_cut_between_members_is_not_taken_as_complete(tmp_path):
    data = write_tar(
        tmp_path / "x.tar", [("a.jpg", b"a" * 600), ("b.jpg", b"b" * 600)], "w"
    ).read_bytes()
    archive = tmp_path / "cut.tar"
    archive.write_bytes(data[: 512 + 1024])  # a.jpg's header and data, then nothing

    got, error = names_until_refused(archive, "cut.tar")

    assert got == ["a.jpg"]
    assert error.name == "cut.tar"
    assert error.reason == "corrupt TAR archive: truncated (no end-of-archive marker)"


# --- bombs, lying headers, counts ------------------------------------------------------------


def test_huge_tar_extended_header_is_refused_before_it_is_read(tmp_path):
    info = tarfile.TarInfo("a.jpg")
    info.pax_headers = {"comment": "x" * (2 * 2**20)}  # tarfile would read it whole
    archive = write_tar(tmp_path / "pax.tar.gz", [(info, b"")])

    error = collect_refused(archive, "pax.tar.gz")

    assert error.name == "pax.tar.gz"
    assert error.reason.startswith("corrupt TAR archive: extended header of 2097")


@pytest.mark.parametrize(("name", "write"), [("bomb.zip", write_zip), ("bomb.tar.gz", write_tar)])
def test_bomb_is_stopped_by_its_ratio(tmp_path, name, write):
    archive = write(tmp_path / name, [("zeros.bin", bytes(50 * 2**20))])

    error = collect_refused(archive, name, max_ratio=100)

    assert error.name == name
    assert "over the limit of 100:1 (zip bomb?)" in error.reason


def test_total_declared_size_stops_the_archive(tmp_path):
    archive = write_zip(tmp_path / "big.zip", [("a.bin", b"a" * 600), ("b.bin", b"b" * 600)])

    error = collect_refused(archive, "big.zip", max_total_bytes=1000)

    assert error.name == "big.zip"
    assert error.reason == "declares 1200 bytes uncompressed, over the limit of 1000 in total"


def test_member_declaring_too_much_is_rejected_alone(tmp_path):
    archive = write_tar(tmp_path / "up.tar", [("big.bin", b"x" * 2000), ("ok.jpg", b"ok")])

    items = collect(archive, "up.tar", max_entry_bytes=1000)

    assert errors(items) == [
        ("up.tar/big.bin", "declares 2000 bytes, over the per-file limit of 1000")
    ]
    assert entries(items) == {"ok.jpg": b"ok"}


def test_zip_header_that_lies_about_its_size_gives_no_more(tmp_path):
    # The headers claim 10 bytes; the member holds 100 000. zipfile stops at the claim,
    # and the CRC (of the whole) then fails: a clean rejection, not 100 000 bytes.
    payload = b"0123456789" * 10_000
    data = write_zip(tmp_path / "x.zip", [("big.bin", payload)]).read_bytes()
    archive = tmp_path / "lie.zip"
    archive.write_bytes(patch_zip(data, size=10))

    items = iter_archive(archive, archive_name="lie.zip")  # kept alive while reading
    entry = next(items)
    assert entry.size_hint == 10
    error = read_refused(entry)

    assert (error.name, error.reason) == (
        "lie.zip/big.bin",
        "corrupt data (CRC-32 mismatch)",
    )


def test_tar_header_that_lies_about_its_size_is_caught(tmp_path):
    # The header claims 10 bytes of a 2000-byte member: the rest reads as a garbled header.
    data = bytearray(write_tar(tmp_path / "x.tar", [("big.bin", b"x" * 2000)], "w").read_bytes())
    data[124:136] = b"%011o\x00" % 10
    data[148:156] = b" " * 8
    data[148:156] = b"%06o\x00 " % sum(data[:512])
    archive = tmp_path / "lie.tar"
    archive.write_bytes(bytes(data))

    got = []
    with pytest.raises(IngestError) as caught:
        for item in iter_archive(archive, archive_name="lie.tar"):
            with item.open() as reader:
                got.append((item.name, item.size_hint, reader.read()))

    assert got == [("big.bin", 10, b"x" * 10)]
    assert caught.value.name == "lie.tar"
    assert caught.value.reason.startswith("corrupt TAR archive: damaged header at byte 1024")


def test_counting_reader_counts_real_bytes_per_member():
    budget = Budget("a.zip", ArchiveLimits(max_entry_bytes=1000), compressed=10**9)
    reader = _MemberReader(io.BytesIO(b"x" * 5000), "a.zip/m.bin", budget, 0)

    assert reader.read(1000) == b"x" * 1000  # exactly at the limit is fine
    with pytest.raises(IngestError) as caught:
        reader.read(1)

    assert (caught.value.name, caught.value.reason) == (
        "a.zip/m.bin",
        "expands past the per-file limit of 1000 bytes",
    )
    with pytest.raises(IngestError):
        reader.read(1)  # and stays failed
    assert budget.total == 1001  # it asked for no more than one byte past the limit


def test_counting_reader_counts_real_bytes_across_the_archive():
    budget = Budget("a.zip", ArchiveLimits(max_total_bytes=1500), compressed=10**9)
    first = _MemberReader(io.BytesIO(b"x" * 1000), "a.zip/1.bin", budget, 0)
    second = _MemberReader(io.BytesIO(b"y" * 1000), "a.zip/2.bin", budget, 0)

    assert first.read() == b"x" * 1000
    with pytest.raises(IngestError) as caught:
        second.read()

    assert (caught.value.name, caught.value.reason) == (
        "a.zip",
        "expands past the limit of 1500 bytes in total",
    )
    with pytest.raises(IngestError):
        first.read(1)  # every reader of the archive stops


def test_counting_reader_enforces_the_ratio_once_a_mib_is_read():
    budget = Budget("bomb.zip", ArchiveLimits(max_ratio=200), compressed=1000)
    reader = _MemberReader(io.BytesIO(bytes(4 * 2**20)), "bomb.zip/zeros", budget, 0)

    assert len(reader.read(2**20 - 1)) == 2**20 - 1  # ratio ~1000, but under 1 MiB
    with pytest.raises(IngestError) as caught:
        reader.read(10)

    assert (caught.value.name, caught.value.reason) == (
        "bomb.zip",
        "expands more than 200 times its compressed size (zip bomb?)",
    )


def test_too_many_zip_members_stop_the_archive_up_front(tmp_path):
    archive = write_zip(tmp_path / "many.zip", [(f"{i}.jpg", b"x") for i in range(11)])

    got, error = names_until_refused(archive, "many.zip", max_entries=10)

    assert got == []
    assert (error.name, error.reason) == ("many.zip", "has more than 10 members")


def test_too_many_tar_members_stop_the_stream_early(tmp_path):
    archive = write_tar(tmp_path / "many.tar.gz", [(f"{i}.jpg", b"x") for i in range(50)])

    got, error = names_until_refused(archive, "many.tar.gz", max_entries=10)

    assert got == [f"{i}.jpg" for i in range(10)]
    assert (error.name, error.reason) == ("many.tar.gz", "has more than 10 members")


# --- streaming contract ----------------------------------------------------------------------


def test_a_member_can_be_opened_only_once(tmp_path):
    archive = write_zip(tmp_path / "up.zip", [("a.jpg", b"a")])

    for item in iter_archive(archive, archive_name="up.zip"):
        with item.open() as reader:
            assert reader.read() == b"a"
        with pytest.raises(RuntimeError, match="only once"):
            item.open()


def test_streamed_tar_entries_must_be_read_in_order(tmp_path):
    archive = write_tar(tmp_path / "up.tar.gz", [("a.jpg", b"a" * 10_000), ("b.jpg", b"b")])
    iterator = iter_archive(archive, archive_name="up.tar.gz")

    first = next(iterator)
    reader = first.open()
    assert reader.read(10) == b"a" * 10
    second = next(iterator)

    with pytest.raises(RuntimeError, match="cannot go back"):
        reader.read(10)
    with second.open() as current:
        assert current.read() == b"b"


def test_readers_refuse_after_the_iteration_ends(tmp_path):
    archive = write_zip(tmp_path / "up.zip", [("a.jpg", b"a")])

    [entry] = list(iter_archive(archive, archive_name="up.zip"))

    with pytest.raises(RuntimeError, match="iteration has ended"):
        entry.open()


# --- UVP6 image bundles: one archive inside the archive, one level deep ----------------------

SAMPLES16 = Path(__file__).parent / "samples16"
UVP6_EXPORT = SAMPLES16 / "uvp6_export.zip"  # see samples16/README.md


def zip_bytes(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP in memory; members: (name or ZipInfo, bytes) pairs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_uvp6_export_is_opened_one_level_deep():
    with zipfile.ZipFile(UVP6_EXPORT) as outer:
        inner_bytes = outer.read("flowcam_demo_Images.zip")
    with zipfile.ZipFile(io.BytesIO(inner_bytes)) as inner:
        expected = {f"flowcam_demo_Images/{n}": inner.read(n) for n in inner.namelist()}

    items = collect(UVP6_EXPORT, "uvp6_export.zip")

    assert errors(items) == []
    got = entries(items)
    assert got == expected  # every byte as packed, named as the folder the bundle was made from
    assert "flowcam_demo_Images/ecotaxa_flowcam_demo.tsv" in got
    assert sum(name.endswith(".jpg") for name in got) == 5


def test_uvp6_bundle_counts_members_across_both_levels(tmp_path):
    inner = zip_bytes([(f"sub1/{i}.jpg", b"x") for i in range(8)])
    archive = write_zip(tmp_path / "up.zip", [("a.jpg", b"a"), ("s_Images.zip", inner)])

    # 2 outer members + 8 inner ones: 10 pass, 9 do not.
    assert len(entries(collect(archive, max_entries=10))) == 9
    got, error = names_until_refused(archive, "up.zip", max_entries=9)

    assert got == ["a.jpg"]
    assert (error.name, error.reason) == (
        "up.zip",
        "has more than 9 members (with those of the archives inside it)",
    )


def test_nested_zip_bomb_is_stopped_by_the_outer_ratio(tmp_path):
    # The bundle itself is small and looks harmless; its member expands 50 MiB.
    inner = zip_bytes([("zeros.bin", bytes(50 * 2**20))])
    archive = write_zip(tmp_path / "bomb.zip", [("s_Images.zip", inner)], zipfile.ZIP_STORED)

    error = collect_refused(archive, "bomb.zip", max_ratio=100)

    assert error.name == "bomb.zip"
    assert "over the limit of 100:1 (zip bomb?)" in error.reason


def test_bundle_member_whose_header_lies_gives_no_more(tmp_path):
    inner = patch_zip(zip_bytes([("zeros.bin", bytes(50 * 2**20))]), size=10)
    archive = write_zip(tmp_path / "lie.zip", [("s_Images.zip", inner)], zipfile.ZIP_STORED)

    for entry in iter_archive(archive, archive_name="lie.zip"):
        with entry.open() as reader, pytest.raises(IngestError) as caught:
            reader.read()

    # zipfile stops at the lying size and the CRC then fails: no 50 MiB come out.
    assert (caught.value.name, caught.value.reason) == (
        "lie.zip/s_Images.zip/zeros.bin",
        "corrupt data (CRC-32 mismatch)",
    )


def test_total_bytes_count_both_levels(tmp_path):
    inner = zip_bytes([("a.bin", b"a" * 600)], zipfile.ZIP_STORED)
    archive = write_zip(tmp_path / "up.zip", [("b.bin", b"b" * 300), ("s_Images.zip", inner)])

    error = collect_refused(archive, "up.zip", max_total_bytes=1000)

    assert error.name == "up.zip"
    assert error.reason.startswith("declares ")
    assert error.reason.endswith("over the limit of 1000 in total")


def test_hostile_names_inside_a_bundle_are_refused_and_the_rest_goes_on(tmp_path):
    link = zipfile.ZipInfo("link.jpg")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    inner = zip_bytes(
        [("../evil.jpg", b"e"), ("/etc/cron.d/x", b"c"), (link, b"/etc/passwd"), ("ok.jpg", b"k")]
    )
    archive = write_zip(tmp_path / "up.zip", [("s_Images.zip", inner), ("top.jpg", b"t")])

    items = collect(archive)

    assert errors(items) == [
        ("up.zip/s_Images.zip/../evil.jpg", "path escapes the archive ('..' component)"),
        ("up.zip/s_Images.zip//etc/cron.d/x", "absolute path"),
        ("up.zip/s_Images.zip/link.jpg", "is a symbolic link, not a regular file"),
    ]
    assert entries(items) == {"s_Images/ok.jpg": b"k", "top.jpg": b"t"}


def test_a_bundle_inside_a_bundle_is_not_opened(tmp_path):
    deepest = zip_bytes([("a.jpg", b"a")])
    inner = zip_bytes([("t_Images.zip", deepest)])
    archive = write_zip(tmp_path / "up.zip", [("s_Images.zip", inner)])

    items = collect(archive)

    # Handed out as it is, for the caller to refuse as an archive inside an archive.
    assert entries(items) == {"s_Images/t_Images.zip": deepest}


def test_other_archives_inside_are_not_opened(tmp_path):
    other = zip_bytes([("a.jpg", b"a")])
    archive = write_zip(tmp_path / "up.zip", [("other.zip", other), ("images.zip", other)])

    assert entries(collect(archive)) == {"other.zip": other, "images.zip": other}


def test_a_damaged_bundle_is_refused_alone(tmp_path):
    archive = write_zip(
        tmp_path / "up.zip",
        [
            ("s_Images.zip", b"PK\x03\x04 not really"),
            ("t_Images.zip", b"plain text"),
            ("a.jpg", b"a"),
        ],
    )

    items = collect(archive)

    assert [name for name, _ in errors(items)] == ["up.zip/s_Images.zip", "up.zip/t_Images.zip"]
    assert errors(items)[0][1].startswith("corrupt ZIP archive")
    assert errors(items)[1][1] == "is named as an image bundle (*Images.zip) but is no ZIP"
    assert entries(items) == {"a.jpg": b"a"}


def test_a_bundle_in_a_tar_export_is_opened_while_the_stream_waits(tmp_path):
    inner = zip_bytes([("sub1/a.jpg", b"a"), ("ecotaxa_s.tsv", b"img_file_name\n")])
    archive = write_tar(tmp_path / "up.tar.gz", [("s_Images.zip", inner), ("z.jpg", b"z")])

    assert entries(collect(archive, "up.tar.gz")) == {
        "s_Images/sub1/a.jpg": b"a",
        "s_Images/ecotaxa_s.tsv": b"img_file_name\n",
        "z.jpg": b"z",
    }


def test_bundle_members_must_not_come_out_as_an_outer_member(tmp_path):
    inner = zip_bytes([("a.jpg", b"inner")])
    archive = write_zip(
        tmp_path / "up.zip", [("s_Images/a.jpg", b"outer"), ("s_Images.zip", inner)]
    )

    items = collect(archive)

    assert errors(items) == [
        (
            "up.zip/s_Images.zip/a.jpg",
            "comes out as 's_Images/a.jpg', as up.zip/s_Images/a.jpg does",
        )
    ]


def test_opening_bundles_can_be_turned_off(tmp_path):
    inner = zip_bytes([("a.jpg", b"a")])
    archive = write_zip(tmp_path / "up.zip", [("s_Images.zip", inner)])

    items = list(iter_archive(archive, archive_name="up.zip", open_inside=lambda name: False))

    assert [item.name for item in items] == ["s_Images.zip"]


# --- what ingestion makes of them (catalogue/ingest/expansion.py) ----------------------------


def expand(source: Path, workdir: Path) -> tuple[dict[str, bytes], dict[str, str], list]:
    """What the ingest's first stage makes of a file or folder: candidates (name ->
    bytes), rejections (name -> reason) and the sidecars it parsed."""
    expander = Expander(workdir)
    candidates: dict[str, bytes] = {}
    refused: dict[str, str] = {}
    for item in expander.expand(resolve(str(source))):
        if isinstance(item, Outcome):
            refused[item.name] = item.reason
        else:
            candidates[item.name] = item.path.read_bytes()
            discard(item)
    return candidates, refused, expander.sidecars


def test_uvp6_export_gives_its_images_and_its_tsv(tmp_path):
    work = tmp_path / "work"
    work.mkdir()

    candidates, refused, found = expand(UVP6_EXPORT, work)

    assert refused == {}
    images = sorted(name for name in candidates if name.endswith(".jpg"))
    assert len(images) == 5
    assert all(name.startswith("flowcam_demo_Images/sub") for name in images)
    [tsv] = found
    assert tsv.name == "flowcam_demo_Images/ecotaxa_flowcam_demo.tsv"
    # The TSV names images relative to itself; each is one of the bundle's images.
    assert {f"flowcam_demo_Images/{name}" for name in tsv.images} == set(images)


def test_uvp6_bundle_in_an_uploaded_folder_is_opened(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    with zipfile.ZipFile(UVP6_EXPORT) as outer:
        (folder / "flowcam_demo_Images.zip").write_bytes(outer.read("flowcam_demo_Images.zip"))
    work = tmp_path / "work"
    work.mkdir()

    candidates, refused, found = expand(folder, work)

    assert refused == {}
    images = [name for name in candidates if name.endswith(".jpg")]
    assert len(images) == 5
    # Named as in the exported zip: under the folder the bundle stands for.
    assert all(name.startswith("flowcam_demo_Images/sub") for name in images)
    assert [sidecar.name for sidecar in found] == ["flowcam_demo_Images/ecotaxa_flowcam_demo.tsv"]


def test_any_other_archive_inside_an_archive_stays_refused(tmp_path):
    images = sample_images()
    name, data = next(iter(images.items()))
    other = zip_bytes([("a.jpg", data)])
    deeper = zip_bytes([("b_Images.zip", zip_bytes([("b.jpg", data)]))])
    archive = write_zip(
        tmp_path / "up.zip", [("more.zip", other), ("s_Images.zip", deeper), (name, data)]
    )
    work = tmp_path / "work"
    work.mkdir()

    candidates, refused, _ = expand(archive, work)

    assert refused == {
        "more.zip": "an archive inside an archive",
        "s_Images/b_Images.zip": "an archive inside an archive",
    }
    assert candidates == {name: data}


@pytest.mark.django_db
def test_uvp6_export_is_ingested_with_its_tsv():
    image_set = services.create_image_set(title="UVP6 point B", actor=SYSTEM)

    batch = services.ingest(image_set, [str(UVP6_EXPORT)], actor=SYSTEM)

    assert batch.added == 5
    assert [entry for entry in batch.rejected if "ecotaxa" in entry["name"]] == []
    images = list(image_set.images.order_by("file_name"))
    assert [image.file_name.split("/")[1] for image in images] == ["sub1"] * 3 + ["sub2"] * 2
    assert {(image.latitude, image.longitude) for image in images} == {(43.6833, 7.3167)}
    assert sorted(image.depth for image in images) == [194.63, 196.13, 197.63, 199.13, 200.63]
    labels = Annotation.objects.filter(image__image_set=image_set).values_list(
        "label__name", flat=True
    )
    assert sorted(labels) == ["Ciliophora"] * 3 + ["Tripos"] * 2


@pytest.mark.django_db
def test_nested_bomb_upload_is_stopped_and_named(tmp_path):
    inner = zip_bytes([("zeros.bin", bytes(300 * 2**20))])
    images = sample_images()
    archive = write_zip(
        tmp_path / "bomb.zip", [*images.items(), ("s_Images.zip", inner)], zipfile.ZIP_STORED
    )
    image_set = services.create_image_set(title="Bomb", actor=SYSTEM)

    batch = services.ingest(image_set, [str(archive)], actor=SYSTEM)

    reasons = [entry["reason"] for entry in batch.rejected if entry["name"] == "bomb.zip"]
    assert len(reasons) == 1 and "(zip bomb?)" in reasons[0]
    # The members before the bundle came in; nothing of the bundle did.
    assert set(image_set.images.values_list("file_name", flat=True)) <= set(images)


def test_nothing_is_opened_inside_a_bundle_given_on_its_own(tmp_path):
    deeper = zip_bytes([("a.jpg", b"a")])
    bundle = write_zip(tmp_path / "s_Images.zip", [("t_Images.zip", deeper), ("b.jpg", b"b")])

    assert entries(collect(bundle, "export/s_Images.zip")) == {
        "t_Images.zip": deeper,
        "b.jpg": b"b",
    }
