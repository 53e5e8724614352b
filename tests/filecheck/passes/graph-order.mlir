// RUN: ircc %s -p 'graph-order' | filecheck %s

// A 4-cycle 0-1-2-3-0: the core (minimum vertex cover) is {0, 2}; 1 must come between them to keep the
// order connected, then 3 (two matched neighbours).
// CHECK: graph.pattern %g {{.*}}order = array<i64: 0, 1, 2, 3>

func.func @count(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index) -> i64 {
  %g = graph.assemble %indptr, %indices, %n : memref<?xi64>, memref<?xi32> -> !graph.graph
  %c = graph.pattern %g {k = 4 : i64, edges = array<i64: 0, 1, 1, 2, 2, 3, 0, 3>, anti_edges = array<i64>, labels = array<i64: -1, -1, -1, -1>, op = "count"} : !graph.graph -> i64
  func.return %c : i64
}
