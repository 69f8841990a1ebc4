"""Each recording's content claimed once per ingest batch, across its processes.

Two files of the same recording in one batch (the same sha256) are found as soon as
the second is hashed, before it is decoded: the first to claim the content in the
batch's claims folder (a temporary folder of the ingest) decodes it, the others are
duplicates of it. A file of the folder is the claim, made with a hard link, which
the file system makes or refuses at once, so two ingest processes cannot both win.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def claim(claims: Path, sha256: str, name: str) -> str | None:
    """Claim a recording's content for this file of the batch, across the ingest's
    processes; the name of the file that claimed it first, None when this one did.
    A hard link is made or refused at once (atomically), so two identical files
    decoded in parallel cannot both win."""
    claims.mkdir(exist_ok=True)
    descriptor, draft = tempfile.mkstemp(dir=claims, prefix=".claim-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(name)
        os.link(draft, claims / sha256)
    except FileExistsError:
        return (claims / sha256).read_text(encoding="utf-8")
    finally:
        os.unlink(draft)
    return None
