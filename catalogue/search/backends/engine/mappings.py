"""Index settings and mappings of the two document kinds (sets and images).

Both kinds index the same flat document (catalogue/search/documents.py), so
they share one mapping. What the server offers decides a few details, probed
once by the engine backend and passed in as `Capabilities`:

- `english`: the `english` analyzer (OpenSearch, and Elasticsearch with its
  analysis-common module). Without it every text field uses `standard`
  (tokenised and lowercased, no stemming).
- `lowercase`: the core `lowercase` token filter, used by the `name_lowercase`
  normaliser for case-insensitive keyword subfields (scientific names,
  prefixes for suggestions). Without it those subfields are left out and
  prefixes are matched with `case_insensitive` on the exact keyword.
- `decompound`: the `dictionary_decompounder` token filter (analysis-common).
  With it, text is indexed with an analyzer that also emits the domain's word
  parts (catalogue/search/wordparts.py: `plankton` inside `mesozooplankton`)
  and searched with the plain one; without it the parts found are indexed as
  the derived field `search_parts` (indexes.py), as the database backend does.
- `geo_shape`: the `geo_shape` field type. Coverage is always also indexed as
  four numbers (`search_geo.west` ...) so that a server without geo_shape can
  still filter by bounding box.

Every text field that the search box reaches is analysed with the same
analyzer (keyword fields get a `.text` subfield), so one `cross_fields`
multi_match treats them as one big field: every term must match somewhere.
The whole document is kept in `_source`; fields not mapped here (bbox,
polygon, point as given) are stored but not indexed (`dynamic: false`).
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.search.wordparts import DOMAIN_WORD_PARTS, MIN_WORD_SIZE

GEO = "search_geo"  # derived coverage fields, added at indexing, hidden from hits
PARTS = "search_parts"  # derived word parts, without the decompounder (indexes.py)
DECOMPOUNDER = "domain_word_parts"
NORMALIZER = "name_lowercase"
RAW_LIMIT = 1024  # longer values are not kept in the keyword subfields


@dataclass(frozen=True)
class Capabilities:
    english: bool = True
    lowercase: bool = True
    geo_shape: bool = True
    decompound: bool = False

    @property
    def text_analyzer(self) -> str:
        """The analyzer of queries (and of indexed text without the decompounder)."""
        return "english" if self.english else "standard"

    @property
    def index_analyzer(self) -> str:
        """The analyzer of indexed text: the query's, plus the word parts when possible."""
        if not self.decompound:
            return self.text_analyzer
        return "domain_english" if self.english else "domain_standard"


# What the search box searches, with boosts (all share the text analyzer).
TEXT_FIELDS = [
    "title^3",
    "keywords^2",
    "taxa^2",
    "description",
    "creators",
    "instrument.text",
    "platform.text",
    "file_name",
    "taxon_terms^2",  # names, synonyms and vernaculars of the taxa and their ancestors
    PARTS,
]
HIGHLIGHT_FIELDS = ("title", "description")
# Where suggestions come from: exact values (`.raw` or the keyword itself).
SUGGEST_FIELDS = {"title": "title.raw", "taxa": "taxa.raw", "instrument": "instrument"}


def index_settings(caps: Capabilities) -> dict:
    """One shard: facet counts and `total` are then exact, and the catalogue is small.

    `gc_deletes: 0s`: a deleted document leaves no versioned tombstone behind
    (once pruned, see EngineBackend.delete), so it can be indexed again at its
    current revision, as the database backend allows (reconcile restores lost
    documents that way).
    """
    settings: dict = {"number_of_shards": 1, "number_of_replicas": 0, "gc_deletes": "0s"}
    analysis: dict = {}
    if caps.lowercase:
        analysis["normalizer"] = {NORMALIZER: {"type": "custom", "filter": ["lowercase"]}}
    if caps.decompound:
        analysis.update(decompounding(caps))
    if analysis:
        settings["analysis"] = analysis
    return settings


def decompounding(caps: Capabilities) -> dict:
    """Index analyzers that add the domain's word parts. `domain_english` is the
    `english` analyzer rebuilt from its parts (as the engines document it) with
    the decompounder before stemming, so parts are stemmed as queries are."""
    filters: dict = {
        DECOMPOUNDER: {
            "type": "dictionary_decompounder",
            "word_list": list(DOMAIN_WORD_PARTS),
            "min_word_size": MIN_WORD_SIZE,
            "only_longest_match": False,
        }
    }
    analyzers: dict = {
        "domain_standard": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", DECOMPOUNDER],
        }
    }
    if caps.english:
        filters.update(
            {
                "domain_possessive": {"type": "stemmer", "language": "possessive_english"},
                "domain_stop": {"type": "stop", "stopwords": "_english_"},
                "domain_stemmer": {"type": "stemmer", "language": "english"},
            }
        )
        analyzers["domain_english"] = {
            "type": "custom",
            "tokenizer": "standard",
            "filter": [
                "domain_possessive",
                "lowercase",
                "domain_stop",
                DECOMPOUNDER,
                "domain_stemmer",
            ],
        }
    return {"filter": filters, "analyzer": analyzers}


