"""Every program of python_programs.py, compiled for each CPU backend, against plain Python.

Plain Python runs the same function objects (callees through ``Dispatcher.py_func``); results and
arrays changed in place must agree (floats to 1e-9 relative: only rounding of reassociated sums
may differ, and these programs keep Python's order).
"""

from __future__ import annotations

import numpy as np
import pytest

import ircc
from ircc.frontends.python import Dispatcher
from tests.conftest import CPU_TARGETS
from tests.differential.python_programs import PROGRAMS


def run_plain(fn, args, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(Dispatcher, "__call__", lambda self, *a: self.py_func(*a))
        return fn(*args)


def assert_same(want, got, what="result"):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), f"{what}: {got!r} vs {want!r}"
        for k, (w, g) in enumerate(zip(want, got)):
            assert_same(w, g, f"{what}[{k}]")
    elif isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), f"{what}: got {type(got).__name__}"
        assert got.shape == want.shape and got.dtype == want.dtype, f"{what}: {got.dtype}{got.shape}"
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=what)
    elif want is None:
        assert got is None, what
    elif isinstance(want, (bool, np.bool_)):
        assert isinstance(got, (bool, np.bool_)) and bool(got) == bool(want), f"{what}: {got!r} vs {want!r}"
    elif isinstance(want, (int, np.integer)):
        assert isinstance(got, int) and got == want, f"{what}: {got!r} vs {want!r}"
    else:
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=what)


@pytest.mark.parametrize("target", CPU_TARGETS)
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program(name, target, monkeypatch):
    fn, make_args = PROGRAMS[name]
    plain_args, compiled_args = make_args(np.random.default_rng(7)), make_args(np.random.default_rng(7))
    want = run_plain(fn, plain_args, monkeypatch)
    got = ircc.jit(fn, target=target, threads=2)(*compiled_args)
    assert_same(want, got)
    for k, (w, g) in enumerate(zip(plain_args, compiled_args)):
        if isinstance(w, np.ndarray):
            assert_same(w, g, f"argument {k} after the call")


def test_at_least_thirty_programs():
    assert len({fn for fn, _ in PROGRAMS.values()}) >= 30
