// RUN: ircc %s -p 'lower-sparse{algorithm=spa}' | filecheck %s
// RUN: ircc %s -p 'lower-sparse{algorithm=spa},canonicalize,cse' -t interp --emit=cse | filecheck %s --check-prefix=CLEAN
// RUN: not ircc %s -p 'lower-sparse{algorithm=magic}' 2>&1 | filecheck %s --check-prefix=BAD
// RUN: ircc %S/inputs/spgemm-masked.mlir -p 'lower-sparse{algorithm=spa}' | filecheck %s --check-prefix=MASK
// RUN: ircc %s -p 'lower-sparse{algorithm=spa phases=1}' | filecheck %s --check-prefix=ONE
// RUN: not ircc %s -p 'lower-sparse{phases=3}' 2>&1 | filecheck %s --check-prefix=BADPHASES

// SpGEMM by Gustavson's rows with a dense accumulator (SPA), two phases: a marker tagged with the row
// counts each row's distinct columns into C's row pointers, a scan sizes the output exactly, then the
// numeric phase fills columns in discovery order, sorts each row and gathers the values.

// CHECK-LABEL: func.func @spgemm(
// CHECK-NOT:     sparse.
// rows are split into partitions of about equal flops, each with its own marker (and accumulator)
// CHECK:         %part_rows = memref.alloc
// CHECK:         %c_indptr = memref.alloc(%{{.*}}) : memref<?xi32>
// the symbolic phase: a new column when mark[j] != i
// CHECK:         scf.parallel
// CHECK:           %mark = memref.alloc(%n) : memref<?xi32>
// CHECK:           scf.for %i = {{.*}}
// CHECK:             %j = arith.index_cast
// CHECK:             %{{.*}} = memref.load %mark[%j] : memref<?xi32>
// CHECK-NEXT:        %[[NEW:.*]] = arith.cmpi ne, %{{.*}}, %tag : i32
// CHECK-NEXT:        scf.if %[[NEW]] {
// CHECK-NEXT:          memref.store %tag, %mark[%j] : memref<?xi32>
// the exact output, after the scan
// CHECK:         %c_indices = memref.alloc(%nnz) : memref<?xi32>
// CHECK-NEXT:    %c_values = memref.alloc(%nnz) : memref<?xf64>
// the numeric phase: first touch stores the product, later touches add (plus_times)
// CHECK:         scf.parallel
// CHECK:           %[[MARK:mark_?[0-9]*]] = memref.alloc(%n) : memref<?xi32>
// CHECK:           %acc = memref.alloc(%n) : memref<?xf64>
// a two-level bitmap to sort long rows: one bit per column, one summary bit per word; zeroed once
// CHECK:           %bits = memref.alloc(%{{.*}}) : memref<?xi64>
// CHECK-NEXT:      %bits_summary = memref.alloc(%{{.*}}) : memref<?xi64>
// CHECK:           arith.mulf
// CHECK:           %[[SEEN:.*]] = arith.cmpi eq, %{{.*}}, %[[T2:tag_?[0-9]*]] : i32
// CHECK:           scf.if %[[SEEN]] -> (index) {
// CHECK:             arith.addf
// CHECK:           } else {
// CHECK:             memref.store %[[T2]], %[[MARK]][%{{.*}}]
// each row sorted -- up to 16 entries by the sort function, longer ones by setting their bits and
// reading them back in order (cttz of each summary word, then of each word it names), clearing as it
// reads -- then its values gathered from the accumulator
// CHECK:           func.call @ircc_sort_i32(%c_indices, %{{.*}}, %{{.*}}) : (memref<?xi32>, index, index) -> ()
// CHECK:           } else {
// CHECK:             arith.shli
// CHECK:             arith.ori
// CHECK:             memref.store %{{.*}}, %bits[
// CHECK:             memref.store %{{.*}}, %bits_summary[
// CHECK:             memref.load %bits_summary
// CHECK:             math.cttz %{{.*}} : i64
// CHECK:               memref.load %bits
// CHECK:               math.cttz %{{.*}} : i64
// CHECK:               memref.store %{{.*}}, %c_indices
// CHECK:           memref.load %acc
// CHECK:           memref.store %{{.*}}, %c_values
// CHECK:           memref.dealloc %[[MARK]]
// CHECK-NEXT:      memref.dealloc %acc
// CHECK:         func.return %c_indptr, %c_indices, %c_values
// the sort: shell sort for short rows, heapsort for long ones
// CHECK:       func.func private @ircc_sort_i32(%{{.*}}: memref<?xi32>, %{{.*}}: index, %{{.*}}: index)
// CHECK:         arith.constant 1024 : index
// CHECK:         scf.while

