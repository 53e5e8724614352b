// RUN: ircc %s -p 'lower-sparse{algorithm=hash}' | filecheck %s
// RUN: ircc %s -p 'lower-sparse{algorithm=hash parallel=false}' | filecheck %s --check-prefix=SERIAL

// SpGEMM with a hash accumulator per row: an open-addressing table (key -1 = empty) sized to the
// smallest power of two at least twice the row's flop bound, linear probing from (j * 107) & (size - 1).
// Both phases use the table (no n-entry marker). The numeric phase appends each new column to C's row,
// sorts the row's columns, then probes each one's value; a row clears only the slots it filled.

// CHECK-LABEL: func.func @spgemm(
// CHECK-NOT:     sparse.
// CHECK:         %row_flops = memref.alloc
// the symbolic phase in parallel: a table of keys per partition, its capacity a power of two from the
// largest row's flops; no n-entry marker
// CHECK:         scf.parallel
// CHECK-NOT:       memref.alloc(%n)
// CHECK:           %capacity = scf.while
// CHECK:           %hash_keys = memref.alloc(%capacity) : memref<?xi32>
// CHECK:           %used_slots = memref.alloc(%capacity) : memref<?xindex>
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
// a new key records its slot
// CHECK:             memref.store %slot, %used_slots
// the row's filled slots are reset after it is counted (never the whole table)
// CHECK:           %[[USED:.*]] = memref.load %used_slots
// CHECK:           memref.store %{{.*}}, %hash_keys[%[[USED]]]
// CHECK:           memref.dealloc %hash_keys
// the numeric phase: the table sized from the row's counted length; insert on an empty slot (appending
// the column to C's row), accumulate on a hit
// CHECK:         %c_indices = memref.alloc(%nnz)
// CHECK:         scf.parallel
// CHECK:           %[[CAP:capacity_[0-9]+]] = scf.while
// CHECK:           %hash_keys_1 = memref.alloc(%[[CAP]]) : memref<?xi32>
// CHECK:           %hash_vals = memref.alloc(%[[CAP]]) : memref<?xf64>
// CHECK:             arith.mulf
// CHECK:           %slot_1 = scf.while
// CHECK:           %[[EMPTY:.*]] = arith.cmpi eq, %{{.*}}, %{{.*}} : i32
// CHECK:           scf.if %[[EMPTY]] -> (index) {
// CHECK:             memref.store %{{.*}}, %hash_keys_1[%slot_1]
// CHECK:             memref.store %{{.*}}, %hash_vals[%slot_1]
// CHECK:             memref.store %{{.*}}, %c_indices
// CHECK:           } else {
// CHECK:             arith.addf
// the row's columns sorted, then each value looked up
// CHECK:           func.call @ircc_sort_i32(%c_indices,
// CHECK:           %slot_2 = scf.while
// CHECK:           memref.load %hash_vals[%slot_2]
// CHECK:           memref.store %{{.*}}, %c_values
// CHECK:         func.return %c_indptr, %c_indices, %c_values
// CHECK:       func.func private @ircc_sort_i32(

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
