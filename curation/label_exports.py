"""A label set version as a file: CSV (one row per label, with the set's version)
and SKOS (a concept scheme in Turtle, WoRMS taxa matched by their LSIDs), so the
vocabulary an annotation export cites can be read and cited without AquaCat."""

from __future__ import annotations

import csv
import io

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, SKOS, XSD

from curation.models import Label, LabelSet

CSV_COLUMNS = ("name", "parent", "aphia_id", "concept", "colour", "shortcut", "retired", "version")
WORMS_LSID = "urn:lsid:marinespecies.org:taxname:{}"


def labels_of(label_set: LabelSet) -> list[Label]:
    return list(
        label_set.labels.select_related("parent")
        .prefetch_related("derived_from__label_set")
        .order_by("name", "pk")
    )


def label_set_csv(label_set: LabelSet) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for label in labels_of(label_set):
        writer.writerow(
            [
                label.name,
                label.parent.name if label.parent else "",
                label.aphia_id if label.aphia_id is not None else "",
                label.concept,
                label.colour,
                label.shortcut,
                "true" if label.retired else "false",
                label_set.version,
            ]
        )
    return out.getvalue()


def concept_uri(scheme_uri: str, label: Label) -> URIRef:
    return URIRef(f"{scheme_uri}#label-{label.pk}")


def label_set_skos(label_set: LabelSet, scheme_uri: str, uri_of_version) -> str:
    """The version as a skos:ConceptScheme at `scheme_uri` (its owl:versionInfo the
    version), a skos:Concept per label with skos:broader for its parent and
    skos:exactMatch to WoRMS for a taxon; `uri_of_version(label_set)` names other
    versions (the previous one, the labels a label continues)."""
    graph = Graph()
    graph.bind("skos", SKOS)
    graph.bind("dcterms", DCTERMS)
    graph.bind("owl", OWL)
    graph.bind("prov", PROV)
    scheme = URIRef(scheme_uri)
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, DCTERMS.title, Literal(label_set.name)))
    graph.add((scheme, DCTERMS.identifier, Literal(str(label_set.uuid))))
    graph.add((scheme, OWL.versionInfo, Literal(str(label_set.version))))
    if label_set.description:
        graph.add((scheme, DCTERMS.description, Literal(label_set.description)))
    if label_set.published:
        graph.add((scheme, DCTERMS.issued, Literal(label_set.published, datatype=XSD.dateTime)))
    if label_set.previous_version is not None:
        graph.add((scheme, OWL.priorVersion, URIRef(uri_of_version(label_set.previous_version))))
    for label in labels_of(label_set):
        concept = concept_uri(scheme_uri, label)
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.prefLabel, Literal(label.name)))
        graph.add((concept, SKOS.inScheme, scheme))
        if label.parent is not None:
            parent = concept_uri(scheme_uri, label.parent)
            graph.add((concept, SKOS.broader, parent))
            graph.add((parent, SKOS.narrower, concept))
        else:
            graph.add((concept, SKOS.topConceptOf, scheme))
            graph.add((scheme, SKOS.hasTopConcept, concept))
        if label.aphia_id is not None:
            graph.add((concept, SKOS.exactMatch, URIRef(WORMS_LSID.format(label.aphia_id))))
        if label.concept:
            graph.add((concept, SKOS.notation, Literal(label.concept)))
        if label.retired:
            graph.add((concept, OWL.deprecated, Literal(True)))
        for source in label.derived_from.all():
            previous = uri_of_version(source.label_set)
            graph.add((concept, PROV.wasDerivedFrom, concept_uri(previous, source)))
    return graph.serialize(format="turtle")
