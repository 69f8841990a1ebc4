"""DCAT-AP 3 of real sets against the official SHACL shapes, range shapes included
(SEMICeu/DCAT-AP releases/3.0.0/shacl/dcat-ap-SHACL.ttl), with pySHACL: no result of
any severity. Before the writer typed what it links to, the realistic set had 17
violations (untyped agents, documents, media types, rights statements, concepts,
resources and a geometry given as a literal)."""

from __future__ import annotations

from functools import cache

import pytest
from pyshacl import validate
from rdflib import Graph, Namespace, URIRef
from rdflib import namespace as rdfns

from catalogue.formats import dcat
from tests.fair.validators_support import DATA, RESEARCH_VESSEL, ZOOSCAN, realistic_set

pytestmark = pytest.mark.django_db
SH = Namespace("http://www.w3.org/ns/shacl#")


@cache
def shapes() -> Graph:
    return Graph().parse(DATA / "dcat-ap-3.0.0-SHACL.ttl")


def shacl_results(data: Graph) -> list[str]:
    """Every result of the DCAT-AP shapes (violations, warnings and notes), in words."""
    conforms, report, _ = validate(data, shacl_graph=shapes(), inference="none", advanced=True)
    results = [
        f"{report.value(r, SH.resultSeverity)} {report.value(r, SH.focusNode)} "
        f"{report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
        for r in report.subjects(rdfns.RDF.type, SH.ValidationResult)
    ]
    assert conforms == (not results)
    return results


def test_realistic_set_meets_every_dcat_ap_shape(tmp_path, people):
    with realistic_set(tmp_path, people) as image_set:
        turtle = dcat.to_turtle(image_set)
        rdfxml = dcat.to_rdfxml(image_set)
    graph = Graph().parse(data=turtle, format="turtle")
    assert shacl_results(graph) == []
    assert shacl_results(Graph().parse(data=rdfxml, format="xml")) == []  # the OAI-PMH form

    dataset = URIRef("https://doi.org/10.14284/999")
    themes = set(graph.objects(dataset, rdfns.DCAT.theme))
    # The NVS instrument and platform are concepts of their collections.
    assert {URIRef(ZOOSCAN), URIRef(RESEARCH_VESSEL)} <= themes
    assert str(graph.value(URIRef(ZOOSCAN), rdfns.SKOS.prefLabel)) == "ZooScan"
    assert graph.value(URIRef(ZOOSCAN), rdfns.SKOS.inScheme) == URIRef(
        "http://vocab.nerc.ac.uk/collection/L22/current/"
    )
    assert URIRef("urn:lsid:marinespecies.org:taxname:104464") in themes


def test_sparse_and_demo_sets_meet_the_shapes_too(make_set, demo_set):
    sparse = make_set(creators=[], keywords=[], description="")
    for image_set in (sparse, demo_set):
        assert shacl_results(dcat.to_graph(image_set)) == []


def test_the_shapes_find_what_is_wrong(make_set):
    """The range shapes are loaded and bite: an untyped creator is a violation."""
    graph = dcat.to_graph(make_set())
    creator = next(graph.objects(None, URIRef("http://purl.org/dc/terms/creator")))
    graph.remove((creator, rdfns.RDF.type, None))
    [result] = shacl_results(graph)
    assert "Violation" in result and "foaf:Agent" in result
