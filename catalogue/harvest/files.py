"""Fetching one original file of an external image from its source, with limits: the
link must be on the source's own site (a peer cannot send us to fetch elsewhere);
no more bytes than the peer's record states (and never more than
INGEST_MAX_FILE_BYTES); exactly as many as it states; redirects refused. The file
lands in a temporary file, handed to the ingest's storing (sniffing, decompression
bomb limit, thumbnails) as a candidate."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from django.conf import settings

from catalogue.harvest.mapping import web_url
from catalogue.ingest.outcomes import CHUNK, Candidate
from catalogue.models import HarvestSource, Image
from curation.repositories.answers import retry_after

MAX_RETRIES = 3
MAX_WAIT = 60
TIMEOUT = (10, 60)  # connecting, then between bytes


class Refused(Exception):
    """The file could not be fetched, and why."""


def same_site(url: str, base_url: str) -> bool:
    there, here = urlsplit(url), urlsplit(base_url)
    return (there.scheme, there.netloc.lower()) == (here.scheme, here.netloc.lower())


def limit_of(image: Image) -> int:
    """The most bytes taken: the peer's stated size, within the hard cap."""
    cap = settings.INGEST_MAX_FILE_BYTES
    if image.size > cap:
        raise Refused(f"the source states {image.size:,} bytes, over the limit of {cap:,}")
    return image.size or cap


def answer(session: requests.Session, url: str) -> requests.Response:
    """The file's answer, streamed; 429 and 503 waited for (Retry-After) a few times."""
    for attempt in range(MAX_RETRIES + 1):
        try:
            response = session.get(url, stream=True, timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as error:
            raise Refused(f"the source could not be reached: {type(error).__name__}") from error
        if response.status_code in (429, 503) and attempt < MAX_RETRIES:
            response.close()
            time.sleep(min(retry_after(response) or 2**attempt, MAX_WAIT))
            continue
        if response.status_code != 200:
            response.close()
            raise Refused(f"the source answered HTTP {response.status_code} for {url}")
        return response
    raise Refused(f"the source still refused after {MAX_RETRIES} retries: {url}")


def fetch(session: requests.Session, source: HarvestSource, image: Image) -> Candidate:
    """The image's original from its source, as a temporary file (a candidate of the
    ingest); Refused with the reason."""
    url = str((image.remote or {}).get("file") or "")
    if not url or not web_url(url):
        raise Refused("the source gives no link to the file")
    if not same_site(url, source.base_url):
        raise Refused(f"the file link {url} is not on the source's site ({source.base_url})")
    limit = limit_of(image)
    response = answer(session, url)
    with response:
        stated = response.headers.get("Content-Length", "")
        if stated.isdigit() and int(stated) > limit:
            raise Refused(f"the source sends {int(stated):,} bytes, more than {limit:,} bytes")
        received = 0
        with tempfile.NamedTemporaryFile(prefix="aquacat-copy-", delete=False) as spool:
            path = Path(spool.name)
            try:
                for chunk in response.iter_content(CHUNK):
                    received += len(chunk)
                    if received > limit:
                        raise Refused(f"the source sent more than {limit:,} bytes")
                    spool.write(chunk)
                if image.size and received != image.size:
                    raise Refused(f"{received:,} bytes received, the source states {image.size:,}")
            except requests.RequestException as error:
                path.unlink(missing_ok=True)
                raise Refused(f"the transfer broke off: {type(error).__name__}") from error
            except BaseException:
                path.unlink(missing_ok=True)
                raise
    return Candidate(name=image.file_name, path=path, temporary=True)
