// RUN: true
// (an input of lower-nn.mlir that the nn.attention verifier refuses: the mask does not broadcast)
func.func @mask(%q: memref<2x2x3x4xf32>, %k: memref<2x2x7x4xf32>, %v: memref<2x2x7x4xf32>, %m: memref<3x6xi1>,
                %out: memref<2x2x3x4xf32>) {
  nn.attention %q, %k, %v mask %m into %out {scale = 5.000000e-01 : f64}
      : memref<2x2x3x4xf32>, memref<2x2x7x4xf32>, memref<2x2x7x4xf32> mask memref<3x6xi1> into memref<2x2x3x4xf32>
  func.return
}
