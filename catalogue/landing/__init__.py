"""What a set's landing page shows, read once here so the view stays thin.

The page is for people (citation, map, gallery, downloads) and machines (the
same Signposting links as the Link header, schema.org JSON-LD). Everything is
read from a set the caller may already see (the view asks
`catalogue.selectors.visible_image_sets`); images are read one gallery page at
a time so a set of a million images costs the same as a set of ten.

`landing_context` assembles the page from one module per part: `description`
(access, creators, taxa, facts, related identifiers), `coverage` (coverage and
map), `downloads` (downloads and the citation switch, from the format
registry), `enrichments` (what models found) and `gallery` (thumbnails and the
lightbox).
"""

from __future__ import annotations

from catalogue import signposting
from catalogue.formats import common, schema_org
from catalogue.landing.coverage import coverage, map_data
from catalogue.landing.description import access_status, creators, facts, related_identifiers, taxa
from catalogue.landing.downloads import citations, downloads
from catalogue.landing.enrichments import enrichments
from catalogue.landing.gallery import gallery, withheld_gallery
from catalogue.models import ImageSet, State


def landing_context(
    image_set: ImageSet, *, base: str, page: str | int | None = 1, files: bool = True
) -> dict:
    """Everything the landing template renders, for a set the caller may see; `files`:
    whether they may read its files (`catalogue.selectors.can_read_files`). Without,
    the page shows the metadata only: no thumbnails, file links or image exports."""
    links = signposting.set_links(image_set, base, max_items=signposting.max_items(), files=files)
    licence = common.licence(image_set)
    return {
        "image_set": image_set,
        "links": links,
        "head_links": [
            link for link in links if link["rel"] in ("cite-as", "describedby", "license")
        ],
        "json_ld": schema_org.to_script_tag_json(image_set, base=base),
        "doi_url": common.doi_url(image_set),
        "cite_as": common.cite_as(image_set, base),
        "licence": licence,
        "access": access_status(image_set),
        "is_draft": image_set.state == State.DRAFT,
        "creators": creators(image_set),
        "citations": citations(image_set, base),
        "taxa": taxa(image_set),
        "facts": facts(image_set),
        "coverage": coverage(image_set),
        "map_data": map_data(image_set),
        "downloads": downloads(image_set, files=files),
        "related": related_identifiers(image_set),
        "enrichments": enrichments(image_set),
        "gallery": gallery(image_set, page) if files else withheld_gallery(image_set),
    }
