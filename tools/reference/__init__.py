"""Independent Python reference checks for Vigil's analytics.

Each module recomputes, from the raw incidents and with pandas / numpy /
scikit-learn only, a quantity that ``vigil replay`` writes, and compares:

* :mod:`reference.windows`      - sliding-window counts at sampled probes;
* :mod:`reference.hotspots`     - Getis-Ord Gi* hot cells and hotspot components
  (plus a DBSCAN agreement table for context);
* :mod:`reference.plant_surges` - a real incident stream with planted surges
  and the ground truth;
* :mod:`reference.score_surges` - detection rate of the planted surges;
* :mod:`reference.plant_episodes` / :mod:`reference.score_episodes` /
  :mod:`reference.run_episodes` - planted surges, emerging clusters and
  control windows in the real stream, and the recall / delay / false-alarm
  score of Vigil's alerts on them (issue 11);
* :mod:`reference.clusters_twin` - the offline twin of the emerging-cluster
  scan (observed, expected, LLR of each cylinder);
* :mod:`reference.calibrate_clusters` - the recurrence-interval fit
  RI(LLR) = exp(a + b LLR) and its check on held-out years.

:mod:`tools.reference.common` holds the shared definitions (grid, acceptance,
loading).  Vigil's outputs are only ever read to be *compared*; nothing here
feeds them back into a computation.

Run the CLIs with the venv's Python from anywhere (tools/setup.sh installs the package), e.g.
``.venv/bin/python -m tools.reference.windows --probes probes.ndjson``.
"""
