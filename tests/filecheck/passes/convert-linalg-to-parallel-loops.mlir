// RUN: ircc %s -p 'convert-linalg-to-parallel-loops{min-work=64}' | filecheck %s

// Big enough and parallel outermost: scf.parallel over rows, the inner loop stays scf.for.
// CHECK-LABEL: func.func @rows(
// CHECK:         "scf.parallel"(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NEXT:    ^{{.*}}(%[[I:.*]]: index):
// CHECK-NEXT:      scf.for
// CHECK:             memref.load %x[%[[I]], %{{.*}}] : memref<16x8xf32>
// CHECK:           scf.reduce
func.func @rows(%x: memref<16x8xf32>, %y: memref<16x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<16x8xf32>) outs(%y : memref<16x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  func.return
}

// A reduction outermost, or too little work: plain scf.for nests.
// CHECK-LABEL: func.func @column_sums(
// CHECK-NOT:     scf.parallel
// CHECK-LABEL: func.func @small(
// CHECK-NOT:     scf.parallel
func.func @column_sums(%x: memref<16x8xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%x : memref<16x8xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  func.return
}
func.func @small(%x: memref<4x4xf32>, %y: memref<4x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x4xf32>) outs(%y : memref<4x4xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  func.return
}

// A BLAS call does most of the work: the threads go to it, the loops stay serial.
// CHECK-LABEL: func.func @blas_heavy(
// CHECK-NOT:     scf.parallel
// CHECK:         func.call @ircc_sgemm
func.func @blas_heavy(%a: memref<256x256xf32>, %b: memref<256x256xf32>, %c: memref<256x256xf32>, %x: memref<16x8xf32>, %y: memref<16x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<16x8xf32>) outs(%y : memref<16x8xf32>) {
  ^bb0(%e: f32, %f: f32):
    linalg.yield %e : f32
  }
  %0 = "memref.cast"(%a) : (memref<256x256xf32>) -> memref<?x?xf32>
  %1 = "memref.cast"(%b) : (memref<256x256xf32>) -> memref<?x?xf32>
  %2 = "memref.cast"(%c) : (memref<256x256xf32>) -> memref<?x?xf32>
  %false = arith.constant false
  %zero = arith.constant 0.000000e+00 : f32
  func.call @ircc_sgemm(%0, %1, %2, %false, %false, %zero) : (memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>, i1, i1, f32) -> ()
  func.return
}
func.func private @ircc_sgemm(memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>, i1, i1, f32)
