"""Safe, streaming reading of uploaded ZIP and TAR archives.

Uploads may be hostile: names that climb out of the folder they are unpacked
into, links, zip bombs, headers that lie about sizes, corrupt or truncated data.
Every member is vetted before it is offered, and every byte handed out is
counted against `ArchiveLimits` as it comes out, so a hostile archive costs at
most the limits and ends in an `IngestError`, never a raw zipfile, tarfile or
zlib exception. Only the standard library is used.

An archive inside the archive is opened only where an instrument's export needs
it: a UVP6 export carries each sample as a `<sample>_Images.zip` (the images and
the EcoTaxa TSV beside them) inside the exported ZIP. Such a bundle is opened
one level deep, its members named under the bundle's name without `.zip` (as if
it were the folder it was made from), and every limit (members, bytes, ratio to
the outer archive's compressed size, names, links) counts both levels together.
Any other archive member comes out as a plain entry for the caller to refuse.

Read entries in order. A TAR (compressed or not) is streamed with tarfile's
``r|*`` mode, so that a .tar.gz is decompressed once, front to back: asking
`iter_archive` for its next item moves past the current member, and the current
member's reader can no longer be used. ZIP members could be read in any order
while the iteration lasts, but code that reads each entry before asking for the
next one works for both.
"""

from __future__ import annotations

import functools
import io
import lzma
import os
import re
import shutil
import stat
import struct
import tarfile
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO, Self, cast

from catalogue.ingest.archive_budget import MIB, ArchiveLimits, Budget
from catalogue.ingest.errors import IngestError

__all__ = ["ArchiveEntry", "ArchiveLimits", "is_archive", "is_image_bundle", "iter_archive"]


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_ZIP_KINDS = {
    stat.S_IFLNK: "symbolic link",
    stat.S_IFCHR: "device file",
    stat.S_IFBLK: "device file",
    stat.S_IFIFO: "FIFO",
    stat.S_IFSOCK: "socket",
}
# tarfile reads pax and GNU long-name headers whole into memory; real ones are small.
_TAR_METADATA_TYPES = (
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
)
_MAX_TAR_METADATA = MIB
_METADATA_FILES = {".ds_store", "thumbs.db"}
_DRIVE = re.compile(r"[A-Za-z]:")
_CHUNK = MIB
# EcoTaxa takes "**/*Images.zip" inside an import as a UVP6 bundle: <sample>_Images.zip.
_IMAGE_BUNDLE = re.compile(r".+_Images\.zip")

# What damaged data makes the standard library's readers raise.
_DATA_ERRORS = (
    zipfile.BadZipFile,
    tarfile.TarError,
    EOFError,
    OSError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
)
# ... and, in addition, what a damaged directory or header makes them raise.
_ARCHIVE_ERRORS = (
    *_DATA_ERRORS,
    zipfile.LargeZipFile,
    struct.error,
    NotImplementedError,
    RecursionError,
)


DEFAULT_LIMITS = ArchiveLimits()


@dataclass
class ArchiveEntry:
    """A regular file of the archive that passed the checks and may be read."""

    name: str  # the member's path, normalised to NFC, '/'-separated, relative
    size_hint: int | None  # the size the header claims (never trusted)
    open: Callable[[], BinaryIO] = field(repr=False)  # once; the reader enforces the limits


def is_archive(path_or_file: str | os.PathLike[str] | BinaryIO) -> bool:
    """Whether the content is a ZIP or a TAR (plain, gz, bz2, xz); names can lie.

    A file object is left where it was.
    """
    if isinstance(path_or_file, str | os.PathLike):
        with open(path_or_file, "rb") as fileobj:
            return _sniff(fileobj) is not None
    position = path_or_file.tell()
    try:
        return _sniff(path_or_file) is not None
    finally:
        path_or_file.seek(position)


def is_image_bundle(name: str) -> bool:
    """Whether a member is a UVP6 sample bundle (`<sample>_Images.zip`), opened in place."""
    return bool(_IMAGE_BUNDLE.fullmatch(name.rsplit("/", 1)[-1]))


