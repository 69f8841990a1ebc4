"""Web pages and file downloads of the catalogue."""

import json

from django.core.files.storage import default_storage
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from catalogue import access, signposting
from catalogue.formats import rocrate
from catalogue.formats.registry import FORMATS
from catalogue.ingest.imaging import IMAGE_TYPES
from catalogue.landing import landing_context
from catalogue.landing.versions import latest_version, versions
from catalogue.search_pages import card_for_set
from catalogue.selectors import can_read_files, visible_image_sets, visible_images

# Files are data, never pages: nothing in them may run or load anything.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def home(request):
    """A search box, what the caller may see in numbers, and the newest public sets."""

    newest = (
        visible_image_sets(None)
        .annotate(n_images=Count("images"))
        .order_by("-created", "-pk")[:HOME_SETS]
    )
    context = {
        "cards": [card_for_set(request.user, image_set) for image_set in newest],
        "set_count": visible_image_sets(request.user).count(),
        "image_count": visible_images(request.user).count(),
        "form": {"q": ""},
    }
    return render(request, "catalogue/home.html", context)


HOME_SETS = 8


@require_safe
def image_file(request, pk: int, variant: str = "original"):
    """An original or thumbnail, for callers allowed to read its set's files (a set
    whose files are under embargo shows its metadata only); 404 otherwise."""
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
    etag = f'"{image.sha256}-{variant}"'
    # Asked again by a cache: the access check above has passed, the bytes are the same.
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:
        return file_caching(unchanged, image.image_set, etag)
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
    if variant == "original":
        response["Link"] = signposting.link_header(
            signposting.file_links(image.image_set, request.build_absolute_uri("/"))
        )
    return file_caching(response, image.image_set, etag)


def file_caching(response, image_set, etag: str):
    """Caches may keep a file but must ask again before each use (`no-cache`): the
    question passes the access check, so no cache serves a file after its set was
    restricted or embargoed, and an unchanged file costs a 304 without its bytes.
    Files nobody else may read stay out of shared caches."""
    response["ETag"] = etag
    if access.files_public(image_set):
        response["Cache-Control"] = "public, no-cache"
    else:
        response["Cache-Control"] = "private, no-cache"
        response["Vary"] = "Cookie, Authorization"
    return response


# --- FAIR: landing page with Signposting, metadata downloads, linkset ---------------


def _visible_set(request, uuid):
    return get_object_or_404(visible_image_sets(request.user), uuid=uuid)


def _readable_files(request, image_set) -> None:
    """Refuse (404) what lists or holds a set's files to a caller who may see its
    metadata only (its files are under embargo)."""
    if not can_read_files(request.user, image_set):
        raise Http404(access.REASONS[access.Action.READ_FILES])


def _private(response, image_set, *, files: bool = False) -> None:
    """Not cached by shared caches unless anybody may read it (its files, too, when
    the answer shows them or depends on who may read them)."""
    public = access.files_public(image_set) if files else access.is_public(image_set)
    if not public:
        response["Cache-Control"] = "private, max-age=300"
        response["Vary"] = "Cookie, Authorization"


@require_safe
def set_landing(request, uuid):
    """A set's landing page: citation, map, gallery, downloads; schema.org JSON-LD and
    Signposting links (Link header and <link> elements) for machines."""
    image_set = _visible_set(request, uuid)
    base = request.build_absolute_uri("/")
    files = can_read_files(request.user, image_set)
    context = landing_context(image_set, base=base, page=request.GET.get("page"), files=files)
    context.update(versions(request.user, image_set))
    response = render(request, "catalogue/landing.html", context)
    response["Link"] = signposting.link_header(context["links"])
    _private(response, image_set, files=True)
    return response


@require_safe
def set_latest(request, uuid):
    """The newest published version of the set's concept the caller may see (302), as a
    concept DOI resolves to the latest version; 404 when there is none."""
    image_set = _visible_set(request, uuid)
    newest = latest_version(request.user, image_set)
    if newest is None:
        raise Http404("no published version of this set")
    response = redirect("catalogue:set-landing", uuid=newest.uuid)
    # The answer changes when a version is published, and depends on who may see which.
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Cookie, Authorization"
    return response


@require_safe
def set_linkset(request, uuid):
    """The set's Signposting links, every file included, as an RFC 9264 linkset."""
    image_set = _visible_set(request, uuid)
    files = can_read_files(request.user, image_set)
    base = request.build_absolute_uri("/")
    body = json.dumps(signposting.linkset(image_set, base, files=files), indent=1)
    response = HttpResponse(body, content_type="application/linkset+json")
    _private(response, image_set, files=True)
    return response


@require_safe
def set_metadata(request, uuid, fmt: str):
    """The set's metadata in one format of `catalogue.formats.registry.FORMATS`."""
    metadata_format = FORMATS.get(fmt)
    if metadata_format is None:
        raise Http404("no such metadata format")
    image_set = _visible_set(request, uuid)
    if metadata_format.lists_images:
        _readable_files(request, image_set)
    base = request.build_absolute_uri("/")
    response = HttpResponse(
        metadata_format.render(image_set, base=base), content_type=metadata_format.content_type
    )
    response["Link"] = signposting.link_header(signposting.metadata_links(image_set, base))
    _private(response, image_set, files=metadata_format.lists_images)
    return response


@require_safe
def set_rocrate(request, uuid):
    """The set as an RO-Crate zip: its image files and metadata, streamed."""
    image_set = _visible_set(request, uuid)
    _readable_files(request, image_set)
    base = request.build_absolute_uri("/")
    crate = rocrate.build(image_set, base=base)
    response = StreamingHttpResponse(rocrate.stream_zip(crate), content_type=rocrate.MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{rocrate.download_name(image_set)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Link"] = signposting.link_header(signposting.metadata_links(image_set, base))
    _private(response, image_set, files=True)
    return response
