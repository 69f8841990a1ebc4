"""A recording's file, downloaded as it came, for callers allowed to read its set's
files (catalogue/access.py, through recordings.selectors); 404 otherwise."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from catalogue.recordings.selectors import recording_for
from catalogue.views import FILE_CSP, file_caching


@require_safe
def recording_file(request, pk: int):
    recording = recording_for(request.user, pk)
    etag = f'"{recording.sha256}-recording"'
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:
        return file_caching(unchanged, recording.image_set, etag)
    # Always an attachment: a browser plays it from the file, never runs it in the page.
    response = FileResponse(
        default_storage.open(recording.storage_key, "rb"),
        content_type=recording.media_type,
        as_attachment=True,
        filename=recording.file_name.rsplit("/", 1)[-1],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return file_caching(response, recording.image_set, etag)
