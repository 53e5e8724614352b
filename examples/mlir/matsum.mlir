// Sum of a dynamic 2-D matrix, with an scf.for carrying the accumulator, and a new array from memref.alloc.
func.func @matsum(%m: memref<?x?xf64>) -> f64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %rows = memref.dim %m, %c0 : memref<?x?xf64>
  %cols = memref.dim %m, %c1 : memref<?x?xf64>
  %total = scf.for %i = %c0 to %rows step %c1 iter_args(%acc = %zero) -> (f64) {
    %row = scf.for %j = %c0 to %cols step %c1 iter_args(%racc = %acc) -> (f64) {
      %v = memref.load %m[%i, %j] : memref<?x?xf64>
      %s = arith.addf %racc, %v : f64
      scf.yield %s : f64
    }
    scf.yield %row : f64
  }
  func.return %total : f64
}

func.func @rowsums(%m: memref<?x?xf64>) -> memref<?xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %rows = memref.dim %m, %c0 : memref<?x?xf64>
  %cols = memref.dim %m, %c1 : memref<?x?xf64>
  %out = memref.alloc(%rows) : memref<?xf64>
  scf.for %i = %c0 to %rows step %c1 {
    %r = scf.for %j = %c0 to %cols step %c1 iter_args(%acc = %zero) -> (f64) {
      %v = memref.load %m[%i, %j] : memref<?x?xf64>
      %s = arith.addf %acc, %v : f64
      scf.yield %s : f64
    }
    memref.store %r, %out[%i] : memref<?xf64>
  }
  func.return %out : memref<?xf64>
}
