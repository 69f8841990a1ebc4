"""Resumable uploads over the API (catalogue/uploads/): start one, send it, ask what the
server holds, complete it (202: the worker ingests it), follow it, cancel it.

Local storage takes chunks the way tus does (PATCH with `Upload-Offset`, HEAD answers
the offset, a 409 names the right one, `Upload-Checksum: sha256 <base64>` per chunk,
422 when it does not match, where tus says 460, which is no HTTP status); S3 takes
parts through presigned URLs, each signed with the part's sha256, so S3 itself
refuses a part that does not match.
"""

from catalogue.api.uploads.serializers import upload_data
from catalogue.api.uploads.views import CompleteView, PartsView, StartUploadView, UploadView

__all__ = ["CompleteView", "PartsView", "StartUploadView", "UploadView", "upload_data"]
