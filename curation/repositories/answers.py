"""What a repository's HTTP answer means for a deposit, the same for every target:
429 and 5xx are outages to wait out (with the server's Retry-After or
X-RateLimit-Reset), 401/403 a credentials problem, any other 4xx a refusal
carrying the repository's messages by field."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import requests

from curation.repositories.base import TargetError, TransientTargetError


def retry_after(response: requests.Response) -> float | None:
    """Seconds to wait, from Retry-After (seconds or a date) or X-RateLimit-Reset."""
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            pass
    return None


def body_of(response: requests.Response) -> dict:
    """The answer's JSON object, or {} when it has none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def raise_for_answer(
    target: str,
    response: requests.Response,
    message: str,
    *,
    credentials: str,
    refused: str,
    errors: dict[str, list[str]],
) -> None:
    """Raise what an error answer means (nothing for a success). `credentials` names
    what to check on 401/403, `refused` what was refused, `errors` the remote's
    field messages."""
    status = response.status_code
    if status < 400:
        return
    where = f"{response.request.method} {response.request.path_url}"
    if status == 429:
        raise TransientTargetError(
            f"{target} is rate-limiting ({where}: 429)", retry_after(response)
        )
    if status >= 500:
        raise TransientTargetError(
            f"{target} answered {status} ({where}): {message}", retry_after(response)
        )
    if status in (401, 403):
        raise TargetError(
            f"{target} refused the {credentials} ({status} on {where}): {message}",
            {"target": [f"{message} (check the {credentials} of {target!r})"]},
        )
    raise TargetError(f"{target} refused the {refused} ({status} on {where}): {message}", errors)
