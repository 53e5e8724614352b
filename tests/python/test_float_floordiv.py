"""Float ``//`` follows CPython exactly (from the remainder), where floor(x / y) rounds or underflows wrong."""

from __future__ import annotations

import math

import pytest

import ircc


def floordiv(x, y):
    return x // y


VALUES = [0.0, -0.0, 5e-324, -5e-324, 1.0, -7.0, 0.1, 3.5, -2.5, 1e308, -1e-300, 1e16, 0.3]


@pytest.mark.parametrize("target", ["llvm", "numba", "interp"])
def test_float_floordiv_matches_python_with_signed_zeros(target):
    k = ircc.jit(floordiv, target=target)
    for a in VALUES:
        for b in VALUES:
            if b != 0:
                want, got = a // b, k(a, b)
                assert got == want and math.copysign(1, got) == math.copysign(1, want), (a, b, got, want)
