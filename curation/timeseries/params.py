"""The series asked for, read from query parameters: every problem at once, each
naming its parameter, so the page, the JSON and the CSV refuse alike (400)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.utils.dateparse import parse_date, parse_datetime

from curation.timeseries.bins import BINS

STATUSES = ("validated", "predicted", "both")
DEFAULT_MIN_CONFIDENCE = 0.5
# Capture times outside these years are typing errors; the bounds also keep bin
# arithmetic clear of datetime's limits.
EARLIEST_YEAR, LATEST_YEAR = 1800, 2999
MAX_LABELS = 100
# The grammar of each parameter, as the API's schema states it (read exactly: no
# spaces, no other spellings Python's parsers would also take). Empty means absent,
# as a form's empty field.
MOMENT = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
CONFIDENCE = r"0(?:\.[0-9]{1,6})?|1(?:\.0{1,6})?"
LABEL_LIST = rf"[0-9]{{1,18}}(?:,[0-9]{{1,18}}){{0,{MAX_LABELS - 1}}}"


class SeriesError(Exception):
    """Bad parameters: {parameter: [reasons]}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{name}: {' '.join(why)}" for name, why in errors.items()))
        self.errors = errors


class UnknownLabel(SeriesError):
    """A label id that is not one of the set's labels (the API answers 404)."""


@dataclass(frozen=True)
class SeriesParams:
    bin: str = "day"
    start: datetime | None = None  # included; None: from the first dated image
    end: datetime | None = None  # excluded; None: through the last dated image
    status: str = "validated"
    min_confidence: float = DEFAULT_MIN_CONFIDENCE  # predicted labels at or above it
    labels: tuple[int, ...] = field(default_factory=tuple)  # none: every label counted

    def query(self) -> dict[str, str]:
        """These parameters as a query string's fields (links to the other forms)."""
        fields = {"bin": self.bin, "status": self.status}
        if self.start is not None:
            fields["from"] = self.start.isoformat().replace("+00:00", "Z")
        if self.end is not None:
            fields["to"] = self.end.isoformat().replace("+00:00", "Z")
        if self.status != "validated":
            fields["min_confidence"] = f"{self.min_confidence:.6f}".rstrip("0").rstrip(".")
        if self.labels:
            fields["label"] = ",".join(str(label) for label in self.labels)
        return fields


def read_params(params) -> SeriesParams:
    """`params` (a QueryDict or a dict of strings) as SeriesParams, or SeriesError
    naming every parameter that is wrong and why."""
    errors: dict[str, list[str]] = {}

    def given(name: str) -> str | None:
        value = params.get(name)
        return value or None

    kind = given("bin") or "day"
    if kind not in BINS:
        errors["bin"] = [f"Unknown bin {kind!r}: one of {', '.join(BINS)}."]
    status = given("status") or "validated"
    if status not in STATUSES:
        errors["status"] = [f"Unknown status {status!r}: one of {', '.join(STATUSES)}."]
    start = _moment(given("from"), "from", errors, end_of_day=False)
    end = _moment(given("to"), "to", errors, end_of_day=True)
    if start is not None and end is not None and end <= start:
        errors["to"] = ["Must be later than from (a date in to includes that whole day)."]
    min_confidence = _confidence(given("min_confidence"), errors)
    labels = _labels(params, errors)
    if errors:
        raise SeriesError(errors)
    return SeriesParams(
        bin=kind,
        start=start,
        end=end,
        status=status,
        min_confidence=min_confidence,
        labels=labels,
    )


def _moment(text: str | None, name: str, errors: dict, *, end_of_day: bool) -> datetime | None:
    """A date or an ISO 8601 datetime, in UTC when it has no offset; a date in `to`
    means the end of that day."""
    if text is None:
        return None
    parsed = _parsed(text)
    if parsed is None:
        errors[name] = [f"{text[:40]!r} is not a date (YYYY-MM-DD) or an ISO 8601 date-time."]
        return None
    moment, is_date = parsed
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        errors[name] = [f"Must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}."]
        return None
    if is_date and end_of_day:
        moment += timedelta(days=1)
    return moment.astimezone(UTC)


def _parsed(text: str) -> tuple[datetime, bool] | None:
    """The moment `text` names (UTC without an offset) and whether it is a date; None
    when it is not in the grammar, or names a day or an hour that does not exist."""
    if not re.fullmatch(MOMENT, text):
        return None
    try:
        if len(text) == len("YYYY-MM-DD"):
            day = parse_date(text)
            return (datetime.combine(day, time(), tzinfo=UTC), True) if day else None
        moment = parse_datetime(text)
    except ValueError:
        return None
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), False


def _confidence(text: str | None, errors: dict) -> float:
    if text is None:
        return DEFAULT_MIN_CONFIDENCE
    value = float(text) if re.fullmatch(CONFIDENCE, text) else math.nan
    if not 0.0 <= value <= 1.0:
        errors["min_confidence"] = ["Must be a number from 0 to 1."]
        return DEFAULT_MIN_CONFIDENCE
    return value


def _labels(params, errors: dict) -> tuple[int, ...]:
    """Label ids, comma-separated or the parameter repeated."""
    values = params.getlist("label") if hasattr(params, "getlist") else [params.get("label")]
    values = [value for value in values if value]
    wrong = [value for value in values if not re.fullmatch(LABEL_LIST, value)]
    if wrong:
        errors["label"] = [
            f"Label ids, whole numbers separated by commas (at most {MAX_LABELS}); "
            f"not {wrong[0][:40]!r}."
        ]
        return ()
    ids = {int(item) for value in values for item in value.split(",")}
    if len(ids) > MAX_LABELS:
        errors["label"] = [f"At most {MAX_LABELS} labels at once."]
        return ()
    return tuple(sorted(ids))
