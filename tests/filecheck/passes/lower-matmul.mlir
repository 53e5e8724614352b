// RUN: ircc %s -p 'lower-matmul{strategy=blas}' | filecheck %s --check-prefix=BLAS
// RUN: ircc %s -p 'lower-matmul{strategy=loops}' | filecheck %s --check-prefix=LOOPS

// nn.Linear as torch exports it: the weight transposed into a buffer, the bias broadcast into the output,
// then the product accumulated onto it. As a BLAS call the transpose copy disappears into the
// call's flag and beta is 1 (the bias is kept); as loops the copy stays and k runs outside j.

// BLAS-LABEL: func.func @linear(
// BLAS-NOT:     memref.alloc
// BLAS:         linalg.generic {{.*}} ins(%p_bias : memref<5xf32>) outs(%out0 : memref<4x5xf32>)
// BLAS:         %[[A:.*]] = "memref.cast"(%input) : (memref<4x3xf32>) -> memref<?x?xf32>
// BLAS-NEXT:    %[[B:.*]] = "memref.cast"(%p_weight) : (memref<5x3xf32>) -> memref<?x?xf32>
// BLAS-NEXT:    %[[C:.*]] = "memref.cast"(%out0) : (memref<4x5xf32>) -> memref<?x?xf32>
// BLAS-NEXT:    %[[TA:.*]] = arith.constant false
// BLAS-NEXT:    %[[TB:.*]] = arith.constant true
// BLAS-NEXT:    %[[BETA:.*]] = arith.constant 1.000000e+00 : f32
// BLAS-NEXT:    func.call @ircc_sgemm(%[[A]], %[[B]], %[[C]], %[[TA]], %[[TB]], %[[BETA]])
// BLAS-NOT:     memref.dealloc

// LOOPS-LABEL: func.func @linear(
// LOOPS:         %0 = memref.alloc() : memref<3x5xf32>
// LOOPS:         linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%input, %0 : memref<4x3xf32>, memref<3x5xf32>) outs(%out0 : memref<4x5xf32>)
// LOOPS-NOT:     linalg.matmul
// LOOPS-NOT:     func.call
func.func @linear(%p_weight: memref<5x3xf32>, %p_bias: memref<5xf32>, %input: memref<4x3xf32>, %out0: memref<4x5xf32>) {
  %0 = memref.alloc() : memref<3x5xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%p_weight : memref<5x3xf32>) outs(%0 : memref<3x5xf32>) {
  ^bb0(%1: f32, %2: f32):
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%p_bias : memref<5xf32>) outs(%out0 : memref<4x5xf32>) {
  ^bb0(%3: f32, %4: f32):
    linalg.yield %3 : f32
  }
  linalg.matmul ins(%input, %0 : memref<4x3xf32>, memref<3x5xf32>) outs(%out0 : memref<4x5xf32>)
  memref.dealloc %0 : memref<3x5xf32>
  func.return
}

// A product into zeros: the fill becomes beta = 0; an operand read elsewhere too keeps its copy.
// BLAS-LABEL: func.func @mm(
// BLAS-NOT:     linalg.fill
// BLAS:         %[[BETA:[0-9]+]] = arith.constant 0.000000e+00 : f64
// BLAS-NEXT:    func.call @ircc_dgemm({{.*}}, %[[BETA]])
// BLAS:         func.func private @ircc_sgemm(memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>, i1, i1, f32)
// BLAS-NEXT:    func.func private @ircc_dgemm(memref<?x?xf64>, memref<?x?xf64>, memref<?x?xf64>, i1, i1, f64)
// LOOPS-LABEL: func.func @mm(
// LOOPS:         linalg.fill
func.func @mm(%x: memref<2x3xf64>, %w: memref<3x4xf64>, %out: memref<2x4xf64>) {
  %zero = arith.constant 0.000000e+00 : f64
  linalg.fill ins(%zero : f64) outs(%out : memref<2x4xf64>)
  linalg.matmul ins(%x, %w : memref<2x3xf64>, memref<3x4xf64>) outs(%out : memref<2x4xf64>)
  func.return
}
