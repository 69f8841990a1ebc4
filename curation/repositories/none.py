"""No repository: the embedded default. Publishing freezes the set; its landing
page is its identifier, and there is no DOI."""

from __future__ import annotations

from curation.repositories.base import Target


class NoTarget(Target):
    kind = "none"

    def deposit(self, run) -> tuple[str, str]:
        run.record("no repository: the landing page is the identifier")
        return "", ""
