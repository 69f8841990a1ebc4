"""Resumption tokens: signed, stateless, keyset-based.

A token carries the request's selection (prefix, set, from, the harvest's fixed
until) and the key (datestamp, uuid) of the last record delivered; nothing is
kept on the server, so tokens survive restarts and any number of web workers.
Signed with django.core.signing (salted, timestamped), valid for
OAI_TOKEN_MAX_AGE seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

SALT = "aquacat.oai.resumption"


class BadToken(Exception):
    pass


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _unstamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def make(
    *, verb: str, prefix: str, spec: str | None, start, end, after, cursor: int
) -> tuple[str, datetime]:
    """The token, and when it expires."""
    payload = {
        "v": verb,
        "p": prefix,
        "s": spec,
        "f": _stamp(start),
        "u": _stamp(end),
        "a": [_stamp(after[0]), after[1]],
        "c": cursor,
    }
    token = signing.dumps(payload, salt=SALT, compress=True)
    return token, timezone.now() + timedelta(seconds=settings.OAI_TOKEN_MAX_AGE)


def read(token: str, verb: str) -> dict:
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.OAI_TOKEN_MAX_AGE)
    except signing.SignatureExpired as error:
        raise BadToken("the resumptionToken has expired; start the list again") from error
    except signing.BadSignature as error:
        raise BadToken("the resumptionToken is not one this repository issued") from error
    if not isinstance(payload, dict) or payload.get("v") != verb:
        raise BadToken(f"the resumptionToken was not issued for {verb}")
    try:
        return {
            "prefix": payload["p"],
            "spec": payload["s"],
            "start": _unstamp(payload["f"]),
            "end": _unstamp(payload["u"]),
            "after": (_unstamp(payload["a"][0]), payload["a"][1]),
            "cursor": int(payload["c"]),
        }
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise BadToken("the resumptionToken is malformed") from error
