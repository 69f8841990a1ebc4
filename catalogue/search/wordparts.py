"""Words of the domain that live inside longer words: `plankton` in
`mesozooplankton`, `benthos` in `macrobenthos`.

One list for every backend: the search engine splits them out with a
`dictionary_decompounder` token filter at index time (mappings.py), the
database backend (and an engine without that filter) adds the parts found to
the indexed text (`word_parts`). A part is only added from a longer word, so a
query for `zooplankton` does not find `phytoplankton`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Lower case; each also found inside its own compounds (zooplankton in
# mesozooplankton). Words whose compounds mean something else (fish in
# jellyfish, starfish) are left out on purpose.
DOMAIN_WORD_PARTS = (
    "plankton",
    "zooplankton",
    "phytoplankton",
    "ichthyoplankton",
    "bacterioplankton",
    "benthos",
    "benthic",
    "zoobenthos",
    "phytobenthos",
    "nekton",
    "neuston",
    "pelagic",
    "fauna",
    "flora",
    "algae",
    "algal",
    "bacteria",
    "plastic",
    "plastics",
)
# Shorter words are never split (as the engine filter's min_word_size).
MIN_WORD_SIZE = 6
WORD = re.compile(r"[^\W_]+")


def word_parts(texts: Iterable[str]) -> list[str]:
    """The domain parts found inside longer words of `texts`, each once, sorted."""
    found: set[str] = set()
    for text in texts:
        for word in WORD.findall(unicodedata.normalize("NFC", text or "").lower()):
            if len(word) < MIN_WORD_SIZE:
                continue
            found.update(part for part in DOMAIN_WORD_PARTS if part in word and part != word)
    return sorted(found)
