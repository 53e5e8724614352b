// RUN: ircc %s -p 'graph-order,graph-symmetry,graph-plan,graph-reuse,graph-count-last,graph-choose' | filecheck %s
// RUN: ircc %s -p 'graph-plan,graph-reuse,graph-count-last,graph-choose' | filecheck %s --check-prefix=ORDERED

// A star with three leaves: the leaves come from one set, N(v0); the two inner loops become C(|N(v0)|, 3).
// CHECK-LABEL: func.func @star(
// CHECK:         ^bb0(%v0: index):
// CHECK-NEXT:      %[[N:.*]] = graph.neighbours %g, %v0
// CHECK-NEXT:      %[[C:.*]] = graph.choose %[[N]] {r = 3 : i64} : !graph.set -> i64
// CHECK-NEXT:      graph.yield %[[C]] : i64
// without symmetry conditions the leaves are ordered: |N| (|N|-1) (|N|-2), divided by |Aut| = 6 after
// ORDERED-LABEL: func.func @star(
// ORDERED:         graph.choose %{{.*}} {r = 3 : i64, ordered} : !graph.set -> i64
// ORDERED:         arith.constant 6 : i64

func.func @star(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index) -> i64 {
  %g = graph.assemble %indptr, %indices, %n : memref<?xi64>, memref<?xi32> -> !graph.graph
  %c = graph.pattern %g {k = 4 : i64, edges = array<i64: 0, 1, 0, 2, 0, 3>, anti_edges = array<i64>, labels = array<i64: -1, -1, -1, -1>, op = "count"} : !graph.graph -> i64
  func.return %c : i64
}

// A 4-path 0-1-2-3 matched from its middle edge: the ends come from different sets A (v1's other
// neighbours) and B (v2's) and only have to differ: |A| |B| - |A ∩ B|, the intersection only counted.
// CHECK-LABEL: func.func @path(
// CHECK:         "graph.for_each"
// CHECK:           %[[A:.*]] = graph.exclude %{{.*}}, %v2
// CHECK-NEXT:      %[[B:.*]] = graph.exclude %{{.*}}, %v1
// CHECK-NEXT:      %[[NA:.*]] = graph.size %[[A]]
// CHECK-NEXT:      %[[NB:.*]] = graph.size %[[B]]
// CHECK-NEXT:      %[[AB:.*]] = graph.intersect %[[A]], %[[B]]
// CHECK-NEXT:      %[[NAB:.*]] = graph.size %[[AB]]
// CHECK-NEXT:      %[[P:.*]] = arith.muli %[[NA]], %[[NB]] : i64
// CHECK-NEXT:      %[[R:.*]] = arith.subi %[[P]], %[[NAB]] : i64
// CHECK-NEXT:      graph.yield %[[R]] : i64
func.func @path(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index) -> i64 {
  %g = graph.assemble %indptr, %indices, %n : memref<?xi64>, memref<?xi32> -> !graph.graph
  %c = graph.pattern %g {k = 4 : i64, edges = array<i64: 0, 1, 1, 2, 2, 3>, anti_edges = array<i64>, labels = array<i64: -1, -1, -1, -1>, op = "count"} : !graph.graph -> i64
  func.return %c : i64
}
