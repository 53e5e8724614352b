// RUN: ircc %s -p 'convert-linalg-to-parallel-loops{all-dims=true}' | filecheck %s

// all-dims (for GPUs): every nest, however small, and all its leading parallel dimensions in one scf.parallel;
// the reduction dimension stays an scf.for inside.
// CHECK-LABEL: func.func @row_sums(
// CHECK:         "scf.parallel"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NEXT:    ^{{.*}}(%[[B:.*]]: index, %[[T:.*]]: index):
// CHECK-NEXT:      scf.for %[[C:.*]] = 
// CHECK:             memref.load %x[%[[B]], %[[T]], %[[C]]] : memref<2x3x4xf32>
// CHECK:           scf.reduce
func.func @row_sums(%x: memref<2x3x4xf32>, %s: memref<2x3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<2x3x4xf32>) outs(%s : memref<2x3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  func.return
}

// A reduction outermost: nothing is parallel.
// CHECK-LABEL: func.func @column_sums(
// CHECK-NOT:     scf.parallel
func.func @column_sums(%x: memref<16x8xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%x : memref<16x8xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  func.return
}
