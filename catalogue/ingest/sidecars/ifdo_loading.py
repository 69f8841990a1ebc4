"""An iFDO document read safely from YAML or JSON, before any iFDO meaning is applied.

Sizes are capped first; YAML aliases (the "billion laughs" blow-up) and keys
repeated in one mapping (a value silently lost) are refused in both syntaxes.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars.values import decode_text, short

#: iFDO documents larger than this are refused before parsing: YAML parsing
#: is slow and memory-hungry, and no honest image set needs more.
MAX_IFDO_BYTES = 50 * 1024 * 1024


class _AliasRefused(yaml.YAMLError):
    """A YAML alias was found; see `IfdoYamlLoader`."""

    def __init__(self, mark: yaml.Mark | None):
        super().__init__("alias")
        self.mark = mark


class _DuplicateKey(ValueError):
    """A mapping repeats a key: one of the two values would be silently lost."""

    def __init__(self, key: str, line: int | None = None):
        super().__init__(key)
        self.key = key
        self.line = line


_BaseSafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class IfdoYamlLoader(_BaseSafeLoader):  # type: ignore[misc, valid-type]
    """A safe loader that refuses aliases and repeated keys.

    Safe loading stops code execution, not size blow-ups: nine nested aliases
    ("billion laughs") make a tiny file expand into billions of entries once
    something walks it. iFDO never needs aliases, so any node reached twice is
    refused before construction. It is built on libyaml's CSafeLoader where
    available (fast enough for large sets) and PyYAML's SafeLoader otherwise.
    """

    def construct_document(self, node: yaml.Node) -> Any:
        seen: set[int] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                raise _AliasRefused(current.start_mark)
            seen.add(id(current))
            if isinstance(current, yaml.SequenceNode):
                stack.extend(current.value)
            elif isinstance(current, yaml.MappingNode):
                for key, value in current.value:
                    stack.extend((key, value))
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        keys: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = (key_node.tag, key_node.value)
                if key in keys:
                    raise _DuplicateKey(key_node.value, key_node.start_mark.line + 1)
                keys.add(key)
        return super().construct_mapping(node, deep=deep)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def load_ifdo_document(data: bytes | str, name: str) -> Any:
    """JSON when the name or the first character says so, else YAML; sizes capped first."""
    if isinstance(data, str):
        size = len(data) if len(data) > MAX_IFDO_BYTES else len(data.encode("utf-8"))
    else:
        size = len(data)
    if size > MAX_IFDO_BYTES:
        raise IngestError(
            name,
            f"is {size / 1024 / 1024:.1f} MB; iFDO documents over "
            f"{MAX_IFDO_BYTES // 1024 // 1024} MB are refused",
        )
    text = decode_text(data, name)
    as_json = name.lower().endswith(".json")
    try:
        if as_json or text.lstrip().startswith("{"):
            try:
                return json.loads(text, object_pairs_hook=_json_pairs)
            except json.JSONDecodeError as exc:
                if as_json:
                    raise IngestError(
                        name, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
                    ) from None
        loader = IfdoYamlLoader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except _AliasRefused as exc:
        line = f" (the value at line {exc.mark.line + 1} is reused)" if exc.mark else ""
        raise IngestError(
            name,
            f"YAML aliases are not accepted{line}: an alias can expand a small file into "
            "an enormous document; write the values out",
        ) from None
    except _DuplicateKey as exc:
        line = f"line {exc.line}: " if exc.line else ""
        raise IngestError(
            name, f"{line}key {short(exc.key)} appears twice in the same mapping"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise IngestError(name, f"not valid YAML: {exc.problem or exc.context}{line}") from None
    except yaml.YAMLError as exc:
        raise IngestError(name, f"not valid YAML: {exc}") from None
    except RecursionError:
        raise IngestError(name, "is nested too deeply to be an iFDO document") from None
