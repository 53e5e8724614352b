// RUN: true
// (inputs of lower-nn.mlir that the nn.attention verifier refuses)
func.func @head_sizes(%q: memref<2x2x1x4xf32>, %k: memref<2x2x7x5xf32>, %v: memref<2x2x7x4xf32>,
                      %out: memref<2x2x1x4xf32>) {
  nn.attention %q, %k, %v into %out {scale = 5.000000e-01 : f64}
      : memref<2x2x1x4xf32>, memref<2x2x7x5xf32>, memref<2x2x7x4xf32> into memref<2x2x1x4xf32>
  func.return
}
