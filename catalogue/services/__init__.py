"""Every write to the catalogue goes through a function of this package; each
takes the acting user and enforces catalogue.access.

- image_sets: create, change, curators, delete
- ingest: files into a set
- tombstones: OAI-PMH tombstones kept in step with access
"""

from catalogue.access import SYSTEM
from catalogue.services.image_sets import (
    create_image_set,
    delete_image_set,
    set_curators,
    update_image_set,
)
from catalogue.services.ingest import ingest

__all__ = [
    "SYSTEM",
    "create_image_set",
    "delete_image_set",
    "ingest",
    "set_curators",
    "update_image_set",
]
