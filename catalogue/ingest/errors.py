"""The one error type of ingestion: it names the file and the reason."""


class IngestError(Exception):
    """A file (or a whole source) was rejected; `name` says which, `reason` why."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason
