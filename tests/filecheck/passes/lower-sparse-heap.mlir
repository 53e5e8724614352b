// RUN: ircc %s -p 'lower-sparse{algorithm=heap}' | filecheck %s
// RUN: ircc %s -p 'lower-sparse{algorithm=heap parallel=false}' | filecheck %s --check-prefix=SERIAL

// SpGEMM as a k-way merge per row: a binary min-heap of one cursor per entry of A's row, keyed by the
// column the cursor points at in its row of B. Columns come out in order (no sort), equal columns are
// combined as they come. The symbolic phase is the marker count; rows run over flop-balanced partitions.

// CHECK-LABEL: func.func @spgemm(
// CHECK-NOT:     sparse.
// the partitions: each row's flops, then a binary search for each partition's first row
// CHECK:         %row_flops = memref.alloc
// CHECK:         %part_rows = memref.alloc
// CHECK:         scf.while
// the symbolic phase in parallel: a marker per partition
// CHECK:         scf.parallel
// CHECK:           %mark = memref.alloc(%n) : memref<?xi32>
// CHECK:           memref.dealloc %mark
// the numeric phase in parallel: heap arrays as long as A's longest row
// CHECK:         scf.parallel
// CHECK:           %heap_col = memref.alloc
// CHECK-NEXT:      %heap_src = memref.alloc
// the merge loop: pop the smallest column; combine with the last one written or write a new entry
// CHECK:           scf.while
// CHECK:             %{{.*}} = memref.load %heap_col[%{{.*}}] : memref<?xindex>
// CHECK:             arith.mulf
// CHECK:             %[[SAME:.*]] = arith.cmpi eq
// CHECK:             scf.if %[[SAME]] -> (index) {
// CHECK:               arith.addf
// CHECK:             } else {
// CHECK:               memref.store %{{.*}}, %c_indices
// no sort anywhere
// CHECK-NOT:     ircc_sort
// CHECK:         func.return %c_indptr, %c_indices, %c_values

// SERIAL-NOT:    scf.parallel
// SERIAL:        func.return

func.func @spgemm(%ap: memref<?xi32>, %ai: memref<?xi32>, %av: memref<?xf64>, %m: index, %k: index,
                  %bp: memref<?xi32>, %bi: memref<?xi32>, %bv: memref<?xf64>, %n: index)
    -> (memref<?xi32>, memref<?xi32>, memref<?xf64>) {
  %a = sparse.assemble %ap, %ai, %av, %m, %k : memref<?xi32>, memref<?xi32>, memref<?xf64> -> !sparse.csr<f64, i32>
  %b = sparse.assemble %bp, %bi, %bv, %k, %n : memref<?xi32>, memref<?xi32>, memref<?xf64> -> !sparse.csr<f64, i32>
  %c = sparse.spgemm %a, %b {semiring = "plus_times", sorted}
       : !sparse.csr<f64, i32>, !sparse.csr<f64, i32> -> !sparse.csr<f64, i32>
  %cp, %ci, %cv, %cm, %cn = sparse.disassemble %c : !sparse.csr<f64, i32> -> memref<?xi32>, memref<?xi32>, memref<?xf64>
  func.return %cp, %ci, %cv : memref<?xi32>, memref<?xi32>, memref<?xf64>
}