def iter_archive(
    source: str | Path | BinaryIO,
    *,
    archive_name: str,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    open_inside: Callable[[str], bool] = is_image_bundle,
) -> Iterator[ArchiveEntry | IngestError]:
    """Yield, in archive order, an entry per readable regular file and an
    IngestError per member rejected on its own, so the caller can report it and
    go on with the rest.

    Raises IngestError(archive_name, ...) when the whole archive must stop: not
    an archive, a corrupt directory or header, too many members, or too many
    bytes, declared or really read. Readers raise IngestError too: named after
    the member when it is corrupt or too large, after the archive when the
    archive's total or ratio is exceeded (the iteration then stops as well).

    Members for which `open_inside(name)` holds (UVP6 image bundles by default)
    are opened in place, one level deep, their members yielded under the
    bundle's name less `.zip`; see the module's docstring. Nothing is opened
    inside an archive that is itself named as a bundle.

    Read each entry before asking for the next: TARs are streamed (see the
    module's docstring). A file object must be seekable and is read from its
    start; a path is opened here and closed when the iteration ends.
    """
    # A bundle uploaded on its own is the inner level already: nothing inside it is opened.
    inside = None if is_image_bundle(archive_name) else open_inside
    budget = Budget(archive_name, limits, open_inside=inside)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fileobj:
            yield from _iter_file(fileobj, budget)
    else:
        yield from _iter_file(source, budget)


def _iter_file(fileobj: BinaryIO, budget: Budget) -> Iterator[ArchiveEntry | IngestError]:
    try:
        if not fileobj.seekable():
            raise ValueError("iter_archive needs a seekable file")
        kind = _sniff(fileobj)
        if kind is None:
            raise IngestError(budget.archive_name, "not a ZIP or TAR archive")
        size = fileobj.seek(0, io.SEEK_END)
        fileobj.seek(0)
        budget.compressed = max(size, 1)
        if kind == "zip":
            yield from _iter_zip(fileobj, budget)
        else:
            yield from _iter_tar(fileobj, budget)
    finally:
        budget.finished = True


def _sniff(fileobj: BinaryIO) -> str | None:
    """'zip', 'tar' or None, by the first bytes (ZIP) or a readable first header (TAR)."""
    fileobj.seek(0)
    head = fileobj.read(4)
    fileobj.seek(0)
    if head in _ZIP_MAGIC:
        return "zip"
    try:
        found = tarfile.is_tarfile(fileobj)
    except _ARCHIVE_ERRORS:
        found = False
    fileobj.seek(0)
    return "tar" if found else None


def _iter_zip(fileobj: BinaryIO, budget: Budget) -> Iterator[ArchiveEntry | IngestError]:
    name = budget.archive_name
    try:
        archive = zipfile.ZipFile(fileobj)
    except _ARCHIVE_ERRORS as error:
        raise IngestError(name, f"corrupt ZIP archive: {error}") from error
    with archive:
        infos = archive.infolist()
        budget.count(len(infos))
        if budget.outer is None:
            # Entries may share (overlap) data, so the sum can exceed the file: take the smaller.
            budget.compressed = max(1, min(budget.compressed, sum(i.compress_size for i in infos)))
        budget.declare(sum(i.file_size for i in infos))
        for info in infos:
            budget.check()
            raw = info.orig_filename  # info.filename is cut at a NUL byte, hiding it
            mode = info.external_attr >> 16
            if raw.endswith(("/", "\\")) or stat.S_ISDIR(mode):
                continue
            item = _vet(raw, info.file_size, _zip_problem(info, mode), budget)
            if isinstance(item, str):
                opener = _opener(functools.partial(archive.open, info), item, budget, 0)
                yield from _offer(ArchiveEntry(item, info.file_size, opener), raw, budget)
            elif item is not None:
                yield item


def _offer(entry: ArchiveEntry, raw: str, budget: Budget) -> Iterator[ArchiveEntry | IngestError]:
    """The entry itself or, for a bundle to open in place (one level deep), its members."""
    open_inside = budget.root.open_inside
    if budget.outer is not None or open_inside is None or not open_inside(entry.name):
        yield entry
        return
    shown = f"{budget.archive_name}/{_shown(raw)}"
    # zipfile needs to seek, and a TAR stream cannot: the bundle is copied out first,
    # its bytes counted like any member's.
    with tempfile.TemporaryFile() as spool:
        try:
            with entry.open() as reader:
                shutil.copyfileobj(reader, spool, _CHUNK)
        except IngestError as error:
            budget.check()  # over a limit of the whole archive: stop it all
            yield error
            return
        stream = cast(BinaryIO, spool)
        if _sniff(stream) != "zip":
            yield IngestError(shown, "is named as an image bundle (*Images.zip) but is no ZIP")
            return
        inner = budget.inside(shown, prefix=entry.name[: -len(".zip")])
        try:
            yield from _iter_file(stream, inner)
        except IngestError as error:
            budget.check()
            yield error  # a damaged bundle is refused alone; the rest goes on


