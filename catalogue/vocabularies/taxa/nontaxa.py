"""Names that are no taxon: EcoTaxa's morphological and technical categories.

EcoTaxa writes a category as `child<parent` when the child alone is ambiguous
(`egg<other`, `badfocus<artefact`, `tail<Appendicularia`) and numbers temporary
categories (`t001`). Such a name is kept as a concept, with no AphiaID.
"""

from __future__ import annotations

import re

#: Words EcoTaxa and other tools use for what is not an organism, or a part of one.
NOT_TAXA = frozenset(
    """
    detritus bubble bubbles badfocus artefact artifact other others living not-living
    nonliving dead egg eggs multiple duplicate fiber fibre fibers fibres feces faeces
    fecal_pellet pellet house tail head trunk part parts larvae larva nauplii nauplius
    juvenile juveniles adult adults cyst cysts colony chain centric pennate aggregate
    aggregates marine_snow snow dust scale scales spine spines shell shells exuviae molt
    t0 temporary unknown unidentified othertocheck seaweed plastic blurry darksphere
    """.split()  # noqa: SIM905 - a word list reads best as words
)
TEMPORARY = re.compile(r"^t\d{3}$", re.IGNORECASE)


def split(name: str) -> tuple[str, str]:
    """(child, parent) of an EcoTaxa display name; parent is '' without `<`."""
    child, _, parent = name.partition("<")
    return child.strip(), parent.strip()


def is_not_taxon(name: str) -> bool:
    """True when the child part of `name` is, or has a word that is, a non-taxon
    category (`detritus`, `small egg`, `t001`, `nauplii<Copepoda`)."""
    child, _parent = split(name)
    words = child.lower().replace("-", "_").replace(" ", "_")
    if TEMPORARY.match(child) or words in NOT_TAXA:
        return True
    return any(word in NOT_TAXA for word in words.split("_") if word)
