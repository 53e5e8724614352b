// RUN: ircc %s -p 'lower-graph' | filecheck %s
// RUN: ircc %s -p 'lower-graph{parallel=false}' | filecheck %s --check-prefix=SERIAL
// RUN: ircc %s -p 'lower-graph,canonicalize,cse' -t interp --emit=cse | filecheck %s --check-prefix=CLEAN

// The triangle plan: root vertex v0, v1 in N(v0) above v0, then |N(v0) above v0 ∩ N(v1), above v1|.
// Neighbour lists are slices of %indices (no copy), the symmetry bound a binary search, the
// intersection a sorted merge into a buffer allocated per chunk of root vertices, the last level a size.

// CHECK-LABEL: func.func @count(
// CHECK-NOT:     graph.
// the largest degree sizes the set buffers
// CHECK:         %max_degree = arith.maxsi
// CHECK:         %partial_counts = memref.alloc(%{{.*}}) : memref<?xi64>
// chunks of root vertices in parallel, each with its own buffer
// CHECK:         scf.parallel
// CHECK:           %set_buffer = memref.alloc(%max_degree) : memref<?xi32>
// the root loop sums an i64 count
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (i64) {
// graph.above: binary search for the first neighbour > v0
// CHECK:             scf.while
// CHECK:               arith.cmpi sle, %{{.*}}, %{{.*}} : i32
// the loop over v1, then the merge: less / greater / equal, the common ids stored into the buffer
// CHECK:             scf.for
// CHECK:               scf.while
// CHECK:                 arith.cmpi slt, %{{.*}}, %{{.*}} : i32
// CHECK-NEXT:            arith.cmpi sgt, %{{.*}}, %{{.*}} : i32
// CHECK-NEXT:            %[[EQ:.*]] = arith.cmpi eq, %{{.*}}, %{{.*}} : i32
// CHECK-NEXT:            scf.if %[[EQ]] {
// CHECK-NEXT:              memref.store %{{.*}}, %set_buffer
// the size of what is above v1: another binary search, then hi - lo as i64
// CHECK:               scf.while
// CHECK:               arith.index_cast %{{.*}} : index to i64
// CHECK:           memref.dealloc %set_buffer
// the chunks' counts summed
// CHECK:         %count = scf.for
// CHECK:         memref.dealloc %partial_counts
// CHECK:         func.return %count : i64

// SERIAL-NOT:    scf.parallel
// SERIAL:        func.return

// CLEAN-NOT:     graph.
// CLEAN:         func.return

func.func @count(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index) -> i64 {
  %g = graph.assemble %indptr, %indices, %n : memref<?xi64>, memref<?xi32> -> !graph.graph
  %count = "graph.for_vertices"(%g) ({
  ^bb0(%v0: index):
    %n0 = graph.neighbours %g, %v0 : !graph.graph -> !graph.set
    %s1 = graph.above %n0, %v0 : !graph.set
    %c1 = "graph.for_each"(%s1) ({
    ^bb1(%v1: index):
      %n1 = graph.neighbours %g, %v1 : !graph.graph -> !graph.set
      %s2 = graph.intersect %s1, %n1 : !graph.set
      %s3 = graph.above %s2, %v1 : !graph.set
      %c2 = graph.size %s3 : !graph.set -> i64
      graph.yield %c2 : i64
    }) : (!graph.set) -> i64
    graph.yield %c1 : i64
  }) {parallel} : (!graph.graph) -> i64
  func.return %count : i64
}
