"""The on-disk compile cache: hits, keys, corrupt entries, concurrent writers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import ircc
from ircc.cache import CompileCache

x, y = sp.symbols("x y")
EXPR = [sp.sin(x) * y + x**3, sp.exp(-x * y)]


def _entries(d: Path) -> list[Path]:
    return sorted(d.glob("*.ircc"))


@pytest.mark.parametrize("target", ["llvm", "numba"])
def test_second_compile_is_a_hit_with_stages(cache_dir: Path, target: str) -> None:
    a = ircc.compile(EXPR, args=[x, y], target=target)
    b = ircc.compile(EXPR, args=[x, y], target=target)
    assert a.compile_stats["cache"] == "miss" and b.compile_stats["cache"] == "hit"
    assert len(_entries(cache_dir)) == 1
    assert [n for n, _ in b.stages] == [n for n, _ in a.stages] and b.mlir("cse") == a.mlir("cse")
    assert b.source == a.source
    pts = np.linspace(0, 1, 11)
    for u, v in zip(a(pts, pts), b(pts, pts)):
        np.testing.assert_array_equal(u, v)


def test_key_covers_target_options_and_ir(cache_dir: Path) -> None:
    ircc.compile(EXPR, args=[x, y], target="llvm", threads=1)
    ircc.compile(EXPR, args=[x, y], target="llvm", threads=2)
    ircc.compile(EXPR, args=[x, y], target="llvm", threads=2, fastmath=True)
    ircc.compile(EXPR[:1], args=[x, y], target="llvm", threads=2)
    assert len(_entries(cache_dir)) == 4
    k = ircc.compile(EXPR, args=[x, y], target="cpu", threads=1)
    assert k.compile_stats["cache"] == "hit" and k.compile_stats["target"] == "llvm"


def test_cache_off(cache_dir: Path, monkeypatch) -> None:
    k = ircc.compile(EXPR, args=[x, y], target="llvm", cache=False)
    assert k.compile_stats["cache"] == "off" and not _entries(cache_dir)
    monkeypatch.setenv("IRCC_DISABLE_CACHE", "1")
    assert ircc.compile(EXPR, args=[x, y], target="llvm").compile_stats["cache"] == "off"


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_corrupt_entry_is_rebuilt_not_loaded(cache_dir: Path, damage: str) -> None:
    ircc.compile(EXPR, args=[x, y], target="llvm")
    (entry,) = _entries(cache_dir)
    data = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        i = len(data) - 100
        entry.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])
    elif damage == "garbage":
        entry.write_bytes(b"not a cache entry\n" + data)
    else:
        entry.write_bytes(b"")
    k = ircc.compile(EXPR, args=[x, y], target="llvm")
    assert k.compile_stats["cache"] == "miss"
    assert CompileCache(cache_dir).load(entry.stem) is not None  # rewritten whole
    np.testing.assert_allclose(k(0.5, 2.0), [np.sin(0.5) * 2 + 0.125, np.exp(-1.0)])


def test_two_processes_compile_the_same_kernel_at_once(cache_dir: Path) -> None:
    script = textwrap.dedent("""
        import sys, sympy as sp, numpy as np, ircc
        x, y = sp.symbols("x y")
        k = ircc.compile([sp.sin(x) * y + x**3, sp.exp(-x * y)], args=[x, y], target="llvm")
        v = k(0.5, 2.0)
        assert abs(v[0] - (np.sin(0.5) * 2 + 0.125)) < 1e-15, v
        print(k.compile_stats["cache"])
    """)
    env = {**__import__("os").environ, "IRCC_CACHE_DIR": str(cache_dir)}
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert out.strip() in ("hit", "miss")
    (entry,) = _entries(cache_dir)
    assert CompileCache(cache_dir).load(entry.stem) is not None
    assert not list(cache_dir.glob(".*.tmp"))  # no half-written files left behind
