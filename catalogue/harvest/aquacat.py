"""Reading another AquaCat's REST API (/api/v1/, our own schema) as an anonymous
visitor (or with the source's token, for its rate: catalogue/harvest/tokens.py; what
is taken stays what a visitor sees): its published sets, then the images of each new
or changed set and their validated labels. Files stay there: an image keeps links to
its original, its thumbnails and its place on the set's landing page (a curator may
have them copied here: catalogue/services/external_copies.py).

- sets: GET image-sets/?state=published&source=local (cursor pages; `source=local`
  leaves out that catalogue's own harvested copies), research_infrastructure= as the
  source's set;
- a set: GET image-sets/<id>/ (its taxa, polygon, related identifiers, funding);
- its images: GET images/?image_set=<id>; labels: GET annotations/?image_set=<id>&
  status=validated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import requests
from django.urls import reverse

from catalogue.harvest.invenio import get

SET_PAGE = 200  # the API's largest page (API_MAX_PAGE_SIZE)
IMAGE_PAGE = 200
ANNOTATION_PAGE = 500  # the review grid's page (curation/api/annotations.py)


def api_root(base_url: str) -> str:
    """The API of an AquaCat named by its site (or by its API) URL."""
    base = base_url.rstrip("/")
    return base if base.endswith("/api/v1") else f"{base}/api/v1"


def site_root(base_url: str) -> str:
    return api_root(base_url).removesuffix("/api/v1")


def landing_page(base_url: str, uuid: str) -> str:
    """The set's landing page there (the same route as ours: the same software)."""
    return site_root(base_url) + reverse("catalogue:set-landing", args=[uuid])


def pages(session: requests.Session, url: str, params: dict) -> Iterator[list[dict]]:
    """The rows of a cursor-paginated list, page by page."""
    next_url: str | None = url
    query: dict | None = params
    while next_url:
        answer = get(session, next_url, query)
        yield answer.get("results") or []
        next_url, query = answer.get("next"), None


def set_pages(session: requests.Session, base_url: str, set_spec: str) -> Iterator[list[dict]]:
    params = {"state": "published", "source": "local", "page_size": SET_PAGE}
    if set_spec:
        params["research_infrastructure"] = set_spec
    return pages(session, f"{api_root(base_url)}/image-sets/", params)


def set_detail(session: requests.Session, base_url: str, remote_id: int) -> dict:
    return get(session, f"{api_root(base_url)}/image-sets/{remote_id}/")


def images_of(session: requests.Session, base_url: str, remote_id: int) -> list[dict]:
    params = {"image_set": remote_id, "page_size": IMAGE_PAGE}
    url = f"{api_root(base_url)}/images/"
    return [row for page in pages(session, url, params) for row in page]


def labels_of(session: requests.Session, base_url: str, remote_id: int) -> dict[int, list[str]]:
    """The names of each image's validated labels, by the remote image id."""
    params = {"image_set": remote_id, "status": "validated", "page_size": ANNOTATION_PAGE}
    found: dict[int, list[str]] = defaultdict(list)
    for page in pages(session, f"{api_root(base_url)}/annotations/", params):
        for row in page:
            name, image = (row.get("label") or {}).get("name"), row.get("image")
            if name and isinstance(image, int) and name not in found[image]:
                found[image].append(name)
    return found
