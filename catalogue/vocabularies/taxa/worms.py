"""A client of the WoRMS REST API (https://www.marinespecies.org/rest/).

WoRMS answers 200 with JSON, 204 (no content) when nothing matches, 400 for a bad
request, 429 with Retry-After when asked too fast, and 5xx when it is down. Slow
answers time out. 429, 5xx, timeouts and lost connections are retried a bounded
number of times with growing waits; after that the client raises WormsUnavailable
and, for a while (WORMS_DOWN_SECONDS), says so at once instead of asking again,
so an import with many names does not wait on each of them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.cache import cache

DOWN_KEY = "worms:down"
#: WoRMS takes at most 50 names per AphiaRecordsByMatchNames call.
NAMES_PER_CALL = 50


class WormsError(Exception):
    """WoRMS answered something this client cannot use."""


class WormsUnavailable(WormsError):
    """WoRMS could not be reached, or kept failing, or asked to wait too long."""


class WormsBadRequest(WormsError):
    """WoRMS refused the request as malformed (400)."""


class WormsClient:
    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        max_wait: float | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = (base_url if base_url is not None else settings.WORMS_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.WORMS_TIMEOUT
        self.retries = retries if retries is not None else settings.WORMS_RETRIES
        self.backoff = backoff if backoff is not None else settings.WORMS_BACKOFF
        self.max_wait = max_wait if max_wait is not None else settings.WORMS_MAX_WAIT
        self.session = session or requests.Session()
        self.session.headers.setdefault("Accept", "application/json")
        self.calls = 0

    # --- the endpoints ------------------------------------------------------------------

    def records_by_match_names(self, names: list[str]) -> list[list[dict]]:
        """One list of AphiaRecords per name (TAXAMATCH: `match_type` says how each
        matched: exact, exact_genus, phonetic, near_1, ...), empty when none does."""
        answers: list[list[dict]] = []
        for start in range(0, len(names), NAMES_PER_CALL):
            chunk = names[start : start + NAMES_PER_CALL]
            params = [("scientificnames[]", name) for name in chunk]
            params.append(("marine_only", "false"))
            found = self.get("AphiaRecordsByMatchNames", params) or []
            answers.extend(
                list(found[i] or []) if i < len(found) else [] for i in range(len(chunk))
            )
        return answers

    def record(self, aphia_id: int) -> dict | None:
        """The AphiaRecord of `aphia_id`, None when WoRMS does not know it."""
        return self.get(f"AphiaRecordByAphiaID/{int(aphia_id)}")

    def classification(self, aphia_id: int) -> list[dict]:
        """The path from the root to `aphia_id`: [{"AphiaID", "rank", "scientificname"}]."""
        node = self.get(f"AphiaClassificationByAphiaID/{int(aphia_id)}")
        path = []
        while isinstance(node, dict) and node.get("AphiaID"):
            path.append({k: node.get(k) for k in ("AphiaID", "rank", "scientificname")})
            node = node.get("child")
        return path

    def vernaculars(self, aphia_id: int) -> list[dict]:
        """[{"vernacular", "language_code", "language"}]."""
        return self.get(f"AphiaVernacularsByAphiaID/{int(aphia_id)}") or []

    def records_by_name(self, name: str, *, like: bool = False) -> list[dict]:
        params = [("like", str(like).lower()), ("marine_only", "false")]
        return self.get(f"AphiaRecordsByName/{quote(name, safe='')}", params) or []

    def records_by_vernacular(self, name: str, *, like: bool = False) -> list[dict]:
        params = [("like", str(like).lower())]
        return self.get(f"AphiaRecordsByVernacular/{quote(name, safe='')}", params) or []

    # --- one request, retried -------------------------------------------------------------

    def get(self, path: str, params: Iterable[tuple[str, str]] | None = None) -> Any:
        """The decoded JSON answer, None for 204 (no match)."""
        if not self.base_url:
            raise WormsUnavailable("no WoRMS address is configured (WORMS_URL)")
        if cache.get(DOWN_KEY):
            raise WormsUnavailable(f"WoRMS was unreachable recently: {cache.get(DOWN_KEY)}")
        url = f"{self.base_url}/{path}"
        last = ""
        for attempt in range(self.retries + 1):
            wait = self.backoff * (2**attempt)
            try:
                self.calls += 1
                response = self.session.get(url, params=list(params or []), timeout=self.timeout)
            except requests.Timeout:
                last = f"no answer within {self.timeout} s"
            except requests.ConnectionError as error:
                # A host that cannot be resolved or refuses connections does not
                # come back within seconds: no retry.
                last = f"cannot connect ({type(error).__name__})"
                break
            else:
                if response.status_code == 204:
                    return None
                if response.status_code == 200:
                    try:
                        return response.json()
                    except ValueError as error:
                        raise WormsError(f"WoRMS answered {path} with no JSON") from error
                if response.status_code == 400:
                    raise WormsBadRequest(f"WoRMS refused {path}: {response.text[:200]}")
                if response.status_code == 404:
                    return None
                last = f"HTTP {response.status_code}"
                if response.status_code == 429:
                    wait = retry_after(response.headers.get("Retry-After"), default=wait)
                    if wait > self.max_wait:
                        break
                elif response.status_code < 500:
                    raise WormsError(f"WoRMS answered {path} with HTTP {response.status_code}")
            if attempt < self.retries:
                time.sleep(wait)
        cache.set(DOWN_KEY, last, settings.WORMS_DOWN_SECONDS)
        raise WormsUnavailable(f"WoRMS is unavailable: {last}")


def retry_after(value: str | None, *, default: float) -> float:
    """Seconds from a Retry-After header (WoRMS gives seconds)."""
    try:
        return max(0.0, float(value)) if value else default
    except ValueError:
        return default


def mark_reachable() -> None:
    """Forget that WoRMS was down (a refresh asked for by hand tries again at once)."""
    cache.delete(DOWN_KEY)
