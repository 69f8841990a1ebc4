"""Every write to the catalogue goes through a function of this package. The
entry points take the acting user (`actor`) and enforce catalogue.access:

- image_sets: create, change, curators, reviewers, delete
- ingest: files into a set
- publication: draft -> publishing -> published (or back to a draft)
- versions: a draft of the next version of a published set

Their internal steps take no actor (the entry point has checked it):

- images: image rows of an ingest, sidecar metadata applied to them
- coverage: a set's bounding box, time and depth derived from its images
- enrichment: model predictions recorded on images (by inference workers)
- tombstones: OAI-PMH tombstones kept in step with access
"""

from catalogue.access import SYSTEM
from catalogue.services.image_sets import (
    action_for_update,
    create_image_set,
    delete_image_set,
    set_curators,
    set_reviewers,
    update_image_set,
)
from catalogue.services.ingest import ingest
from catalogue.services.publication import publish_image_set
from catalogue.services.versions import new_version

__all__ = [
    "SYSTEM",
    "action_for_update",
    "create_image_set",
    "delete_image_set",
    "ingest",
    "new_version",
    "publish_image_set",
    "set_curators",
    "set_reviewers",
    "update_image_set",
]
