// RUN: ircc %s -p 'graph-order,graph-symmetry,graph-plan,graph-reuse,graph-count-last,graph-choose,graph-orient' | filecheck %s

// The 4-clique reads every neighbour list only above its own vertex: the graph is oriented, the cuts go.
// CHECK-LABEL: func.func @clique(
// CHECK:         graph.assemble %indptr, %indices, %n {oriented}
// CHECK:         %[[N0:.*]] = graph.neighbours %g, %v0 {forward}
// CHECK-NEXT:    "graph.for_each"(%[[N0]])
// CHECK:         %[[N1:.*]] = graph.neighbours %g, %v1 {forward}
// CHECK-NEXT:    %[[R1:.*]] = graph.above %[[N0]], %v1
// CHECK-NEXT:    graph.intersect %[[R1]], %[[N1]]
// CHECK-NOT:     graph.above %{{.*}}, %v0
func.func @clique(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index) -> i64 {
  %g = graph.assemble %indptr, %indices, %n : memref<?xi64>, memref<?xi32> -> !graph.graph
  %c = graph.pattern %g {k = 4 : i64, edges = array<i64: 0, 1, 0, 2, 0, 3, 1, 2, 1, 3, 2, 3>, anti_edges = array<i64>, labels = array<i64: -1, -1, -1, -1>, op = "count"} : !graph.graph -> i64
  func.return %c : i64
}

// A 4-cycle needs whole neighbour lists (v3 is a common neighbour of v0 and v2, below or above them):
// nothing changes.
// CHECK-LABEL: func.func @cycle(
// CHECK-NOT:     oriented
// CHECK-NOT:     forward
// CHECK:         func.return
func.func @cycle(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index) -> i64 {
  %g = graph.assemble %indptr, %indices, %n : memref<?xi64>, memref<?xi32> -> !graph.graph
  %c = graph.pattern %g {k = 4 : i64, edges = array<i64: 0, 1, 1, 2, 2, 3, 0, 3>, anti_edges = array<i64>, labels = array<i64: -1, -1, -1, -1>, op = "count"} : !graph.graph -> i64
  func.return %c : i64
}
