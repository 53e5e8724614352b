"""The MLIR programs in examples/mlir on every backend, against the reference interpreter and numpy."""

from __future__ import annotations

import numpy as np
import pytest

import ircc
from tests.conftest import CPU_TARGETS, EXAMPLES

MLIR = EXAMPLES / "mlir"


@pytest.mark.parametrize("target", CPU_TARGETS)
def test_control_flow(target: str) -> None:
    collatz = ircc.compile(MLIR / "control.mlir", target=target, entry="collatz")
    fact = ircc.compile(MLIR / "control.mlir", target=target, entry="fact")
    assert [collatz(n) for n in (1, 6, 7, 27)] == [0, 8, 16, 111]
    assert fact(10) == 3628800 and fact(1) == 1


@pytest.mark.parametrize("target", CPU_TARGETS)
def test_matrix_sums(target: str) -> None:
    m = np.arange(12.0).reshape(3, 4)
    assert ircc.compile(MLIR / "matsum.mlir", target=target, entry="matsum")(m) == m.sum()
    np.testing.assert_array_equal(ircc.compile(MLIR / "matsum.mlir", target=target, entry="rowsums")(m),
                                  m.sum(axis=1))
    norms = np.zeros(3)
    ircc.compile(MLIR / "rownorms.mlir", target=target, threads=2)(m, norms)
    np.testing.assert_allclose(norms, np.sqrt((m * m).sum(axis=1)), rtol=1e-15)


@pytest.mark.parametrize("target", CPU_TARGETS)
def test_saxpy_in_place(target: str) -> None:
    x, y = np.linspace(0, 1, 9), np.arange(9.0)
    want = 2.5 * x + y
    ircc.compile(MLIR / "saxpy.mlir", target=target, threads=2)(2.5, x, y)
    np.testing.assert_array_equal(y, want)
