"""A strict parser of the Prometheus text exposition format 0.0.4, for tests.

Strict on purpose: every sample must belong to a family announced by `# TYPE` (histogram and
summary samples by their suffixes), names and label names must be valid, label values must use
the three defined escapes, values must parse as Go floats, families may not repeat, counters
must end in `_total`, histogram buckets must be cumulative and end in `le="+Inf"` equal to
`_count`. Anything else raises ValueError with the line number.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


@dataclass
class Family:
    name: str
    type: str
    help: str | None = None
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)


def _value(text: str, line: int) -> float:
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError(f"line {line}: bad value {text!r}")
    return float(text)


def _labels(text: str, line: int) -> dict[str, str]:
    labels: dict[str, str] = {}
    i = 0
    while i < len(text):
        m = re.match(r"([a-zA-Z_][a-zA-Z0-9_]*)=\"", text[i:])
        if not m:
            raise ValueError(f"line {line}: bad label syntax at {text[i:]!r}")
        name = m.group(1)
        i += m.end()
        value = []
        while True:
            if i >= len(text):
                raise ValueError(f"line {line}: unterminated label value")
            c = text[i]
            if c == "\\":
                nxt = text[i + 1 : i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ValueError(f"line {line}: bad escape \\{nxt}")
                value.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ValueError(f"line {line}: newline in label value")
            else:
                value.append(c)
                i += 1
        if name in labels:
            raise ValueError(f"line {line}: duplicate label {name}")
        labels[name] = "".join(value)
        if i < len(text):
            if text[i] != ",":
                raise ValueError(f"line {line}: expected ',' between labels")
            i += 1
    return labels


def parse(text: str) -> dict[str, Family]:
    if not text.endswith("\n"):
        raise ValueError("exposition must end with a newline")
    families: dict[str, Family] = {}
    current: Family | None = None
    helps: dict[str, str] = {}
    for n, line in enumerate(text.split("\n")[:-1], start=1):
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] == "HELP":
                if not NAME.match(parts[2]):
                    raise ValueError(f"line {n}: bad metric name {parts[2]!r}")
                helps[parts[2]] = parts[3] if len(parts) > 3 else ""
            elif len(parts) >= 3 and parts[1] == "TYPE":
                name, kind = parts[2], (parts[3] if len(parts) > 3 else "")
                if not NAME.match(name) or kind not in TYPES:
                    raise ValueError(f"line {n}: bad TYPE line {line!r}")
                if name in families:
                    raise ValueError(f"line {n}: family {name} declared twice")
                if kind == "counter" and not name.endswith("_total"):
                    raise ValueError(f"line {n}: counter {name} should end in _total")
                current = families[name] = Family(name, kind, helps.get(name))
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( (-?\d+))?\Z", line)
        if not m:
            raise ValueError(f"line {n}: not a sample: {line!r}")
        name, labels, value = m.group(1), _labels(m.group(3) or "", n), _value(m.group(4), n)
        if current is None:
            raise ValueError(f"line {n}: sample {name} before any TYPE")
        allowed = {current.name}
        if current.type == "histogram":
            allowed = {current.name + s for s in ("_bucket", "_sum", "_count")}
        elif current.type == "summary":
            allowed = {current.name, current.name + "_sum", current.name + "_count"}
        if name not in allowed:
            raise ValueError(f"line {n}: sample {name} does not belong to family {current.name}")
        if current.type == "counter" and (value < 0 or math.isnan(value)):
            raise ValueError(f"line {n}: counter {name} is {value}")
        current.samples.append((name, labels, value))
    for fam in families.values():
        if fam.type == "histogram":
            _check_histogram(fam)
    return families


def _check_histogram(fam: Family) -> None:
    series: dict[tuple, list[tuple[float, float]]] = {}
    counts: dict[tuple, float] = {}
    for name, labels, value in fam.samples:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        if name.endswith("_bucket"):
            if "le" not in labels:
                raise ValueError(f"{fam.name}: bucket without le")
            series.setdefault(rest, []).append((_value(labels["le"], 0), value))
        elif name.endswith("_count"):
            counts[rest] = value
    for key, buckets in series.items():
        bounds = [b for b, _ in buckets]
        if bounds != sorted(bounds) or bounds[-1] != math.inf:
            raise ValueError(f"{fam.name}: buckets not sorted or no +Inf")
        values = [v for _, v in buckets]
        if any(b > a for a, b in zip(values[1:], values)):
            raise ValueError(f"{fam.name}: buckets not cumulative")
        if counts.get(key) != values[-1]:
            raise ValueError(f"{fam.name}: +Inf bucket {values[-1]} != _count {counts.get(key)}")


def value(families: dict[str, Family], name: str, **labels: str) -> float | None:
    """The value of the one sample `name` with exactly these labels (None when absent)."""
    for fam in families.values():
        for sample, lab, v in fam.samples:
            if sample == name and lab == labels:
                return v
    return None
