// RUN: ircc %s -p 'graph-symmetry{direction=min},graph-plan' | filecheck %s
// RUN: ircc %s -p 'graph-plan' | filecheck %s --check-prefix=NOSYM
// RUN: ircc %s -p 'graph-symmetry{direction=min},graph-plan{parallel=false}' | filecheck %s --check-prefix=SERIAL

// Triangles with an anti-vertex: a triangle no fourth vertex closes into a 4-clique (direction=min, so
// the bounds read 'above'; auto takes max for anti-vertices). Every level builds its candidates from scratch: neighbour lists intersected, cut by the symmetry bounds; the innermost
// body checks the anti-vertex (the common neighbours of the three, outside the match, must be empty).
// CHECK-LABEL: func.func @count(
// CHECK-NOT:     graph.pattern
// CHECK:         %c = "graph.for_vertices"(%g) ({
// CHECK-NEXT:    ^bb0(%v0: index):
// CHECK-NEXT:      %[[N0:.*]] = graph.neighbours %g, %v0
// CHECK-NEXT:      %[[S1:.*]] = graph.above %[[N0]], %v0
// CHECK-NEXT:      "graph.for_each"(%[[S1]]) ({
// CHECK-NEXT:      ^bb0(%v1: index):
// CHECK:             %[[I:.*]] = graph.intersect
// CHECK-NEXT:        %[[S2:.*]] = graph.above %[[I]], %v1
// CHECK-NEXT:        "graph.for_each"(%[[S2]]) ({
// CHECK-NEXT:        ^bb0(%v2: index):
// CHECK-NEXT:          %[[ONE:.*]] = arith.constant 1 : i64
// CHECK:               %[[E:.*]] = graph.empty %{{.*}} : !graph.set -> i64
// CHECK-NEXT:          %[[F:.*]] = arith.muli %[[ONE]], %[[E]] : i64
// CHECK-NEXT:          graph.yield %[[F]] : i64
// CHECK:         {parallel
// CHECK:         func.return %c : i64

// without graph-symmetry every match is counted and the sum divided by |Aut| = 6
// NOSYM-NOT:     graph.above
// NOSYM:         %[[AUT:.*]] = arith.constant 6 : i64
// NOSYM-NEXT:    %c = arith.divsi %{{.*}}, %[[AUT]] : i64

// SERIAL-NOT:    parallel
// SERIAL:        func.return

func.func @count(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index) -> i64 {
  %g = graph.assemble %indptr, %indices, %n : memref<?xi64>, memref<?xi32> -> !graph.graph
  %c = graph.pattern %g {k = 4 : i64, edges = array<i64: 0, 1, 0, 2, 1, 2>, anti_edges = array<i64: 0, 3, 1, 3, 2, 3>, labels = array<i64: -1, -1, -1, -1>, op = "count"} : !graph.graph -> i64
  func.return %c : i64
}

