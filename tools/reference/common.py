"""Shared definitions of the reference checks: grid, acceptance, loading.

Everything here is written from the *specification* of Vigil's analytics,
not from its Swift sources, so that the checks are independent:

* **Grid.**  Bounding box ``(south, west, north, east)`` (default Toronto,
  ``(43.58, -79.64, 43.86, -79.11)``), square cells of ``s`` metres (default
  250).  Local equirectangular projection: ``R = 6371008.8``;
  ``mPerDegLat = R*pi/180``; ``mPerDegLon = mPerDegLat*cos(midLat*pi/180)``
  with ``midLat = (south+north)/2``; ``x_m = (lon-west)*mPerDegLon``,
  ``y_m = (lat-south)*mPerDegLat``; cell ``(floor(x_m/s), floor(y_m/s))``
  written ``x{cx}y{cy}``.  The Gi* universe is ``columns x rows`` cells with
  ``columns = ceil((east-west)*mPerDegLon/s)``,
  ``rows = ceil((north-south)*mPerDegLat/s)``.
* **Acceptance.**  An incident takes part in the analytics iff Vigil's
  decoder would accept it: non-empty ``id`` (<= 256 UTF-8 bytes) and
  ``category`` (<= 128 bytes), an RFC 3339 ``event_time`` with offset inside
  1900-01-01..2200-01-01, ``lat``/``lon`` in range, not the ``(0, 0)``
  placeholder, and inside the bounding box (edges included).  An empty
  ``neighbourhood`` counts as absent.
* **Order.**  Accepted incidents are processed sorted by ``(epoch_ms, id)``;
  the *processed index* of an incident is its 0-based position in that order.

:func:`load_frame` returns the accepted incidents as a pandas DataFrame in
processing order with columns ``id, t, category, premises, neighbourhood,
lat, lon, x_m, y_m, cx, cy, day``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tools.vigil_tools.ndjson import iter_ndjson

EARTH_RADIUS_M = 6371008.8
DEFAULT_BBOX = (43.58, -79.64, 43.86, -79.11)  # south, west, north, east
DEFAULT_CELL_SIZE_M = 250.0
DAY_MS = 86_400_000
HOUR_MS = 3_600_000

# (horizon_s, resolution_s) of the sliding windows.
HORIZONS: tuple[tuple[int, int], ...] = (
    (900, 60),
    (3600, 300),
    (86400, 3600),
    (604800, 21600),
    (2419200, 86400),
)
FAMILIES = ("category_cell", "category_neighbourhood", "cell")

# Decoder's plausible event-time range (inclusive), in ms.
PLAUSIBLE_MS = (-2_208_988_800_000, 7_258_118_400_000)

_CELL_RE = re.compile(r"^x(-?\d+)y(-?\d+)$")


# ---------------------------------------------------------------------------
# Grid


@dataclass(frozen=True)
class Grid:
    """The metric grid over a bounding box (see the module docstring)."""

    south: float = DEFAULT_BBOX[0]
    west: float = DEFAULT_BBOX[1]
    north: float = DEFAULT_BBOX[2]
    east: float = DEFAULT_BBOX[3]
    cell_size: float = DEFAULT_CELL_SIZE_M

    @property
    def m_per_deg_lat(self) -> float:
        return EARTH_RADIUS_M * math.pi / 180

    @property
    def m_per_deg_lon(self) -> float:
        mid = (self.south + self.north) / 2
        return self.m_per_deg_lat * math.cos(mid * math.pi / 180)

    @property
    def columns(self) -> int:
        return math.ceil((self.east - self.west) * self.m_per_deg_lon / self.cell_size)

    @property
    def rows(self) -> int:
        return math.ceil((self.north - self.south) * self.m_per_deg_lat / self.cell_size)

    @property
    def n_cells(self) -> int:
        return self.columns * self.rows

    def project(self, lat: Any, lon: Any) -> tuple[np.ndarray, np.ndarray]:
        """Metres east and north of the south-west corner (arrays)."""
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        return (lon - self.west) * self.m_per_deg_lon, (lat - self.south) * self.m_per_deg_lat

    def cells(self, lat: Any, lon: Any) -> tuple[np.ndarray, np.ndarray]:
        """Integer cell column and row (floor of projected metres / cell size)."""
        x, y = self.project(lat, lon)
        return (np.floor(x / self.cell_size).astype(np.int64),
                np.floor(y / self.cell_size).astype(np.int64))

    def contains(self, lat: Any, lon: Any) -> np.ndarray:
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        return (lat >= self.south) & (lat <= self.north) & (lon >= self.west) & (lon <= self.east)

    def as_dict(self) -> dict[str, Any]:
        return {"south": self.south, "west": self.west, "north": self.north, "east": self.east,
                "cell_size_m": self.cell_size, "columns": self.columns, "rows": self.rows}


def cell_name(cx: int, cy: int) -> str:
    return f"x{int(cx)}y{int(cy)}"


def parse_cell_name(name: str) -> tuple[int, int]:
    m = _CELL_RE.match(name)
    if m is None:
        raise ValueError(f"not a cell name: {name!r}")
    return int(m.group(1)), int(m.group(2))


# ---------------------------------------------------------------------------
# Time


_RFC3339_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_rfc3339_ms(text: Any) -> int | None:
    """Epoch ms of an RFC 3339 timestamp with offset, or ``None``.

    Fractions finer than a millisecond are truncated; a leap second ``:60``
    is read as ``:59``; offsets beyond +-23:59 are rejected.
    """
    if not isinstance(text, str):
        return None
    m = _RFC3339_RE.match(text)
    if m is None:
        return None
    y, mo, d, hh, mi, ss = (int(m.group(k)) for k in range(1, 7))
    if hh > 23 or mi > 59 or ss > 60:
        return None
    try:
        base = datetime(y, mo, d, tzinfo=UTC)
    except ValueError:
        return None
    frac = m.group(7)
    millis = int((frac + "00")[:3]) if frac else 0
    offset = 0
    if m.group(9):
        oh, om = int(m.group(10)), int(m.group(11))
        if oh > 23 or om > 59:
            return None
        offset = (oh * 3600 + om * 60) * (-1 if m.group(9) == "-" else 1)
    days = (base - _EPOCH).days
    secs = days * 86400 + hh * 3600 + mi * 60 + min(ss, 59) - offset
    return secs * 1000 + millis


def format_rfc3339_ms(ms: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS[.mmm]Z`` for epoch milliseconds (UTC)."""
    dt = _EPOCH + timedelta(milliseconds=int(ms))
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        text += f".{ms % 1000:03d}"
    return text + "Z"


