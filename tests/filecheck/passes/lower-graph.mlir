// RUN: ircc %s -p 'lower-graph' | filecheck %s
// RUN: ircc %s -p 'lower-graph{schedule=cyclic}' | filecheck %s --check-prefix=CYCLIC
// RUN: ircc %s -p 'lower-graph{parallel=false}' | filecheck %s --check-prefix=SERIAL
// RUN: ircc %s -p 'lower-graph,canonicalize,cse' -t interp --emit=cse | filecheck %s --check-prefix=CLEAN

// The triangle plan as graph-reuse leaves it (unoriented): v1 runs over s1 = N(v0) above v0, the last
// level counts s1 after v1 intersected with N(v1) above v1.

// CHECK-LABEL: func.func @count(
// CHECK-SAME:    attributes {ircc.graph_chunk = 64 : i64}
// CHECK-NOT:     graph.
// the largest degree sizes set buffers (none here: the only intersection is counted, never stored)
// CHECK:         %max_degree = arith.maxsi
// CHECK:         %chunks = arith.floordivsi
// CHECK:         %chunk_counts = memref.alloc(%chunks) : memref<?xi64>
// CHECK:         %next_chunk_and_stop = memref.alloc
// workers take the next chunk of 64 root vertices from a shared counter until none is left
// CHECK:         "scf.parallel"
// CHECK-NOT:       %set_buffer
// CHECK:           "memref.atomic_rmw"(%{{.*}}, %next_chunk_and_stop, %{{.*}}) <{kind = 1 : i64}>
// CHECK:           scf.while
// CHECK:             arith.cmpi slt, %{{.*}}, %chunks : index
// CHECK:             scf.condition
// graph.above %n0, %v0: a binary search for the first neighbour > v0
// CHECK:             scf.for
// CHECK:               scf.while
// CHECK:                 arith.cmpi sle, %{{.*}}, %{{.*}} : i32
// the loop over s1; graph.above %s1, %v1 is the rest of s1 (no search), N(v1) above v1 is searched
// CHECK:               scf.for %[[P:.*]] = %{{.*}} to %{{.*}} step
// CHECK:                 %[[REST:.*]] = arith.addi %[[P]], %{{.*}} : index
// CHECK:                 scf.while
// CHECK:                   arith.cmpi sle, %{{.*}}, %{{.*}} : i32
// one side 16 times shorter: it gallops (binary searches from the last position) ...
// CHECK:                 arith.constant 16 : index
// CHECK:                 scf.if
// CHECK:                   scf.while (%{{.*}} = %[[REST]],
// CHECK:                     scf.while
// CHECK:                       arith.cmpi slt, %{{.*}}, %{{.*}} : i32
// ... else a merge that counts the common members
// CHECK:                       arith.cmpi eq, %{{.*}}, %{{.*}} : i32
// CHECK:           memref.store %{{.*}}, %chunk_counts
// CHECK:           "memref.atomic_rmw"(%{{.*}}, %next_chunk_and_stop, %{{.*}}) <{kind = 1 : i64}>
// the chunks' counts summed in chunk order
// CHECK:         %[[TOTAL:.*]] = scf.for
// CHECK:         memref.dealloc %chunk_counts
// CHECK:         func.return %[[TOTAL]] : i64

// CYCLIC-NOT:    memref.atomic_rmw
// CYCLIC:        "scf.parallel"
// CYCLIC:          scf.for %{{.*}} = %{{.*}} to %chunks step %{{.*}} {
// CYCLIC:        func.return

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
      %t1 = graph.above %s1, %v1 : !graph.set
      %t2 = graph.above %n1, %v1 : !graph.set
      %s2 = graph.intersect %t1, %t2 : !graph.set
      %c2 = graph.size %s2 : !graph.set -> i64
      graph.yield %c2 : i64
    }) : (!graph.set) -> i64
    graph.yield %c1 : i64
  }) {parallel} : (!graph.graph) -> i64
  func.return %count : i64
}
