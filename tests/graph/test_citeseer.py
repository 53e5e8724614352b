"""Peregrine's ground-truth counts for citeseer (``../shared/data/graphs/``; skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ircc
from ircc.graph import DataGraph, Pattern

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "graphs"


def _truth(name: str) -> list[tuple[Pattern, int]]:
    path = DATA / "citeseer-truth" / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            text, count = line.rsplit(maxsplit=1)
            rows.append((Pattern.parse(text), int(count)))
    return rows


@pytest.fixture(scope="module")
def citeseer() -> DataGraph:
    path = DATA / "citeseer.npz"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    data = np.load(path)
    return DataGraph.from_edges(int(data["n"]), data["edges"])


@pytest.mark.parametrize("name", ["4m.txt", "4m-edge.txt", "5m-edge.txt", "5m.txt"])
def test_counts_equal_peregrines_ground_truth(citeseer, name):
    rows = _truth(name)
    got = ircc.graph.count(citeseer, [p for p, _ in rows], target="llvm")
    assert got == [c for _, c in rows]
