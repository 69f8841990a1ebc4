"""The search pages' facets for display: which facets each page shows, their labels,
the taxon facet as a tree, the taxa the text names, and the chips of filters in use."""

from __future__ import annotations

import itertools

from django.http import QueryDict

from catalogue import selectors
from catalogue.models import Access
from catalogue.search import taxon_queries
from catalogue.search.results import FacetValue
from catalogue.search_pages.params import url_with

SET_FACETS = [
    "taxon",
    "instrument",
    "platform",
    "modality",
    "research_infrastructure",
    "licence",
    "access",
    "source",
    "year",
    "label",
    "predicted",
    "label_status",
    "has_annotations",
]
IMAGE_FACETS = [
    "taxon",
    "label",
    "predicted",
    "label_status",
    "instrument",
    "platform",
    "modality",
    "year",
    "has_annotations",
]
FACET_LABELS = {
    "platform": "Platform",
    "instrument": "Instrument",
    "modality": "Imaging modality",
    "research_infrastructure": "Research infrastructure",
    "licence": "Licence",
    "access": "Access",
    "source": "Source",
    "taxon": "Taxa",
    "label": "Validated label",
    "predicted": "Predicted class",
    "label_status": "Annotation status",
    "year": "Year",
    "has_annotations": "Annotated",
}
ACCESS_LABELS = dict(Access.choices)


def facet_display(name: str, value) -> str:
    if name == "access":
        return str(ACCESS_LABELS.get(value, value))
    if name == "has_annotations":
        return "Yes" if value else "No"
    return str(value)


def taxon_parents(user) -> dict[str, str]:
    """Child -> parent name, from the lineages of the sets the caller may see."""
    parents: dict[str, str] = {}
    rows = (
        selectors.visible_image_sets(user)
        .exclude(taxa=[])
        .order_by()
        .values_list("taxa", flat=True)
        .distinct()[:5000]
    )
    for taxa in rows:
        for taxon in taxa or []:
            if not isinstance(taxon, dict) or not taxon.get("scientific_name"):
                continue
            lineage = [n for n in taxon.get("lineage") or [] if isinstance(n, str)]
            path = [*lineage, taxon["scientific_name"]]
            for parent, child in itertools.pairwise(path):
                parents.setdefault(child, parent)
    return parents


def taxon_tree(values: list[dict], parents: dict[str, str]) -> list[dict]:
    """Facet values of taxon_path as a tree by rank (catalogue/search/taxon_queries.py:
    ancestors from the Taxon table, else from the lineages sets state), each node
    keeping its form state (label, checked)."""
    by_value = {v["value"]: v for v in values}
    tree = taxon_queries.facet_tree(
        [FacetValue(v["value"], v["count"]) for v in values], fallback_parents=parents
    )

    def decorate(nodes: list[dict]) -> list[dict]:
        for node in nodes:
            node.update(label=by_value[node["value"]]["label"])
            node.update(checked=by_value[node["value"]]["checked"])
            decorate(node["children"])
        return nodes

    return decorate(tree)


def matched_taxa(params: QueryDict, result) -> list[dict]:
    """The taxa the text names, each with the link that filters by it."""
    return [
        {**match, "filter_url": url_with(params, taxon=[match["name"]])}
        for match in result.matched_taxa
    ]


def build_facets(request, params, query, result, names: list[str]) -> list[dict]:
    facets = []
    for name in names:
        counts = result.facets.get(name, []) if result else []
        selected = [part for v in params.getlist(name) for part in v.split(",") if part]
        values = []
        for item in counts:
            value = item.value
            key = ("true" if value else "false") if name == "has_annotations" else str(value)
            values.append(
                {
                    "value": key,
                    "label": facet_display(name, value),
                    "count": item.count,
                    "checked": key in selected,
                }
            )
        if name != "has_annotations":
            present = {v["value"] for v in values}
            for key in selected:
                if key not in present:
                    values.append(
                        {
                            "value": key,
                            "label": facet_display(name, key),
                            "count": 0,
                            "checked": True,
                        }
                    )
        facet = {
            "name": name,
            "label": FACET_LABELS[name],
            "values": values,
            "selected": selected,
            "clear_url": url_with(params, **{name: None}) if selected else None,
        }
        if name == "taxon" and values:
            facet["tree"] = taxon_tree(values, taxon_parents(request.user))
        facets.append(facet)
    return facets


def active_filters(params: QueryDict) -> list[dict]:
    """Removable chips for the filters in use."""
    chips = []
    for name in params:
        if name in ("after", "sort", "q"):
            continue
        for value in params.getlist(name):
            label = FACET_LABELS.get(name, name.replace("_", " ").capitalize())
            if name == "bbox":
                label = "Area"
            remaining = [v for v in params.getlist(name) if v != value]
            chips.append(
                {
                    "label": label,
                    "value": facet_display(name, value) if name == "access" else value,
                    "remove_url": url_with(params, **{name: remaining or None}),
                }
            )
    return chips