def utc_day(ms: Any) -> Any:
    """UTC day number ``floor(ms / 86400000)`` (scalar or array)."""
    return np.floor_divide(ms, DAY_MS)


# ---------------------------------------------------------------------------
# Incidents


COLUMNS = ("id", "t", "category", "premises", "neighbourhood", "lat", "lon")


def _text_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) and v != "" else None


def _number_or_nan(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return math.nan
    return float(v)


def frame_from_records(records: Iterable[tuple[Mapping[str, Any], int | None]],
                       grid: Grid = Grid()) -> pd.DataFrame:
    """Accepted incidents, in processing order, from ``(obj, epoch_ms)`` pairs.

    ``epoch_ms`` ``None`` means "no usable event time" (rejected).
    """
    ids, ts, cats, prems, hoods, lats, lons = [], [], [], [], [], [], []
    for obj, t in records:
        ids.append(obj.get("id"))
        ts.append(t)
        cats.append(obj.get("category"))
        prems.append(_text_or_none(obj.get("premises")))
        hoods.append(_text_or_none(obj.get("neighbourhood")))
        lats.append(_number_or_nan(obj.get("lat")))
        lons.append(_number_or_nan(obj.get("lon")))
    n = len(ids)
    lat = np.asarray(lats, dtype=np.float64)
    lon = np.asarray(lons, dtype=np.float64)
    has_t = np.fromiter((t is not None for t in ts), np.bool_, n)
    t = np.fromiter((t if t is not None else 0 for t in ts), np.int64, n)
    ok_id = np.fromiter((isinstance(i, str) and 0 < len(i.encode("utf-8")) <= 256 for i in ids), np.bool_, n)
    ok_cat = np.fromiter((isinstance(c, str) and 0 < len(c.encode("utf-8")) <= 128 for c in cats), np.bool_, n)
    with np.errstate(invalid="ignore"):
        ok = (has_t & ok_id & ok_cat
              & (t >= PLAUSIBLE_MS[0]) & (t <= PLAUSIBLE_MS[1])
              & (lat >= -90) & (lat <= 90) & (lon >= -180) & (lon <= 180)
              & ~((lat == 0) & (lon == 0))
              & grid.contains(lat, lon))
    df = pd.DataFrame({
        "id": pd.Series(ids, dtype=object), "t": t, "category": pd.Series(cats, dtype=object),
        "premises": pd.Series(prems, dtype=object), "neighbourhood": pd.Series(hoods, dtype=object),
        "lat": lat, "lon": lon,
    })[ok]
    return finish_frame(df, grid)


def finish_frame(df: pd.DataFrame, grid: Grid) -> pd.DataFrame:
    """Sort by (t, id), renumber 0..n-1 and add projection, cell and day columns."""
    ids = df["id"].to_numpy(dtype=object)
    if len(ids):
        _, id_rank = np.unique(ids, return_inverse=True)  # exact string order
        order = np.lexsort((id_rank.ravel(), df["t"].to_numpy()))
    else:
        order = np.arange(0)
    df = df.iloc[order].reset_index(drop=True)
    x, y = grid.project(df["lat"].to_numpy(), df["lon"].to_numpy())
    df["x_m"] = x
    df["y_m"] = y
    df["cx"] = np.floor(x / grid.cell_size).astype(np.int64)
    df["cy"] = np.floor(y / grid.cell_size).astype(np.int64)
    df["day"] = utc_day(df["t"].to_numpy())
    return df


def frame_from_ndjson(path: str | Path, grid: Grid = Grid()) -> pd.DataFrame:
    """Accepted incidents of a canonical-incident NDJSON file."""
    def pairs() -> Iterator[tuple[dict[str, Any], int | None]]:
        for obj in iter_ndjson(path):
            if isinstance(obj, dict):
                yield obj, parse_rfc3339_ms(obj.get("event_time"))
            else:
                yield {}, None
    return frame_from_records(pairs(), grid)


def frame_from_incidents(incidents: Sequence[Any], grid: Grid = Grid()) -> pd.DataFrame:
    """Accepted incidents from ``vigil_tools.toronto.Incident`` objects."""
    return frame_from_records(((i.obj, i.epoch_ms) for i in incidents), grid)


def load_frame(inputs: Sequence[str | Path] = (), grid: Grid = Grid()) -> pd.DataFrame:
    """Accepted incidents of ``inputs`` in processing order.

    No inputs: the packaged Toronto data (train + test).  ``*.csv`` files are
    converted with :func:`vigil_tools.toronto.load_csv` (the file stem names
    the split in the ids); anything else is read as canonical NDJSON.
    """
    from tools.vigil_tools import toronto

    if not inputs:
        return frame_from_incidents(toronto.load_incidents(), grid)
    frames = []
    for path in inputs:
        p = Path(path)
        if p.suffix.lower() == ".csv":
            frames.append(frame_from_incidents(toronto.load_csv(p, p.stem), grid))
        else:
            frames.append(frame_from_ndjson(p, grid))
    return finish_frame(pd.concat(frames, ignore_index=True)[list(COLUMNS)], grid)


def add_grid_arguments(parser: Any) -> None:
    """``--bbox S W N E`` and ``--cell-size M`` options."""
    parser.add_argument("--bbox", nargs=4, type=float, metavar=("SOUTH", "WEST", "NORTH", "EAST"),
                        default=list(DEFAULT_BBOX), help="grid bounding box (default Toronto)")
    parser.add_argument("--cell-size", type=float, default=DEFAULT_CELL_SIZE_M, help="cell size in metres")
    parser.add_argument("--input", action="append", default=[], metavar="FILE",
                        help="incident file(s) given to vigil replay (.csv in the Toronto layout or "
                             "canonical NDJSON); default: the packaged Toronto train+test data")


def grid_from_args(args: Any) -> Grid:
    s, w, n, e = args.bbox
    return Grid(s, w, n, e, args.cell_size)
