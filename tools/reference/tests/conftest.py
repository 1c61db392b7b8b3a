"""Shared fixtures of the reference checks."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def toronto_records():
    """The packaged Toronto incidents as (object, epoch ms) pairs, loaded once per session."""
    from tools.reference.plant_surges import load_records

    return load_records([])


@pytest.fixture(scope="session")
def shipped_config() -> Path:
    return ROOT / "Config" / "vigil.toml"
