"""Independent Python reference checks for Vigil's analytics.

Each module recomputes, from the raw incidents and with pandas / numpy /
scikit-learn only, a quantity that ``vigil replay`` writes, and compares:

* :mod:`reference.windows`      - sliding-window counts at sampled probes;
* :mod:`reference.hotspots`     - Getis-Ord Gi* hot cells and hotspot components
  (plus a DBSCAN agreement table for context);
* :mod:`reference.plant_surges` - a real incident stream with planted surges
  and the ground truth;
* :mod:`reference.score_surges` - detection rate of the planted surges.

:mod:`reference.common` holds the shared definitions (grid, acceptance,
loading).  Vigil's outputs are only ever read to be *compared*; nothing here
feeds them back into a computation.

Run the CLIs from ``tools/`` (or with ``PYTHONPATH=tools``), e.g.
``python -m reference.windows --probes probes.ndjson``.
"""
