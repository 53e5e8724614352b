"""The IR the Python frontend emits: the structured form each construct takes (before any pass)."""

from __future__ import annotations

import numpy as np

import ircc


def ir_of(fn, *args, **options) -> str:
    text = ircc.jit(fn, emit="input", **options).kernel(*args).mlir("input")
    return "\n".join(line.split(" loc(")[0] for line in text.splitlines())  # drop the locations


def loop_sum(a):
    s = 0.0
    for i in range(len(a)):
        s += a[i]
    return s


def first_negative(a):
    for i in range(len(a)):
        if a[i] < 0:
            return i
    return -1


def neighbours(a, out):
    for i in range(1, len(a)):
        out[i] = a[i - 1] + a[-1]


def any_index(a, k):
    return a[k]


def branchy(x):
    if x > 0:
        y = x * 2.0
    else:
        y = -x
    return y


def counting_down(n):
    s = 0
    for i in range(n, 0, -1):
        s += i
    return s


def test_counted_loop_carries_the_sum():
    text = ir_of(loop_sum, np.ones(2))
    assert "scf.for" in text and "iter_args" in text and "-> (f64) : i64" in text
    assert "scf.while" not in text and "scf.if" not in text


def test_early_return_becomes_a_while_with_flags():
    text = ir_of(first_negative, np.ones(2))
    assert "scf.while" in text and "scf.condition" in text and "scf.for" not in text


def test_provably_non_negative_indices_are_not_wrapped():
    text = ir_of(neighbours, np.ones(3), np.ones(3))
    # a[i - 1] with i >= 1 needs no wrap; a[-1] is a[len(a) - 1], computed without a select
    assert "arith.select" not in text
    assert "arith.select" in ir_of(any_index, np.ones(3), 1)  # an unknown index may be negative


def test_branches_yield_the_variables_they_assign():
    text = ir_of(branchy, 1.0)
    assert "scf.if" in text and "-> (f64)" in text and "scf.yield" in text


def test_negative_steps_are_normalised_to_a_trip_count():
    text = ir_of(counting_down, 5)
    assert "arith.ceildivsi" in text and "scf.for" in text
    assert ircc.jit(counting_down)(5) == 15 and ircc.jit(counting_down)(-3) == 0
