// RUN: ircc %s -p 'lower-sparse' | filecheck %s
// RUN: ircc %s -p 'lower-sparse{parallel=false}' | filecheck %s --check-prefix=SERIAL

// y = A @ x: rows in parallel, each a reduction over the row's entries from the additive identity.

// CHECK-LABEL: func.func @spmv(
// CHECK-NOT:     sparse.
// CHECK:         scf.parallel
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK:           %[[Y:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]]) -> (f64)
// CHECK:             arith.mulf
// CHECK:             arith.addf
// CHECK:           memref.store %{{.*}}, %y[%{{.*}}] : memref<?xf64>

// SERIAL-NOT:    scf.parallel
// SERIAL:        func.return

func.func @spmv(%ap: memref<?xi32>, %ai: memref<?xi32>, %av: memref<?xf64>, %m: index, %k: index,
                %x: memref<?xf64>, %y: memref<?xf64>) {
  %a = sparse.assemble %ap, %ai, %av, %m, %k : memref<?xi32>, memref<?xi32>, memref<?xf64> -> !sparse.csr<f64, i32>
  sparse.spmv %a, %x, %y {semiring = "plus_times"} : !sparse.csr<f64, i32>, memref<?xf64>, memref<?xf64>
  func.return
}