// CLEAN-LABEL: func.func @spgemm(
// CLEAN-NOT:     sparse.
// CLEAN:         func.return

// A mask: its row's columns tagged in a second marker; a column counts (and is accumulated) only when
// mask_mark[j] == i (!= for complement_mask).
// MASK-LABEL: func.func @masked(
// MASK:         %mask_mark = memref.alloc(%n) : memref<?xi32>
// MASK:         memref.store %[[MT:.*]], %mask_mark[%{{.*}}] : memref<?xi32>
// MASK:         %[[NEW:.*]] = arith.cmpi ne, %{{.*}}, %tag : i32
// MASK-NEXT:    %{{.*}} = memref.load %mask_mark[%j] : memref<?xi32>
// MASK-NEXT:    %{{.*}} = arith.index_cast %i : index to i32
// MASK-NEXT:    %[[IN:.*]] = arith.cmpi ne, %{{.*}}, %{{.*}} : i32
// MASK-NEXT:    %{{.*}} = arith.andi %[[NEW]], %[[IN]] : i1

// BAD: lower-sparse: unknown algorithm 'magic'; algorithms are: spa, hash, esc, heap, hybrid

// One phase: no symbolic phase (no marker count before the numeric one); each row gets min(flops, n)
// slots of scratch, the numeric phase records the rows' lengths, a scan gives C's row pointers, and the
// rows are copied down into exact arrays in parallel; the scratch is freed.
// ONE-LABEL:   func.func @spgemm(
// ONE:           %c_indptr = memref.alloc
// ONE:           %row_bound = memref.alloc
// ONE:           %upper_bound = scf.for
// ONE:             arith.minsi %{{.*}}, %n : index
// ONE:           %tmp_indices = memref.alloc(%upper_bound) : memref<?xi32>
// ONE-NEXT:      %tmp_values = memref.alloc(%upper_bound) : memref<?xf64>
// ONE-NEXT:      %{{.*}} = arith.constant
// ONE-NOT:       %nnz
// ONE:           scf.parallel
// ONE:             %acc = memref.alloc(%n)
// ONE:             memref.store %{{.*}}, %tmp_indices
// the row's length, where the symbolic phase would have put its count
// ONE:             %[[START:.*]] = memref.load %row_bound[%i] : memref<?xindex>
// ONE-NEXT:        %[[LEN:.*]] = arith.subi %{{.*}}, %[[START]] : index
// ONE:             %[[LEN32:.*]] = arith.index_cast %[[LEN]] : index to i32
// ONE-NEXT:        memref.store %[[LEN32]], %c_indptr
// ONE:           %nnz = scf.for
// ONE:           %c_indices = memref.alloc(%nnz) : memref<?xi32>
// ONE-NEXT:      %c_values = memref.alloc(%nnz) : memref<?xf64>
// ONE:           scf.parallel
// ONE:             memref.load %tmp_indices
// ONE:             memref.store %{{.*}}, %c_indices
// ONE:           memref.dealloc %row_bound
// ONE-NEXT:      memref.dealloc %tmp_indices
// ONE-NEXT:      memref.dealloc %tmp_values
// ONE:           func.return %c_indptr, %c_indices, %c_values

// BADPHASES: lower-sparse: phases must be 1 or 2, not 3

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