def _zip_problem(info: zipfile.ZipInfo, mode: int) -> str | None:
    """Why a ZIP member cannot be read, from its attributes, or None."""
    kind = stat.S_IFMT(mode)
    if kind and kind != stat.S_IFREG:
        return f"is a {_ZIP_KINDS.get(kind, 'special file')}, not a regular file"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if info.compress_type not in _ZIP_METHODS:
        # typeshed omits compressor_names (undocumented, present in every CPython 3).
        names = zipfile.compressor_names  # type: ignore[attr-defined]
        label = names.get(info.compress_type, "unknown")
        return f"uses unsupported compression method {info.compress_type} ({label})"
    return None


def _iter_tar(fileobj: BinaryIO, budget: Budget) -> Iterator[ArchiveEntry | IngestError]:
    name = budget.archive_name
    try:
        archive = tarfile.open(  # noqa: SIM115 - closed by the with below
            fileobj=fileobj,
            mode="r|*",
            tarinfo=_StrictTarInfo,
            encoding="utf-8",
            errors="surrogateescape",
        )
    except _ARCHIVE_ERRORS as error:
        raise IngestError(name, f"corrupt TAR archive: {error}") from error
    budget.streamed = True
    with archive:
        while True:
            budget.check()
            budget.serial += 1  # the previous member's reader is now stale
            try:
                info = archive.next()
            except _ARCHIVE_ERRORS as error:
                raise IngestError(name, f"corrupt TAR archive: {error}") from error
            if info is None:
                return
            # A stream is read once; keeping the headers only grows. (typeshed omits .members)
            archive.members.clear()  # type: ignore[attr-defined]
            budget.count(1)
            budget.declare(info.size)
            if info.isdir():
                continue
            item = _vet(info.name, info.size, _tar_problem(info), budget)
            if isinstance(item, str):
                make = functools.partial(archive.extractfile, info)
                entry = ArchiveEntry(item, info.size, _opener(make, item, budget, budget.serial))
                yield from _offer(entry, info.name, budget)
            elif item is not None:
                yield item


def _tar_problem(info: tarfile.TarInfo) -> str | None:
    """Why a TAR member cannot be read, from its type, or None."""
    if info.isreg():
        return None
    if info.issym():
        kind = "symbolic link"
    elif info.islnk():
        kind = "hard link"
    elif info.ischr() or info.isblk():
        kind = "device file"
    elif info.isfifo():
        kind = "FIFO"
    else:
        kind = "special file"
    return f"is a {kind}, not a regular file"


