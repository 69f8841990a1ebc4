"""Search text in the database backend: the words of a query, and highlights.

The words are matched the same way on SQLite (FTS5) and PostgreSQL (tsvector):
letters and digits only, lower case, the search engines' English stop words
left out. Highlights come back from either database with the control
characters START and STOP around matched words and become HTML here.
"""

from __future__ import annotations

import html
import re
import unicodedata

MAX_WORDS = 64
# The stop words of the search engines' `english` analyzer (Lucene's English
# set): dropped from queries, as the engines do. (PostgreSQL's english
# configuration also ignores a few more, such as "over" or "very".)
STOP_WORDS = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that
    the their then there these they this to was will with""".split()  # noqa: SIM905
)
WORD = re.compile(r"[^\W_]+")
# Highlight markers: control characters removed from every indexed text first,
# so a document can never forge one.
START, STOP = "\x02", "\x03"
UNSAFE = str.maketrans("", "", "\x00\x02\x03")
ELLIPSIS = "…"


def words(text: str) -> list[str]:
    """The words of a search text: letters and digits only, lower case, no stop
    words, each once. Quotes, operators and FTS syntax are just separators."""
    found: list[str] = []
    for word in WORD.findall(unicodedata.normalize("NFC", text or "").lower()):
        if word not in STOP_WORDS and word not in found:
            found.append(word)
    return found[:MAX_WORDS]


def safe(text: str) -> str:
    """Text to index: without NUL and the highlight markers."""
    return text.translate(UNSAFE)


def fragment(raw: str | None) -> str | None:
    """HTML of a highlighted text: escaped, with the markers turned into <mark>."""
    if not raw or START not in raw:
        return None
    escaped = html.escape(raw.strip(), quote=True)
    return escaped.replace(START, "<mark>").replace(STOP, "</mark>")


def highlights(
    raw: dict[int, tuple[str | None, str | None]],
) -> dict[int, dict[str, list[str]]]:
    """Per entry, the HTML fragments of its marked title and description (entries
    with neither are left out)."""
    found: dict[int, dict[str, list[str]]] = {}
    for entry_id, (title, description) in raw.items():
        marked = {}
        if (title_html := fragment(title)) is not None:
            marked["title"] = [title_html]
        if (description_html := fragment(description)) is not None:
            marked["description"] = [description_html]
        if marked:
            found[entry_id] = marked
    return found
