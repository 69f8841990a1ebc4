"""The token a harvest sends to another AquaCat (`Authorization: Bearer`): a peer
counts anonymous readers by address (300 requests a minute), a token's requests at
its own, higher rate.

The secret never enters the database, a run report or a page: it is read from the
environment (or a secret mounted as one) when a harvest starts, under a name made
from the source's name, AQUACAT_HARVEST_TOKEN_<NAME> (upper case, other characters
as "_"). What a token lets the peer show beyond its anonymous view (restricted
sets its user may read) is never taken: only sets the peer marks open become
external sets here (catalogue/harvest/aquacat_run.py), so a harvest with a token
makes public nothing the peer does not show everyone."""

from __future__ import annotations

import os
import re

import requests

from catalogue.models import HarvestSource

PREFIX = "AQUACAT_HARVEST_TOKEN_"


def variable(source: HarvestSource) -> str:
    """The environment variable that holds the source's token."""
    return PREFIX + re.sub(r"[^A-Z0-9]", "_", source.name.upper())


def token_of(source: HarvestSource) -> str:
    return os.environ.get(variable(source), "").strip()


def describe(source: HarvestSource) -> dict:
    """Where the token comes from and whether it is set (never its value)."""
    return {"variable": variable(source), "set": bool(token_of(source))}


def session_for(source: HarvestSource) -> requests.Session:
    """A session for the source's API, with its token when one is set."""
    session = requests.Session()
    session.headers["User-Agent"] = "AquaCat harvester"
    token = token_of(source)
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session