def _analyzed(caps: Capabilities) -> dict:
    """A text field's analyzers: the index one, and the query one when it differs."""
    mapping = {"type": "text", "analyzer": caps.index_analyzer}
    if caps.index_analyzer != caps.text_analyzer:
        mapping["search_analyzer"] = caps.text_analyzer
    return mapping


def _lower(caps: Capabilities) -> dict:
    if not caps.lowercase:
        return {}
    return {"lower": {"type": "keyword", "normalizer": NORMALIZER, "ignore_above": RAW_LIMIT}}


def _text(caps: Capabilities, *, raw: bool = False, lower: bool = False) -> dict:
    mapping: dict = _analyzed(caps)
    fields: dict = {}
    if raw:
        fields["raw"] = {"type": "keyword", "ignore_above": RAW_LIMIT}
    if lower:
        fields.update(_lower(caps))
    if fields:
        mapping["fields"] = fields
    return mapping


def _keyword(caps: Capabilities, *, text: bool = False, lower: bool = False) -> dict:
    mapping: dict = {"type": "keyword", "ignore_above": RAW_LIMIT}
    fields: dict = {}
    if text:
        fields["text"] = _analyzed(caps)
    if lower:
        fields.update(_lower(caps))
    if fields:
        mapping["fields"] = fields
    return mapping


def mappings(caps: Capabilities) -> dict:
    geo: dict = {
        "kind": {"type": "keyword"},  # point | envelope | polygon
        "west": {"type": "double"},
        "south": {"type": "double"},
        "east": {"type": "double"},
        "north": {"type": "double"},
    }
    if caps.geo_shape:
        geo["shape"] = {"type": "geo_shape", "orientation": "counterclockwise"}
    return {
        "dynamic": False,
        "properties": {
            "id": {"type": "long"},
            "kind": {"type": "keyword"},
            "revision": {"type": "long"},
            "set_id": {"type": "long"},
            "title": _text(caps, raw=True, lower=True),
            "description": _text(caps),
            "file_name": _text(caps, raw=True),
            "keywords": _text(caps, raw=True),
            "creators": _text(caps, raw=True),
            # Scientific names: full text for the search box, the exact name for
            # suggestions, and a lowercased keyword for case-insensitive matching.
            "taxa": _text(caps, raw=True, lower=True),
            "taxon_path": _keyword(caps, lower=True),
            # Added with the Taxon table, as `predicted` below: rebuild older indexes.
            "taxon_ids": {"type": "long"},
            "taxon_terms": _text(caps),
            PARTS: _text(caps),
            "labels": _keyword(caps),
            # Added with inference enrichment: an index created before has no
            # `predicted` mapping (dynamic: false), so a running deployment must
            # rebuild its indexes (`manage.py search_reindex`) before filtering
            # or faceting on it.
            "predicted": _keyword(caps),
            # Added with annotation rows, as `predicted` above: rebuild older indexes.
            "label_status": _keyword(caps),
            "predicted_share": {"type": "float"},
            "platform": _keyword(caps, text=True),
            "instrument": _keyword(caps, text=True, lower=True),
            "modality": _keyword(caps),
            "research_infrastructure": _keyword(caps),
            "licence": _keyword(caps),
            # Added with harvesting ("local" or a harvest source's name): rebuild older indexes.
            "source": {"type": "keyword"},
            "access": {"type": "keyword"},
            "state": {"type": "keyword"},
            "embargo_until": {"type": "date"},
            "owner_id": {"type": "long"},
            "curator_ids": {"type": "long"},
            "years": {"type": "integer"},
            "time_start": {"type": "date"},
            "time_end": {"type": "date"},
            "depth_min": {"type": "float"},
            "depth_max": {"type": "float"},
            GEO: {"properties": geo},
            "image_count": {"type": "integer"},
            "size": {"type": "long"},
            "has_annotations": {"type": "boolean"},
            "doi": {"type": "keyword"},
            "created": {"type": "date"},
        },
    }
