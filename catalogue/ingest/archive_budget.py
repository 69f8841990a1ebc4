"""The limits one archive must stay within, and the count that holds it to them:
members, bytes the headers declare, bytes really read and the compression ratio, for
the archive and the archives opened inside it together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from catalogue.ingest.errors import IngestError

MIB = 2**20


@dataclass(frozen=True)
class ArchiveLimits:
    """How much one archive may cost; the defaults suit large image collections."""

    max_entries: int = 100_000  # members in one archive
    max_total_bytes: int = 20 * 2**30  # sum of real uncompressed bytes
    max_entry_bytes: int = 2 * 2**30  # one member
    max_ratio: float = 200.0  # uncompressed / compressed, whole archive


@dataclass
class Budget:
    """What one archive has handed out so far, shared by all its readers.

    The limits hold for the archive as a whole, so the count must too; and once
    the archive is over a limit, every reader and the iteration stop with it.
    A bundle opened inside the archive gets a budget of its own (`outer` set)
    that counts into the outer one, its `root`: one count for both levels.
    """

    archive_name: str
    limits: ArchiveLimits
    compressed: int = 1  # the archive's compressed size: the ratio's denominator
    declared: int = 0  # uncompressed bytes the headers claim so far
    total: int = 0  # uncompressed bytes really handed out so far
    entries: int = 0  # members listed so far
    serial: int = 0  # the TAR member the stream is at
    streamed: bool = False
    finished: bool = False
    failure: IngestError | None = None
    open_inside: Callable[[str], bool] | None = None  # which members to open in place
    outer: Budget | None = None  # the archive this one is a member of
    prefix: str = ""  # what this archive's member names come out under
    seen: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (archive, raw)

    @property
    def root(self) -> Budget:
        return self if self.outer is None else self.outer.root

    def inside(self, archive_name: str, prefix: str) -> Budget:
        """The budget of a bundle opened inside this archive: counts go to the root."""
        return Budget(archive_name, self.limits, outer=self, prefix=prefix)

    def count(self, members: int) -> None:
        """Count members (of every level): too many stop the whole archive."""
        root = self.root
        root.entries += members
        if root.entries > root.limits.max_entries:
            inside = " (with those of the archives inside it)" if root is not self else ""
            root._fail(f"has more than {root.limits.max_entries} members{inside}")

    def declare(self, size: int) -> None:
        """Stop early when the headers alone already claim too much."""
        root = self.root
        root.declared += max(size, 0)
        limits = root.limits
        if root.declared > limits.max_total_bytes:
            root._fail(
                f"declares {root.declared} bytes uncompressed, "
                f"over the limit of {limits.max_total_bytes} in total"
            )
        if root.declared >= MIB and root.declared / root.compressed > limits.max_ratio:
            ratio = root.declared / root.compressed
            root._fail(
                f"declares a compression ratio of {ratio:.0f}:1, "
                f"over the limit of {limits.max_ratio:g}:1 (zip bomb?)"
            )

    def spend(self, size: int) -> None:
        """Count bytes really handed out; headers can lie, this cannot."""
        root = self.root
        root.total += size
        limits = root.limits
        if root.total > limits.max_total_bytes:
            root._fail(f"expands past the limit of {limits.max_total_bytes} bytes in total")
        if root.total >= MIB and root.total / root.compressed > limits.max_ratio:
            root._fail(
                f"expands more than {limits.max_ratio:g} times its compressed size (zip bomb?)"
            )

    def check(self) -> None:
        """Refuse to go on once the archive is over a limit."""
        failure = self.root.failure
        if failure is not None:
            raise failure

    def ensure_current(self, serial: int, name: str) -> None:
        """A reader used out of turn is the caller's bug, not the upload's fault."""
        if self.finished:
            raise RuntimeError(f"{name}: the iteration has ended; read entries while iterating")
        if self.streamed and serial != self.serial:
            raise RuntimeError(
                f"{name}: a streamed TAR cannot go back; read each entry before the next"
            )

    def _fail(self, reason: str) -> None:
        self.failure = IngestError(self.archive_name, reason)
        raise self.failure
