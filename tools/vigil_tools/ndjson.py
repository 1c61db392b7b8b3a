"""NDJSON files (one JSON object a line), the format of incident streams, alerts and probes: the one
reader and the one writer tools/ uses."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any


def dumps(obj: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON (keys in insertion order, no NaN): how producers write incidents."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def write_ndjson(path: str | Path, objs: Iterable[Mapping[str, Any]]) -> Path:
    """Writes `objs` to `path`, one compact JSON object a line; returns the path."""
    with open(path, "wb") as f:
        for obj in objs:
            f.write(dumps(obj) + b"\n")
    return Path(path)


def iter_ndjson(path: str | Path) -> Iterator[dict[str, Any]]:
    """The objects of an NDJSON file (blank lines skipped)."""
    with open(path, "rb") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)
