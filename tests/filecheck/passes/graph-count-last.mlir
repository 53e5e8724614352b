// RUN: ircc %s -p 'graph-order,graph-symmetry,graph-plan,graph-reuse,graph-count-last' | filecheck %s
// RUN: ircc %s -p 'graph-order,graph-symmetry,graph-plan,graph-reuse' | filecheck %s --check-prefix=BEFORE

// Triangles: the last loop only yields 1 per member, so it becomes the size of its set.
// BEFORE:        %[[S:.*]] = graph.intersect
// BEFORE-NEXT:   "graph.for_each"(%[[S]]) ({
// BEFORE-NEXT:   ^bb0(%v2: index):
// BEFORE-NEXT:     graph.yield %{{.*}} : i64

// CHECK:         %[[S:.*]] = graph.intersect
// CHECK-NEXT:    %[[C:.*]] = graph.size %[[S]] : !graph.set -> i64
// CHECK-NEXT:    graph.yield %[[C]] : i64
// CHECK-NOT:     arith.constant 1 : i64

func.func @count(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index) -> i64 {
  %g = graph.assemble %indptr, %indices, %n : memref<?xi64>, memref<?xi32> -> !graph.graph
  %c = graph.pattern %g {k = 3 : i64, edges = array<i64: 0, 1, 0, 2, 1, 2>, anti_edges = array<i64>, labels = array<i64: -1, -1, -1>, op = "count"} : !graph.graph -> i64
  func.return %c : i64
}
