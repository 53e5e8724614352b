"""Shared test set-up: a temporary compile cache, a small hypothesis profile under CI, helpers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Every test run gets its own compile cache (set before ircc reads it).
_CACHE = tempfile.mkdtemp(prefix="ircc-test-cache-")
os.environ["IRCC_CACHE_DIR"] = _CACHE

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

#: the CPU backends every program runs on (interp is the reference semantics)
CPU_TARGETS = ("llvm", "numba", "interp")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """A fresh, empty compile cache for one test."""
    d = tmp_path / "cache"
    monkeypatch.setenv("IRCC_CACHE_DIR", str(d))
    return d
