"""What Celery beat runs, and how often: the portal's scheduled care.

Each entry names a task by its registered name, so this module imports no app code
and settings.py can read it. Periods come from the environment (seconds), with
defaults that suit the embedded default as well as a production deployment.
"""

from __future__ import annotations

from datetime import timedelta


def beat_schedule(periods: dict[str, int]) -> dict[str, dict]:
    """The beat schedule, one entry per task; a period of 0 leaves the task out."""
    entries = {
        # Embargo ends: the set opens through the services (search, OAI-PMH, caches follow).
        "lift-embargoes": ("catalogue.lift_embargoes", periods["embargo"]),
        # Fixity: a share of the stored files re-hashed each run, all within the period.
        "check-fixity": ("catalogue.check_fixity", periods["fixity"]),
        # Search: pending outbox entries indexed, then ids and revisions compared.
        "reconcile-search": ("catalogue.reconcile_search", periods["reconcile"]),
        # Uploads idle past their expiry: their staged bytes or S3 parts removed.
        "expire-uploads": ("catalogue.expire_uploads", periods["uploads"]),
        # Names that waited for WoRMS asked again.
        "match-pending-taxa": ("catalogue.match_pending_taxa", periods["taxa"]),
        # Expired sign-in sessions removed.
        "clear-sessions": ("aquacat.clear_sessions", periods["sessions"]),
        # Harvest sources whose own interval has passed harvested (from their last datestamp).
        "harvest-sources": ("catalogue.harvest_due_sources", periods["harvest"]),
        # The "more like this" index brought up to date with the embeddings written since.
        "update-similarity-index": ("inference.update_similarity_index", periods["similarity"]),
        # Deposits whose task was lost (a broker restarted) queued again.
        "resume-deposits": ("curation.resume_deposits", periods["deposits"]),
    }
    return {
        name: {"task": task, "schedule": timedelta(seconds=seconds)}
        for name, (task, seconds) in entries.items()
        if seconds > 0
    }
