"""Fixtures of the scheduled-care tests: the catalogue's storage on both stores."""

from tests.catalogue.conftest import storage  # noqa: F401 - local folder and S3
