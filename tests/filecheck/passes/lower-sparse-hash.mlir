// RUN: ircc %s -p 'lower-sparse{algorithm=hash}' | filecheck %s
// RUN: ircc %s -p 'lower-sparse{algorithm=hash parallel=false}' | filecheck %s --check-prefix=SERIAL

// SpGEMM with a hash accumulator per row: an open-addressing table (key -1 = empty) sized to the
// smallest power of two at least twice the row's flop bound, linear probing from (j * 107) & (size - 1).
// Both phases use the table (no n-entry marker); the numeric phase moves the occupied slots into C's
// row, clearing them as it goes, and sorts the row's (column, value) pairs.

// CHECK-LABEL: func.func @spgemm(
// CHECK-NOT:     sparse.
// CHECK:         %row_flops = memref.alloc
// the table capacity: a power of two from the largest row's flops
// CHECK:         %capacity = scf.while
// the symbolic phase in parallel: a table of keys per partition, no n-entry marker
// CHECK:         scf.parallel
// CHECK-NOT:       memref.alloc(%n)
// CHECK:           %hash_keys = memref.alloc(%capacity) : memref<?xi32>
// CHECK:           %size = scf.while
// the probe loop: step while the slot holds another key
// CHECK:           %[[H:.*]] = arith.andi %{{.*}}, %[[LAST:.*]] : index
// CHECK:           %slot = scf.while (%[[S:.*]] = %[[H]]) : (index) -> index {
// CHECK:             %[[K:.*]] = memref.load %hash_keys[%[[S]]] : memref<?xi32>
// CHECK:             arith.cmpi ne, %[[K]]
// CHECK:             arith.cmpi ne, %[[K]]
// CHECK:             scf.condition
// CHECK:           } do {
// CHECK:             arith.addi
// CHECK:             arith.andi %{{.*}}, %[[LAST]] : index
// the row's slots are reset after it is counted
// CHECK:           scf.for %{{.*}} = %{{.*}} to %size
// CHECK:             memref.store %{{.*}}, %hash_keys
// CHECK:           memref.dealloc %hash_keys
// the numeric phase: keys and values, insert on an empty slot, accumulate on a hit
// CHECK:         %c_indices = memref.alloc(%nnz)
// CHECK:         scf.parallel
// CHECK:           %hash_keys_1 = memref.alloc(%capacity) : memref<?xi32>
// CHECK:           %hash_vals = memref.alloc(%capacity) : memref<?xf64>
// CHECK:             arith.mulf
// CHECK:           %slot_1 = scf.while
// CHECK:           %[[EMPTY:.*]] = arith.cmpi eq, %{{.*}}, %{{.*}} : i32
// CHECK:           scf.if %[[EMPTY]] {
// CHECK:             memref.store %{{.*}}, %hash_keys_1[%slot_1]
// CHECK:             memref.store %{{.*}}, %hash_vals[%slot_1]
// CHECK:           } else {
// CHECK:             arith.addf
// gather the occupied slots into C's row, clearing each
// CHECK:           scf.for %[[SL:.*]] = %{{.*}} to %size_1
// CHECK:             memref.store %{{.*}}, %c_indices
// CHECK:             memref.store %{{.*}}, %c_values
// CHECK:             memref.store %{{.*}}, %hash_keys_1[%[[SL]]]
// the row's pairs sorted by column
// CHECK:           func.call @ircc_sort_i32_f64(%c_indices, %c_values,
// CHECK:         func.return %c_indptr, %c_indices, %c_values
// CHECK:       func.func private @ircc_sort_i32_f64(

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
