// RUN: ircc %s -p linalg-interchange | filecheck %s

// A batched product reading its second operand transposed ((b, j, k) in memory): with a reassociable
// combiner, k (unit stride on both inputs) goes innermost.
// CHECK-LABEL: func.func @dot_rows(
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
func.func @dot_rows(%a: memref<2x4x32xf32>, %kt: memref<2x64x32xf32>, %c: memref<2x4x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%a, %kt : memref<2x4x32xf32>, memref<2x64x32xf32>) outs(%c : memref<2x4x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %p fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  }
  func.return
}

// The same without reassoc: the reduction may not be vectorized, so nothing moves.
// CHECK-LABEL: func.func @strict(
// CHECK:         iterator_types = ["parallel", "parallel", "reduction", "parallel"]
func.func @strict(%a: memref<2x4x32xf32>, %kt: memref<2x64x32xf32>, %c: memref<2x4x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%a, %kt : memref<2x4x32xf32>, memref<2x64x32xf32>) outs(%c : memref<2x4x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  func.return
}

// Loops declared column-first over row-major buffers: the row index goes innermost and the
// linalg.index of the other dimension is renumbered.
// CHECK-LABEL: func.func @column_first(
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK:           linalg.index 0
func.func @column_first(%x: memref<8x16xf32>, %y: memref<8x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d1, d0)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<8x16xf32>) outs(%y : memref<8x16xf32>) {
  ^bb0(%a: f32, %b: f32):
    %i = linalg.index 1 : index
    linalg.yield %a : f32
  }
  func.return
}
