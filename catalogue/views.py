"""Web pages and file downloads of the catalogue."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from catalogue import access
from catalogue.ingest.imaging import IMAGE_TYPES
from catalogue.selectors import visible_image_sets, visible_images

# Files are data, never pages: nothing in them may run or load anything.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def home(request):
    """A search box, what the caller may see in numbers, and the newest public sets."""
    from django.db.models import Count

    from catalogue.search_pages import card_for_set

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
    if variant == "original":
        from catalogue import signposting

        response["Link"] = signposting.link_header(
            signposting.file_links(image.image_set, request.build_absolute_uri("/"))
        )
    if access.is_public(image.image_set):
        response["Cache-Control"] = "public, max-age=86400"
    else:
        response["Cache-Control"] = "private, max-age=300"
        response["Vary"] = "Cookie, Authorization"
    return response


# --- FAIR: landing page with Signposting, metadata downloads, linkset ---------------


def _visible_set(request, uuid):
    return get_object_or_404(visible_image_sets(request.user), uuid=uuid)


def _private(response, image_set) -> None:
    if not access.is_public(image_set):
        response["Cache-Control"] = "private, max-age=300"
        response["Vary"] = "Cookie, Authorization"


@require_safe
def set_landing(request, uuid):
    """A set's landing page: citation, map, gallery, downloads; schema.org JSON-LD and
    Signposting links (Link header and <link> elements) for machines."""
    from catalogue import signposting
    from catalogue.landing import landing_context

    image_set = _visible_set(request, uuid)
    base = request.build_absolute_uri("/")
    context = landing_context(image_set, base=base, page=request.GET.get("page"))
    response = render(request, "catalogue/landing.html", context)
    response["Link"] = signposting.link_header(context["links"])
    _private(response, image_set)
    return response


@require_safe
def set_linkset(request, uuid):
    import json

    from django.http import HttpResponse

    from catalogue import signposting

    image_set = _visible_set(request, uuid)
    body = json.dumps(signposting.linkset(image_set, request.build_absolute_uri("/")), indent=1)
    response = HttpResponse(body, content_type="application/linkset+json")
    _private(response, image_set)
    return response


@require_safe
def set_metadata(request, uuid, fmt: str):
    """The set's metadata in one format (see catalogue.signposting.METADATA_FORMATS)."""
    import json

    from django.http import HttpResponse

    from catalogue import signposting
    from catalogue.formats import (
        citation,
        coco,
        datacite,
        dcat,
        dublin_core,
        ecotaxa,
        ifdo,
        schema_org,
    )

    if fmt not in signposting.METADATA_FORMATS:
        raise Http404("no such metadata format")
    image_set = _visible_set(request, uuid)
    base = request.build_absolute_uri("/")
    writers = {
        "datacite.xml": lambda: datacite.to_xml(image_set, base=base),
        "datacite.json": lambda: json.dumps(datacite.to_json(image_set, base=base), indent=2),
        "jsonld": lambda: schema_org.to_json(image_set, base=base),
        "dc.xml": lambda: dublin_core.to_xml(image_set, base=base),
        "dcat.ttl": lambda: dcat.to_turtle(image_set, base=base),
        "dcat.rdf": lambda: dcat.to_rdfxml(image_set, base=base),
        "bib": lambda: citation.bibtex(image_set, base=base),
        "ris": lambda: citation.ris(image_set, base=base),
        "csl.json": lambda: citation.csl_json_text(image_set, base=base),
        "txt": lambda: citation.text(image_set, base=base) + "\n",
        "ecotaxa.tsv": lambda: ecotaxa.to_tsv(image_set, base=base),
        "ifdo.yaml": lambda: ifdo.to_yaml(image_set, base=base),
        "ifdo.json": lambda: ifdo.to_json(image_set, base=base),
        "coco.json": lambda: coco.to_json(image_set, base=base),
    }
    media_type = signposting.METADATA_FORMATS[fmt]
    charset = "" if media_type.endswith("+xml") or fmt == "dc.xml" else "; charset=utf-8"
    response = HttpResponse(writers[fmt](), content_type=media_type + charset)
    response["Link"] = signposting.link_header(
        [{"href": common_landing(image_set, base), "rel": "describes", "type": "text/html"}]
    )
    _private(response, image_set)
    return response


@require_safe
def set_rocrate(request, uuid):
    """The set as an RO-Crate zip: its image files and metadata, streamed."""
    from django.http import StreamingHttpResponse

    from catalogue import signposting
    from catalogue.formats import rocrate

    image_set = _visible_set(request, uuid)
    base = request.build_absolute_uri("/")
    crate = rocrate.build(image_set, base=base)
    response = StreamingHttpResponse(rocrate.stream_zip(crate), content_type=rocrate.MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{rocrate.download_name(image_set)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Link"] = signposting.link_header(
        [{"href": common_landing(image_set, base), "rel": "describes", "type": "text/html"}]
    )
    _private(response, image_set)
    return response


def common_landing(image_set, base):
    from catalogue.formats import common

    return common.landing_url(image_set, base)
