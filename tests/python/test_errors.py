"""Unsupported constructs stop compilation with file:line:col, the source line, a caret and a hint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ircc
from ircc.errors import SourceError
from tests.python import bad_programs as bad

#: test name -> (arguments, words the message must contain)
CASES = {
    "list_comprehension": ((np.ones(3),), ["list comprehension", "not supported", "supported:"]),
    "dict_literal": ((1,), ["a dict", "not supported"]),
    "unknown_function": ((np.ones(3),), ["numpy.linalg.norm", "cannot be called", "supported:"]),
    "print_call": ((1.0,), ["print cannot be called"]),
    "unify_array_scalar": ((np.ones(3),), ["variable 'b'", "float64[:]", "one type"]),
    "slice_index": ((np.ones(3),), ["slices are not supported"]),
    "method_call": ((np.ones(3),), ["method .sum()", "not supported"]),
    "iterate_array": ((np.ones(3),), ["range(...)", "ircc.prange"]),
    "raise_stmt": ((1.0,), ["raise is not supported"]),
    "undefined_name": ((1.0,), ["'y_not_defined' is not defined"]),
    "maybe_undefined": ((np.ones(3),), ["'last' may be undefined", "only inside the loop"]),
    "prange_break": ((np.ones(3),), ["prange loop cannot break"]),
    "prange_not_reduction": ((np.ones(3),), ["'prev'", "not as a reduction"]),
    "missing_return": ((1.0,), ["may reach its end without returning"]),
    "too_many_indices": ((np.ones(3),), ["too many indices"]),
    "unpack_mismatch": ((1.0,), ["cannot unpack a tuple of 3 into 2"]),
    "array_escapes_loop": ((3,), ["made inside this loop and used after it"]),
    "string_constant": ((1.0,), ["str constant is not supported"]),
    "recursive": ((5,), ["calls itself", "recursion is not supported"]),
    "global_array": ((1,), ["global 'TABLE' is an array", "pass arrays as arguments"]),
    "math_wrong_arity": ((1.0,), ["takes 1 argument(s) here, got 2"]),
}


def _marked_line(name: str) -> int:
    lines = Path(bad.__file__).read_text().splitlines()
    for k, line in enumerate(lines, 1):
        if "#" in line and line.rstrip().endswith(name) and not line.lstrip().startswith("def "):
            return k
    raise AssertionError(f"no line marked {name}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_points_at_the_construct(name, monkeypatch):
    args, words = CASES[name]
    fn = getattr(bad, name)
    if name == "recursive":
        monkeypatch.setattr(bad, "recursive_jit", ircc.jit(fn))
    with pytest.raises(SourceError) as info:
        ircc.jit(fn, target="llvm")(*args)
    err = info.value
    text = str(err)
    assert err.filename.endswith("bad_programs.py"), text
    assert err.line == _marked_line(name), text
    lines = text.splitlines()
    assert lines[0].startswith(f"{err.filename}:{err.line}:{err.col}: error: "), text
    assert "^" in lines[2] and lines[2].index("^") == err.col - 1, text
    for w in words:
        assert w in text, f"{w!r} not in:\n{text}"


def test_errors_never_fall_back_to_python():
    kernel = ircc.jit(bad.print_call)
    with pytest.raises(SourceError):
        kernel(1.0)
    with pytest.raises(SourceError):  # and again: no specialization was cached
        kernel(1.0)


def test_bad_arguments_are_refused_clearly():
    @ircc.jit
    def first(a):
        return a[0]

    with pytest.raises(ircc.IrccError, match="a list cannot be passed"):
        first([1.0, 2.0])
    with pytest.raises(ircc.IrccError, match="dtype complex128 are not supported"):
        first(np.ones(2, dtype=complex))
    with pytest.raises(ircc.IrccError, match="takes 1 argument"):
        first(np.ones(2), 3)
    with pytest.raises(ircc.IrccError, match="unknown option"):
        ircc.jit(first.py_func, fastmaths=True)
