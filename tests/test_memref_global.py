"""Constant ``memref.global`` data read with ``memref.get_global`` (a model's weights folded in), run by every CPU
backend against numpy: each element type the backends store, ranks 0 to 4, splat and non-splat dense values,
indices read from a global, a parallel loop, a 1M-element global; mutable globals are a BackendError where a
backend compiles only constants."""

from __future__ import annotations

import time

import numpy as np
import pytest

import ircc
from ircc.errors import BackendError
from tests.conftest import CPU_TARGETS

_IR_TYPES = {np.float32: "f32", np.float64: "f64", np.int32: "i32", np.int64: "i64", np.bool_: "i1"}


def _memref(shape: tuple[int, ...], dtype) -> str:
    return f"memref<{''.join(f'{d}x' for d in shape)}{_IR_TYPES[dtype]}>"


def _global(name: str, shape: tuple[int, ...], dtype, init: str, *, constant: bool = True, align: str = "") -> str:
    t = _memref(shape, dtype)
    tensor = t.replace("memref", "tensor")
    flags = ", constant" if constant else ""
    return (f'"memref.global"() <{{sym_name = "{name}", type = {t}, initial_value = {init} : {tensor}{flags}, '
            f'sym_visibility = "private"{align}}}> : () -> ()\n')


def _hex(values: np.ndarray) -> str:
    """A dense attribute's hex form (how large data reads and prints): the elements' little-endian bytes."""
    return f'dense<"0x{values.tobytes().hex().upper()}">'


def _elementwise(shape: tuple[int, ...], dtype, init: str, *, align: str = ", alignment = 64 : i64") -> str:
    """``out = w + x`` element by element over a loop nest, ``w`` a constant global with initial value ``init``."""
    t = _memref(shape, dtype)
    add = "arith.addf" if np.dtype(dtype).kind == "f" else "arith.addi"
    consts = "".join(f"  %n{k} = arith.constant {d} : index\n" for k, d in enumerate(shape))
    ivs = ", ".join(f"%i{k}" for k in range(len(shape)))
    body = (f"%a = memref.load %w[{ivs}] : {t}\n%b = memref.load %x[{ivs}] : {t}\n"
            f"%s = {add} %a, %b : {_IR_TYPES[dtype]}\nmemref.store %s, %out[{ivs}] : {t}\n")
    for k in reversed(range(len(shape))):
        inner = "".join("  " + line + "\n" for line in body.splitlines())
        body = f"scf.for %i{k} = %c0 to %n{k} step %c1 {{\n{inner}}}\n"
    body = "".join("  " + line + "\n" for line in body.splitlines())
    return (_global("w", shape, dtype, init, align=align)
            + f"func.func @f(%x: {t}, %out: {t}) {{\n"
            + f"  %w = memref.get_global @w : {t}\n"
            + "  %c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index\n"
            + consts + body + "  func.return\n}\n")


_RANK4 = np.arange(12, dtype=np.float32).reshape(2, 1, 3, 2) / 4 - 1

#: id -> (shape, dtype, initial value, the global's values)
CASES = {
    "f32-2x3": ((2, 3), np.float32, "dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]>",
                np.array([[1, 2, 3], [4, 5, 6]], np.float32)),
    "f64-splat-2x3x4": ((2, 3, 4), np.float64, "dense<1.5>", np.full((2, 3, 4), 1.5)),
    "f64-zeros": ((5,), np.float64, "dense<0.0>", np.zeros(5)),
    "f32-rank0": ((), np.float32, "dense<2.5>", np.array(2.5, np.float32)),
    "f32-rank4-hex": ((2, 1, 3, 2), np.float32, _hex(_RANK4), _RANK4),
    "i32-5": ((5,), np.int32, "dense<[-1, 2, -3, 2147483640, 0]>",
              np.array([-1, 2, -3, 2147483640, 0], np.int32)),
    "i64-splat-2x2": ((2, 2), np.int64, "dense<-9000000000>", np.full((2, 2), -9000000000, np.int64)),
}


