"""Where a set is published: one client per target behind one interface.

A target is named in settings (`PUBLISH_TARGETS`, a JSON object of name ->
{"kind": ..., options}); with none configured (the embedded default) a set is
published without a repository: frozen, its landing page as its identifier,
no DOI. `target_for(name)` resolves a curator's choice, naming the field at
fault when it cannot.
"""

from __future__ import annotations

from django.conf import settings

from catalogue.errors import FieldError
from curation.repositories.base import Target, TargetError, TransientTargetError
from curation.repositories.datacite import DataCiteTarget
from curation.repositories.invenio import InvenioTarget
from curation.repositories.none import NoTarget

KINDS: dict[str, type[Target]] = {
    "none": NoTarget,
    "invenio": InvenioTarget,
    "datacite": DataCiteTarget,
}

__all__ = [
    "KINDS",
    "NoTarget",
    "Target",
    "TargetError",
    "TransientTargetError",
    "configured",
    "target_for",
]


def configured() -> dict[str, dict]:
    return dict(settings.PUBLISH_TARGETS)


def target_for(name: str | None) -> Target:
    """The target called `name`; without a name the only one configured, or no
    repository at all when none is."""
    targets = configured()
    if not name:
        if not targets:
            return NoTarget("")
        if len(targets) == 1:
            name = next(iter(targets))
        else:
            raise FieldError("target", f"choose one of: {', '.join(sorted(targets))}")
    if name not in targets:
        known = ", ".join(sorted(targets)) or "none is configured"
        raise FieldError("target", f"no publishing target {name!r} ({known})")
    options = dict(targets[name])
    kind = options.pop("kind", "")
    if kind not in KINDS:
        raise FieldError("target", f"target {name!r} has an unknown kind {kind!r}")
    return KINDS[kind](name, **options)
