// RUN: ircc %s -p 'graph-symmetry' | filecheck %s
// RUN: ircc %s -p 'graph-order,graph-symmetry' | filecheck %s --check-prefix=ORDERED
// RUN: ircc %s -p 'graph-symmetry{direction=max}' | filecheck %s --check-prefix=MAX

// A 4-path 0-1-2-3 has |Aut| = 2 (the reversal). Without an order the first vertex of the largest orbit
// is fixed: m(0) < m(3). After graph-order (2, 1, 0, 3) the earliest matched is fixed instead: m(2) < m(1),
// which binds the first two loops and leaves the ends free for graph-choose.
// CHECK: graph.pattern %g {{.*}}automorphisms = 2 : i64, conditions = array<i64: 0, 3>
// direction=max: the fixed vertex is the largest instead
// MAX: graph.pattern %g {{.*}}conditions = array<i64: 3, 0>
// ORDERED: graph.pattern %g {{.*}}order = array<i64: 2, 1, 0, 3>, automorphisms = 2 : i64, conditions = array<i64: 2, 1>

func.func @count(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index) -> i64 {
  %g = graph.assemble %indptr, %indices, %n : memref<?xi64>, memref<?xi32> -> !graph.graph
  %c = graph.pattern %g {k = 4 : i64, edges = array<i64: 0, 1, 1, 2, 2, 3>, anti_edges = array<i64>, labels = array<i64: -1, -1, -1, -1>, op = "count"} : !graph.graph -> i64
  func.return %c : i64
}
