"""Schemathesis hooks for the contract run (tests/api/test_contract.py loads them with
SCHEMATHESIS_HOOKS): a resumable upload's chunk travels as
`application/offset+octet-stream` (the tus media type), raw bytes Schemathesis has no
serializer for."""

import schemathesis
from schemathesis.transport.serialization import serialize_binary


@schemathesis.serializer("application/offset+octet-stream")
def chunk_bytes(ctx, value) -> bytes:
    return serialize_binary(value)
