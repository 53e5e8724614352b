"""IR features: trip-weighted op counts, stride classes, dynamic-depth buckets, tokens."""

from __future__ import annotations

import pytest

import ircc
from ircc.costmodel import op_costs
from ircc.costmodel.features import feature_names, ir_features, ir_tokens

TEXT = """
func.func @f(%a: memref<?xf64>, %idx: memref<?xindex>, %out: memref<?xf64>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      %k = arith.addi %i, %j : index
      %x = memref.load %a[%j] : memref<?xf64>
      %y = memref.load %a[%i] : memref<?xf64>
      %p = memref.load %idx[%j] : memref<?xindex>
      %z = memref.load %a[%p] : memref<?xf64>
      %s = arith.addf %x, %z : f64
      %e = math.exp %s : f64
      memref.store %e, %out[%p] : memref<?xf64>
    }
    scf.for %t = %c0 to %n step %c1 {
      %v = memref.load %a[%t] : memref<?xf64>
      %w = arith.mulf %v, %v : f64
      memref.store %w, %out[%t] : memref<?xf64>
    }
  }
  func.return
}
"""


def test_counts_are_weighted_by_the_trips_the_ir_fixes() -> None:
    f = ir_features(ircc.parse(TEXT))
    assert list(f) == feature_names()
    # the inner 8 x 4 nest: each op 32 times; a[j] unit, a[i] invariant, idx[j] unit, a[idx[j]] indirect
    assert f["w_load_unit"] == 32 + 32 + 8  # a[j], idx[j], and a[t] of the dynamic loop (weight 8, not n)
    assert f["w_load_invariant"] == 32
    assert f["w_load_indirect"] == 32
    assert f["w_store_indirect"] == 32 and f["accum_dense_scatter"] == 32
    assert f["w_math"] == 32 and f["w_int"] == 32
    # the loop bounded by %n: its ops land in the one-unknown-loop bucket
    assert f["dyn1_load_unit"] == 8 and f["dyn1_store_unit"] == 8 and f["dyn1_float"] == 8
    assert f["dyn0_float"] == 32  # the addf of the static nest
    assert f["loops"] == 3 and f["max_depth"] == 2 and f["max_dyn_depth"] == 1
    # nanoseconds by the static table: 32 additions and 32 exponentials in the static nest, 8 multiplications
    t = op_costs("f64", "static")
    assert f["dyn0_op_ns"] == pytest.approx(32 * (t["add"] + t["exp"]))
    assert f["w_op_ns"] == pytest.approx(32 * (t["add"] + t["exp"]) + 8 * max(t["mul"], t["add"]))


def test_tokens_name_ops_types_and_regions() -> None:
    tokens = ir_tokens(ircc.parse(TEXT))
    assert tokens[0] == "func.func" and "scf.for" in tokens and "math.exp" in tokens
    assert tokens.count("{") == tokens.count("}") and "f64" in tokens


def test_a_column_walk_is_strided_and_a_loop_invariant_access_invariant() -> None:
    text = """
    func.func @f(%a: memref<64x32xf32>, %s: memref<32xf32>) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      %c64 = arith.constant 64 : index
      scf.for %j = %c0 to %c32 step %c1 {
        scf.for %i = %c0 to %c64 step %c1 {
          %x = memref.load %a[%i, %j] : memref<64x32xf32>
          %t = memref.load %s[%j] : memref<32xf32>
          %y = arith.addf %x, %t : f32
          memref.store %y, %s[%j] : memref<32xf32>
        }
      }
      func.return
    }"""
    f = ir_features(ircc.parse(text))
    assert f["w_load_strided"] == 64 * 32  # a[i, j] with i innermost: a column, one row apart each step
    assert f["w_load_invariant"] == 64 * 32 and f["w_store_invariant"] == 64 * 32
    assert f["w_load_unit"] == 0


def test_tiles_trip_counts_and_miss_estimates() -> None:
    """A tiled transpose does the same loads (its tile loops' trips are read through the ``minsi`` bounds) but
    far fewer L1 misses than the column walk of the untiled one, and enters its short inner loops more often."""
    from ircc.costmodel.variants import loop_order_text, tile_pipeline

    text = loop_order_text("transpose", (1024, 2048))
    feats = {}
    for tiles in ((0, 0), (32, 32), (8, 256)):
        k = ircc.compile(text, target="llvm", threads=1, pipeline=tile_pipeline(tiles))
        feats[tiles] = ir_features(ircc.ir.text.parse_module(k.mlir(-1)))
    untiled, square, wide = feats[(0, 0)], feats[(32, 32)], feats[(8, 256)]
    for f in feats.values():
        assert f["w_load_strided"] == pytest.approx(1024 * 2048) and f["dyn1_load_strided"] == 0
    # untiled: each 2048-long column walk touches 2048 lines (128 KiB, over L1): every load misses L1
    assert untiled["miss_l1"] >= 1024 * 2048
    # 32 x 32 tiles: only compulsory misses, one per 16 floats of each array
    assert square["miss_l1"] == pytest.approx(2 * 1024 * 2048 / 16)
    assert untiled["miss_l2"] == pytest.approx(square["miss_l2"])  # a column's lines fit L2 either way
    assert untiled["miss_tlb1"] > 10 * square["miss_tlb1"]
    assert wide["w_inner_entries"] < square["w_inner_entries"] < untiled["w_inner_entries"] * 64 + 1
    assert square["w_inner_entries"] == pytest.approx(1024 * 2048 / 32)
