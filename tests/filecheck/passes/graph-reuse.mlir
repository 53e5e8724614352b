// RUN: ircc %s -p 'graph-order,graph-symmetry,graph-plan,graph-reuse' | filecheck %s
// RUN: ircc %s -p 'graph-order,graph-symmetry,graph-plan' | filecheck %s --check-prefix=BEFORE

// The 4-clique. Before: every level builds N(v0) ∩ N(v1) ∩ ... from scratch and cuts it afterwards.
// BEFORE:        ^bb0(%v2: index):
// BEFORE-NEXT:     graph.neighbours %g, %v0
// BEFORE-NEXT:     graph.neighbours %g, %v1
// BEFORE-NEXT:     graph.intersect
// BEFORE-NEXT:     graph.neighbours %g, %v2
// BEFORE-NEXT:     graph.intersect
// BEFORE-NEXT:     graph.above %{{.*}}, %v2

// After: N(v0) is read once; each level continues from its loop's own set (s1, then s2), cut first
// (above s, v is the rest of s in the loop over s), and intersects it with one neighbour list.
// CHECK:         ^bb0(%v0: index):
// CHECK-NEXT:      %[[N0:.*]] = graph.neighbours %g, %v0
// CHECK-NEXT:      %[[S1:.*]] = graph.above %[[N0]], %v0
// CHECK:           "graph.for_each"(%[[S1]]) ({
// CHECK-NEXT:      ^bb0(%v1: index):
// CHECK-NEXT:        %[[N1:.*]] = graph.neighbours %g, %v1
// CHECK-NEXT:        %[[R1:.*]] = graph.above %[[S1]], %v1
// CHECK-NEXT:        %[[C1:.*]] = graph.above %[[N1]], %v1
// CHECK-NEXT:        %[[S2:.*]] = graph.intersect %[[R1]], %[[C1]]
// CHECK-NEXT:        "graph.for_each"(%[[S2]]) ({
// CHECK-NEXT:        ^bb0(%v2: index):
// CHECK-NEXT:          %[[N2:.*]] = graph.neighbours %g, %v2
// CHECK-NEXT:          %[[R2:.*]] = graph.above %[[S2]], %v2
// CHECK-NEXT:          %[[C2:.*]] = graph.above %[[N2]], %v2
// CHECK-NEXT:          %[[S3:.*]] = graph.intersect %[[R2]], %[[C2]]
// CHECK-NEXT:          "graph.for_each"(%[[S3]])
// CHECK-NOT:       graph.neighbours %g, %v0

func.func @count(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index) -> i64 {
  %g = graph.assemble %indptr, %indices, %n : memref<?xi64>, memref<?xi32> -> !graph.graph
  %c = graph.pattern %g {k = 4 : i64, edges = array<i64: 0, 1, 0, 2, 0, 3, 1, 2, 1, 3, 2, 3>, anti_edges = array<i64>, labels = array<i64: -1, -1, -1, -1>, op = "count"} : !graph.graph -> i64
  func.return %c : i64
}