class _StrictTarInfo(tarfile.TarInfo):
    """A TarInfo that reports the damage tarfile would pass over quietly.

    tarfile takes a missing, cut-off or garbled header after the first as the end
    of the archive, so a truncated upload would lose its tail without a word; and
    it reads pax and GNU long-name headers whole into memory, whatever their size.
    """

    @classmethod
    def fromtarfile(cls, tar: tarfile.TarFile) -> Self:
        # The ignores below: typeshed omits tarfile's undocumented HeaderError subclasses.
        try:
            return super().fromtarfile(tar)
        except tarfile.EmptyHeaderError:  # type: ignore[attr-defined]
            if tar.offset == 0:
                raise
            raise tarfile.ReadError("truncated (no end-of-archive marker)") from None
        except tarfile.TruncatedHeaderError:  # type: ignore[attr-defined]
            if tar.offset == 0:
                raise
            raise tarfile.ReadError("truncated inside a header") from None
        except tarfile.InvalidHeaderError as error:  # type: ignore[attr-defined]
            if tar.offset == 0:
                raise
            raise tarfile.ReadError(f"damaged header at byte {tar.offset} ({error})") from None

    def _proc_member(self, tar: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _TAR_METADATA_TYPES and self.size > _MAX_TAR_METADATA:
            raise tarfile.ReadError(f"extended header of {self.size} bytes")
        # _proc_member is private, so typeshed omits it.
        return super()._proc_member(tar)  # type: ignore[misc]


def _vet(raw: str, size: int, problem: str | None, budget: Budget) -> str | IngestError | None:
    """The clean name of a member to offer, an IngestError rejecting it, or None
    to skip it quietly (operating-system clutter). Names are unique across levels."""
    shown = f"{budget.archive_name}/{_shown(raw)}"
    try:
        name = _clean_name(raw)
    except ValueError as error:
        return IngestError(shown, str(error))
    if _is_clutter(name):
        return None
    if problem:
        return IngestError(shown, problem)
    name = f"{budget.prefix}/{name}" if budget.prefix else name
    seen = budget.root.seen
    if name in seen:
        level, earlier = seen[name]
        if level != budget.archive_name:
            return IngestError(shown, f"comes out as {name!r}, as {level}/{earlier} does")
        if earlier == raw:
            return IngestError(shown, "duplicates an earlier member")
        return IngestError(shown, f"collides with {earlier!r} after Unicode NFC normalisation")
    if size > budget.limits.max_entry_bytes:
        limit = budget.limits.max_entry_bytes
        return IngestError(shown, f"declares {size} bytes, over the per-file limit of {limit}")
    seen[name] = (budget.archive_name, raw)
    return name


def _clean_name(raw: str) -> str:
    """The member's path as NFC, '/'-separated and relative, or ValueError(why not).

    Normalising first means the checks see the name that will be used: NFC can
    turn characters into others (U+037E becomes ';').
    """
    if not raw:
        raise ValueError("empty name")
    if "\x00" in raw:
        raise ValueError("name contains a NUL byte")
    for char in raw:
        category = unicodedata.category(char)
        if category == "Cc":
            raise ValueError("name contains a control character")
        if category == "Cs":
            raise ValueError("name is not valid UTF-8")
    name = unicodedata.normalize("NFC", raw).replace("\\", "/")
    if name.startswith("/"):
        raise ValueError("absolute path")
    if _DRIVE.match(name):
        raise ValueError("absolute path (Windows drive)")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    # Windows drops trailing dots and spaces, so '.. ' or '...' would climb too.
    if any(".." in part and not part.strip(". ") for part in parts):
        raise ValueError("path escapes the archive ('..' component)")
    if not parts:
        raise ValueError("empty name")
    return "/".join(parts)


def _is_clutter(name: str) -> bool:
    """macOS and Windows metadata that archivers add and nobody means to upload."""
    parts = name.split("/")
    base = parts[-1]
    return "__MACOSX" in parts or base.startswith("._") or base.lower() in _METADATA_FILES


def _shown(raw: str) -> str:
    """The raw name, with control characters escaped so it is safe in messages and logs."""
    return "".join(
        ascii(char)[1:-1] if unicodedata.category(char) in ("Cc", "Cs") else char for char in raw
    )


def _damage(error: BaseException) -> str:
    """A reason for a member whose data the decompressor or the checks refused."""
    text = str(error)
    if "CRC" in text:
        return "corrupt data (CRC-32 mismatch)"
    if isinstance(error, EOFError) or "unexpected end of data" in text:
        return "truncated data"
    return f"corrupt data: {text or type(error).__name__}"


def _opener(
    make_stream: Callable[[], IO[bytes] | None], member: str, budget: Budget, serial: int
) -> Callable[[], BinaryIO]:
    """ArchiveEntry.open: a counting reader of the member, once."""
    inside = member.removeprefix(f"{budget.prefix}/") if budget.prefix else member
    name = f"{budget.archive_name}/{inside}"
    opened = False

    def open_member() -> BinaryIO:
        nonlocal opened
        if opened:
            raise RuntimeError(f"{name}: already opened; a member can be read only once")
        budget.check()
        budget.ensure_current(serial, name)
        opened = True
        try:
            stream = make_stream()
        except (*_DATA_ERRORS, NotImplementedError) as error:
            raise IngestError(name, _damage(error)) from error
        if stream is None:  # not a regular file after all; vetted earlier, so unexpected
            raise IngestError(name, "is not a regular file")
        return cast(BinaryIO, _MemberReader(stream, name, budget, serial))

    return open_member


class _MemberReader(io.RawIOBase):
    """A member's bytes, counted as they come out rather than as the headers claim.

    It never asks the decompressor for more than one byte past the size limits,
    so whatever the headers say a member stops there; and it turns the
    decompressors' errors into IngestErrors naming the member.
    """

    def __init__(self, stream: IO[bytes], name: str, budget: Budget, serial: int):
        self._stream = stream
        self._name = name
        self._budget = budget
        self._serial = serial
        self._count = 0
        self._failure: IngestError | None = None
        super().__init__()

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if size is None or size < 0:
            return self.readall()
        if size == 0:
            return b""
        budget, limits = self._budget, self._budget.limits
        if self._failure is not None:
            raise self._failure
        budget.check()
        budget.ensure_current(self._serial, self._name)
        want = min(
            size,
            limits.max_entry_bytes - self._count + 1,
            limits.max_total_bytes - budget.root.total + 1,
        )
        try:
            data = self._stream.read(want)
        except _DATA_ERRORS as error:
            self._failure = IngestError(self._name, _damage(error))
            raise self._failure from error
        self._count += len(data)
        budget.spend(len(data))
        if self._count > limits.max_entry_bytes:
            reason = f"expands past the per-file limit of {limits.max_entry_bytes} bytes"
            self._failure = IngestError(self._name, reason)
            raise self._failure
        return data

    def readall(self) -> bytes:
        chunks = bytearray()
        while chunk := self.read(_CHUNK):
            chunks += chunk
        return bytes(chunks)

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            try:
                self._stream.close()
            finally:
                super().close()