@pytest.mark.parametrize("target", CPU_TARGETS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_global_added_to_input(case: str, target: str) -> None:
    shape, dtype, init, values = CASES[case]
    kernel = ircc.compile(_elementwise(shape, dtype, init), target=target, entry="f", cache=False)
    x = (np.arange(values.size) % 7).astype(dtype).reshape(shape)
    out = np.zeros(shape, dtype)
    kernel(x, out)
    np.testing.assert_array_equal(out, values + x)


MASK_AND_GATHER = (
    _global("mask", (4,), np.bool_, "dense<[true, false, true, true]>")
    + _global("perm", (4,), np.int64, "dense<[3, 0, 2, 1]>")
    + """
func.func @f(%x: memref<4xi32>, %out: memref<4xi32>) {
  %mask = memref.get_global @mask : memref<4xi1>
  %perm = memref.get_global @perm : memref<4xi64>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0 : i32
  scf.for %i = %c0 to %c4 step %c1 {
    %k = memref.load %perm[%i] : memref<4xi64>
    %ki = arith.index_cast %k : i64 to index
    %v = memref.load %x[%ki] : memref<4xi32>
    %m = memref.load %mask[%i] : memref<4xi1>
    %s = arith.select %m, %v, %zero : i32
    memref.store %s, %out[%i] : memref<4xi32>
  }
  func.return
}
""")


@pytest.mark.parametrize("target", CPU_TARGETS)
def test_i64_global_as_indices_and_i1_global_as_mask(target: str) -> None:
    kernel = ircc.compile(MASK_AND_GATHER, target=target, entry="f", cache=False)
    x = np.array([10, 20, 30, 40], np.int32)
    out = np.full(4, -1, np.int32)
    kernel(x, out)
    np.testing.assert_array_equal(out, np.where([True, False, True, True], x[[3, 0, 2, 1]], 0))


BIG = 1 << 20


def _big_module(values: np.ndarray) -> str:
    t = f"memref<{BIG}xf32>"
    return _global("big", (BIG,), np.float32, _hex(values)) + f"""
func.func @total(%out: memref<f64>) {{
  %w = memref.get_global @big : {t}
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant {BIG} : index
  %zero = arith.constant 0.0 : f64
  %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f64) {{
    %v = memref.load %w[%i] : {t}
    %d = arith.extf %v : f32 to f64
    %a = arith.addf %acc, %d : f64
    scf.yield %a : f64
  }}
  memref.store %s, %out[] : memref<f64>
  func.return
}}

func.func @copy(%out: {t}) {{
  %w = memref.get_global @big : {t}
  "memref.copy"(%w, %out) : ({t}, {t}) -> ()
  func.return
}}

func.func @pick(%i: index) -> f32 {{
  %w = memref.get_global @big : {t}
  %v = memref.load %w[%i] : {t}
  func.return %v : f32
}}
"""


@pytest.mark.parametrize("target", CPU_TARGETS)
def test_million_element_global(target: str) -> None:
    values = np.random.default_rng(0).standard_normal(BIG).astype(np.float32)
    text = _big_module(values)
    start = time.perf_counter()
    kernel = ircc.compile(text, target=target, entry="pick", cache=False)
    print(f"\n{target}: compiling a module with a {values.nbytes >> 20} MiB global took "
          f"{time.perf_counter() - start:.2f} s ({kernel.compile_stats.get('backend_s', 0.0):.2f} s in the backend)")
    pick, total, copy = (kernel.entries[name] for name in ("pick", "total", "copy"))
    assert pick(BIG - 3) == values[BIG - 3] and pick(5) == values[5]
    if target == "interp":
        return  # a million interpreted loads take minutes
    out = np.zeros((), np.float64)
    total(out)
    assert out[()] == pytest.approx(values.astype(np.float64).sum(), rel=1e-12)
    dst = np.zeros(BIG, np.float32)
    copy(dst)
    np.testing.assert_array_equal(dst, values)


PARALLEL = _global("w", (64,), np.float64, _hex(np.linspace(-1, 1, 64))) + """
func.func @f(%x: memref<64xf64>, %out: memref<64xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %outer = memref.get_global @w : memref<64xf64>
  "scf.parallel"(%c0, %c64, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    %inner = memref.get_global @w : memref<64xf64>
    %a = memref.load %inner[%i] : memref<64xf64>
    %b = memref.load %outer[%i] : memref<64xf64>
    %v = memref.load %x[%i] : memref<64xf64>
    %p = arith.mulf %a, %b : f64
    %s = arith.addf %p, %v : f64
    memref.store %s, %out[%i] : memref<64xf64>
    scf.reduce
  }) : (index, index, index) -> ()
  func.return
}
"""


@pytest.mark.parametrize("target", CPU_TARGETS)
def test_global_read_in_a_parallel_loop(target: str) -> None:
    kernel = ircc.compile(PARALLEL, target=target, entry="f", threads=2, cache=False)
    x = np.arange(64.0)
    out = np.zeros(64)
    kernel(x, out)
    w = np.linspace(-1, 1, 64)
    np.testing.assert_array_equal(out, w * w + x)


def test_llvm_emits_an_aligned_private_constant_and_numba_keeps_data_out_of_the_source() -> None:
    text = _elementwise((2, 3), np.float32, CASES["f32-2x3"][2], align=", alignment = 128 : i64")
    llvm = ircc.compile(text, target="llvm", entry="f", cache=False)
    line = next(ln for ln in llvm.source.splitlines() if ln.startswith('@"ircc.global.w"'))
    assert "private unnamed_addr constant [24 x i8]" in line and line.endswith("align 128"), line
    default = ircc.compile(_elementwise((5,), np.float64, "dense<0.0>"), target="llvm", entry="f", cache=False)
    assert "constant [40 x i8] zeroinitializer, align 64" in default.source
    numba = ircc.compile(text, target="numba", entry="f", cache=False)
    assert " = g_w\n" in numba.source and "6.0" not in numba.source, numba.source


@pytest.mark.parametrize("target", ["llvm", "numba"])
def test_cached_kernel_keeps_its_globals(target: str) -> None:
    text = _elementwise((2, 3), np.float32, CASES["f32-2x3"][2])
    first = ircc.compile(text, target=target, entry="f")
    again = ircc.compile(text, target=target, entry="f")
    assert again.compile_stats["cache"] == "hit", again.compile_stats
    for kernel in (first, again):
        out = np.zeros((2, 3), np.float32)
        kernel(np.ones((2, 3), np.float32), out)
        np.testing.assert_array_equal(out, CASES["f32-2x3"][3] + 1)


MUTABLE = _global("counter", (1,), np.int64, "dense<5>", constant=False) + """
func.func @f() -> i64 {
  %c0 = arith.constant 0 : index
  %g = memref.get_global @counter : memref<1xi64>
  %v = memref.load %g[%c0] : memref<1xi64>
  %one = arith.constant 1 : i64
  %n = arith.addi %v, %one : i64
  memref.store %n, %g[%c0] : memref<1xi64>
  %r = memref.load %g[%c0] : memref<1xi64>
  func.return %r : i64
}
"""


def test_mutable_global_runs_on_interp_with_a_fresh_copy_per_call() -> None:
    kernel = ircc.compile(MUTABLE, target="interp", entry="f")
    assert kernel() == 6 and kernel() == 6


@pytest.mark.parametrize("target", ["llvm", "numba"])
def test_mutable_global_is_a_backend_error(target: str) -> None:
    with pytest.raises(BackendError, match=r"memref.global @counter is mutable"):
        ircc.compile(MUTABLE, target=target, entry="f", cache=False)


@pytest.mark.parametrize("target", ["llvm", "numba"])
def test_get_global_of_another_type_is_a_backend_error(target: str) -> None:
    text = CASES["f32-2x3"][2]
    wrong = _elementwise((2, 3), np.float32, text).replace(
        "%w = memref.get_global @w : memref<2x3xf32>", "%w = memref.get_global @w : memref<3x2xf32>")
    wrong = wrong.replace("memref.load %w[%i0, %i1] : memref<2x3xf32>", "memref.load %w[%i0, %i1] : memref<3x2xf32>")
    with pytest.raises(BackendError, match=r"get_global @w in @f has type memref<3x2xf32>"):
        ircc.compile(wrong, target=target, entry="f", cache=False)


RETURNED = _global("w", (2, 3), np.float32, "dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]>") + """
func.func @whole() -> memref<2x3xf32> {
  %w = memref.get_global @w : memref<2x3xf32>
  func.return %w : memref<2x3xf32>
}

func.func @corner() -> memref<2x2xf32, strided<[3, 1], offset: 1>> {
  %w = memref.get_global @w : memref<2x3xf32>
  %v = memref.subview %w[0, 1] [2, 2] [1, 1] : memref<2x3xf32> to memref<2x2xf32, strided<[3, 1], offset: 1>>
  func.return %v : memref<2x2xf32, strided<[3, 1], offset: 1>>
}
"""


@pytest.mark.parametrize("target", CPU_TARGETS)
def test_returned_global_is_a_copy_the_caller_owns(target: str) -> None:
    entries = ircc.compile(RETURNED, target=target, entry="whole", cache=False).entries
    want = CASES["f32-2x3"][3]
    for name, expected in (("whole", want), ("corner", want[:, 1:])):
        first = entries[name]()
        np.testing.assert_array_equal(first, expected)
        assert first.flags.writeable and first.flags.c_contiguous
        first[...] = -1  # the constant is untouched
        np.testing.assert_array_equal(entries[name](), expected)
