// Euclidean norm of each row, rows in parallel (scf.parallel, generic form: xDSL has no custom syntax for it),
// each row's sum of squares a carried value; written into %out (destination-passing style).
func.func @row_norms(%m: memref<?x?xf64>, %out: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %r = memref.dim %m, %c0 : memref<?x?xf64>
  %c = memref.dim %m, %c1 : memref<?x?xf64>
  "scf.parallel"(%c0, %r, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    %s = scf.for %j = %c0 to %c step %c1 iter_args(%acc = %zero) -> (f64) {
      %x = memref.load %m[%i, %j] : memref<?x?xf64>
      %sq = arith.mulf %x, %x : f64
      %n = arith.addf %acc, %sq : f64
      scf.yield %n : f64
    }
    %root = math.sqrt %s : f64
    memref.store %root, %out[%i] : memref<?xf64>
    scf.reduce
  }) : (index, index, index) -> ()
  func.return
}
