"""Web pages and file downloads of the catalogue."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from catalogue.ingest.imaging import IMAGE_TYPES
from catalogue.selectors import visible_image_sets, visible_images

# Files are data, never pages: nothing in them may run or load anything.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def home(request):
    sets = list(visible_image_sets(request.user).order_by("-created")[:50])
    for image_set in sets:
        image_set.strip = image_set.images.order_by("pk")[:8]
    return render(request, "catalogue/home.html", {"image_sets": sets})


@require_safe
def image_file(request, pk: int, variant: str = "original"):
    """An original or thumbnail, for callers allowed to see its set; 404 otherwise."""
    image = get_object_or_404(visible_images(request.user).select_related("image_set"), pk=pk)
    if variant == "original":
        key, media_type = image.storage_key, image.media_type
        download_name = image.file_name.rsplit("/", 1)[-1]
    elif variant in ("small", "medium"):
        key, media_type = getattr(image, f"thumbnail_{variant}"), "image/jpeg"
        download_name = f"{image.sha256[:16]}-{variant}.jpg"
    else:
        raise Http404("no such variant")
    if not key:
        raise Http404("no such file")
    inline = media_type in IMAGE_TYPES
    response = FileResponse(
        default_storage.open(key, "rb"),
        content_type=media_type if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=download_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["ETag"] = f'"{image.sha256}-{variant}"'
    if image.image_set.is_public():
        response["Cache-Control"] = "public, max-age=86400"
    else:
        response["Cache-Control"] = "private, max-age=300"
        response["Vary"] = "Cookie, Authorization"
    return response
