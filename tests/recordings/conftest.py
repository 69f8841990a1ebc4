"""Fixtures of the recording tests: storage on a local folder and on the S3 server,
as the catalogue's ingest tests have it."""

from tests.catalogue.conftest import storage  # noqa: F401 - the fixture
