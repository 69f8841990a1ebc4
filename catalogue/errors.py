"""The error types every layer shares: a field at fault, and access refused.

A `FieldError` names the input at fault and the reason; the API answers it as a
problem with that field, the pages show it beside the field. An `AccessError`
says why an action on a set was refused; the API (catalogue/api/problems.py)
and the pages (aquacat/middleware.py) each map it to a status in one place.
"""

from __future__ import annotations


class FieldError(ValueError):
    """An input is invalid: `field` names it, `reason` says why."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class AccessError(Exception):
    """An action on a set was refused; `status` is the HTTP status it maps to."""

    status = 403

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NotVisible(AccessError):
    """The actor may not see the set: for them it does not exist."""

    status = 404


class NotAllowed(AccessError):
    """The actor may see the set but not do this to it."""

    status = 403


class WrongState(AccessError):
    """The set's state does not allow this (a new version of a draft, say)."""

    status = 409


class Immutable(WrongState):
    """The set is frozen: published, or being published."""


class Changed(WrongState):
    """What the request was based on changed meanwhile (another reviewer, a model):
    `current` holds the present state, so the client can show it and decide again."""

    def __init__(self, reason: str, current: list[dict]):
        super().__init__(reason)
        self.current = current
