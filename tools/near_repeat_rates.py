#!/usr/bin/env python3
"""Positive rates of candidate near-repeat targets on the Toronto data (docs/ACCURACY.md):
for each incident since 2014, is there another incident within R metres and (t, t + T]
(any category, or the same category)? Independent of Vigil: pandas/scipy from the raw CSV rows.

    .venv/bin/python tools/near_repeat_rates.py
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from tools.vigil_tools.toronto import load_incidents, sort_incidents


def main() -> None:
    rows = [(i.epoch_ms, i.obj["lat"], i.obj["lon"], i.obj["category"]) for i in sort_incidents(load_incidents())
            if i.epoch_ms is not None and "lat" in i.obj and "lon" in i.obj and i.epoch_ms >= 1388534400000]
    t = np.array([r[0] for r in rows], dtype=np.int64)
    lat, lon = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    cat = np.array([r[3] for r in rows])
    # Vigil's projection: equirectangular about the middle of grid.bbox.
    m_lat = 6_371_008.8 * np.pi / 180
    m_lon = m_lat * np.cos(np.deg2rad((43.58 + 43.86) / 2))
    tree = cKDTree(np.c_[(lon + 79.64) * m_lon, (lat - 43.58) * m_lat])
    print(f"{len(t)} incidents since 2014\n")
    print("| R | T | any category | same category |\n|---|---|---|---|")
    for radius in (150, 250, 400):
        pairs = tree.query_pairs(radius, output_type="ndarray")
        a, b = pairs[:, 0], pairs[:, 1]
        first, second = np.where(t[a] <= t[b], a, b), np.where(t[a] <= t[b], b, a)
        dt = t[second] - t[first]
        same = cat[first] == cat[second]
        for hours in (24, 72, 168):
            ok = (dt > 0) & (dt <= hours * 3_600_000)
            any_pos = np.zeros(len(t), bool)
            any_pos[first[ok]] = True
            same_pos = np.zeros(len(t), bool)
            same_pos[first[ok & same]] = True
            print(f"| {radius} m | {hours} h | {any_pos.mean():.3f} | {same_pos.mean():.3f} |")


if __name__ == "__main__":
    main()
