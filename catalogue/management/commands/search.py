"""Search the catalogue from the command line; prints the result as JSON."""

import dataclasses
import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalogue.search.query import QueryError, query_from_params
from catalogue.selectors import search_catalogue


class Command(BaseCommand):
    help = (
        "Search sets or images, e.g. `search q=diatoms instrument=FlowCam bbox=0,50,5,56 "
        "kind=image sort=newest`. Prints hits, total, facets and the next-page token as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("params", nargs="*", help="name=value search parameters")
        parser.add_argument("--as-user", help="search as this user (default: anonymous)")

    def handle(self, *args: Any, params: list[str], as_user: str | None, **options: Any) -> None:
        parsed: dict[str, list[str]] = {}
        for param in params:
            name, sep, value = param.partition("=")
            if not sep:
                raise CommandError(f"{param!r}: write parameters as name=value")
            parsed.setdefault(name, []).append(value)
        user = None
        if as_user:
            try:
                user = get_user_model().objects.get(username=as_user)
            except get_user_model().DoesNotExist as error:
                raise CommandError(f"no user {as_user!r}") from error
        try:
            result = search_catalogue(user, query_from_params(parsed))
        except QueryError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(dataclasses.asdict(result), indent=2, default=str))
