"""The interface every publishing target implements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from curation.services.deposits import DepositRun


class TargetError(Exception):
    """The target refused the deposit for good (validation, quota, limits): the
    deposit fails with the target's messages, `errors` maps fields to them."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class TransientTargetError(Exception):
    """The target is down, slow or rate-limiting: try again after `retry_after` s."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Target:
    """A repository a set is published into.

    `deposit(run)` takes the steps its repository needs (create a draft, upload
    files, publish), recording each on `run` as it is done and skipping those
    already recorded, so a deposit resumed after a crash repeats nothing. It
    returns the DOI and the concept DOI it got (empty when the target mints none).
    """

    kind = ""
    mints_doi = False

    def __init__(self, name: str, **options: Any):
        self.name = name
        self.options = options

    def refuses(self, image_set) -> dict[str, list[str]]:
        """What this target cannot accept of a set, by field (before anything is sent)."""
        return {}

    def deposit(self, run: DepositRun) -> tuple[str, str]:
        raise NotImplementedError
