// RUN: ircc %s -p 'lower-sparse{algorithm=esc}' | filecheck %s

// SpGEMM by expand-sort-compress per row: the row's products go to a pair buffer as long as the largest
// row's flops, are sorted by column with the pair sort, and equal columns are combined as the sorted
// run is copied into C's row. No accumulator in the numeric phase; the symbolic phase is the marker count.

// CHECK-LABEL: func.func @spgemm(
// CHECK-NOT:     sparse.
// CHECK:         %row_flops = memref.alloc
// CHECK:         %max_row_flops
// symbolic: the marker count
// CHECK:         scf.parallel
// CHECK:           %mark = memref.alloc(%n)
// CHECK:         %c_indices = memref.alloc(%nnz)
// numeric: expand into the pair buffers
// CHECK:         scf.parallel
// CHECK:           %expanded_cols = memref.alloc(%[[W:.*]]) : memref<?xi32>
// CHECK-NEXT:      %expanded_vals = memref.alloc(%[[W]]) : memref<?xf64>
// CHECK-NOT:       memref.alloc(%n)
// CHECK:           %expanded = scf.for
// CHECK:             memref.store %{{.*}}, %expanded_cols
// CHECK:             arith.mulf
// CHECK:             memref.store %{{.*}}, %expanded_vals
// sort
// CHECK:           func.call @ircc_sort_i32_f64(%expanded_cols, %expanded_vals, %{{.*}}, %expanded)
// compress: equal to the last column combines, else a new entry
// CHECK:           scf.for %{{.*}} = %{{.*}} to %expanded step %{{.*}} iter_args(%{{.*}} = %{{.*}}, %[[LASTC:.*]] = %{{.*}}) -> (index, i32)
// CHECK:             %[[SAME:.*]] = arith.cmpi eq, %{{.*}}, %[[LASTC]] : i32
// CHECK:             scf.if %[[SAME]] -> (index) {
// CHECK:               arith.addf
// CHECK:             } else {
// CHECK:               memref.store %{{.*}}, %c_indices
// CHECK:           memref.dealloc %expanded_cols
// CHECK:         func.return %c_indptr, %c_indices, %c_values
// the pair sort: keys and values move together
// CHECK:       func.func private @ircc_sort_i32_f64(%{{.*}}: memref<?xi32>, %{{.*}}: memref<?xf64>, %{{.*}}: index, %{{.*}}: index)

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
