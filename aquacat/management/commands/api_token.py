"""Manage API tokens: `api_token create|list|revoke`."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from aquacat import tokens
from aquacat.models import ApiToken, Scope


class Command(BaseCommand):
    help = "Create, list or revoke API tokens. A new token's secret is printed once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a token and print its secret once")
        create.add_argument("--user", required=True, help="username")
        create.add_argument("--name", required=True)
        create.add_argument(
            "--scope",
            action="append",
            choices=Scope.values,
            dest="scopes",
            help="repeat for several (default: read)",
        )
        expiry = create.add_mutually_exclusive_group()
        expiry.add_argument("--expires", help="ISO 8601 date-time")
        expiry.add_argument("--days", type=int, help="expire after this many days")
        listing = sub.add_parser("list", help="list tokens (never their secrets)")
        listing.add_argument("--user", help="only this user's tokens")
        revoke = sub.add_parser("revoke", help="revoke a token by id, or by --user and --name")
        revoke.add_argument("id", nargs="?", type=int)
        revoke.add_argument("--user")
        revoke.add_argument("--name")

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def user(self, username: str):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"no user {username!r}") from error

    def do_create(self, *, user, name, scopes, expires, days, **_):
        when = None
        if expires:
            when = parse_datetime(expires)
            if when is None:
                raise CommandError(f"--expires {expires!r} is not an ISO 8601 date-time")
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
        elif days is not None:
            when = timezone.now() + timedelta(days=days)
        try:
            token, secret = tokens.create_token(
                user=self.user(user), name=name, scopes=scopes or ["read"], expires=when
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stderr.write(f"token {token.pk} {token.name!r} scopes={','.join(token.scopes)}")
        self.stderr.write("the secret below is shown once; store it now")
        self.stdout.write(secret)

    def do_list(self, *, user, **_):
        rows = ApiToken.objects.select_related("user").order_by("pk")
        if user:
            rows = rows.filter(user__username=user)
        now = timezone.now()
        for token in rows:
            state = (
                "revoked" if token.revoked else "expired" if not token.is_active(now) else "active"
            )
            self.stdout.write(
                f"{token.pk}\t{token.user.username}\t{token.name}\t{token.prefix}…\t"
                f"{','.join(token.scopes)}\t{state}\t"
                f"expires={token.expires.isoformat() if token.expires else '-'}"
            )

    def do_revoke(self, *, id, user, name, **_):
        rows = ApiToken.objects.all()
        if id is not None:
            rows = rows.filter(pk=id)
        elif user and name:
            rows = rows.filter(user__username=user, name=name)
        else:
            raise CommandError("give a token id, or --user and --name")
        token = rows.first()
        if token is None:
            raise CommandError("no such token")
        tokens.revoke_token(token)
        self.stdout.write(f"revoked token {token.pk} {token.name!r}")
