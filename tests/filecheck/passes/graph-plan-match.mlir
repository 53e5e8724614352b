// RUN: ircc %s -p 'graph-symmetry,graph-plan' | filecheck %s
// RUN: not ircc %s -p 'graph-plan' 2>&1 | filecheck %s --check-prefix=NOSYM

// Labels: the root loop takes only vertices labelled 3, the last vertex's candidates are filtered by 5;
// match emits each row.
// CHECK-LABEL: func.func @match(
// CHECK:         "graph.for_vertices"(%g, %offsets) ({
// CHECK:           graph.with_label %{{.*}}, %g {label = 5 : i64}
// CHECK:             graph.emit %rows, %v0, %v1, %v2 : memref<?xi32>
// CHECK:         label = 3 : i64
func.func @match(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index, %labels: memref<?xi32>, %offsets: memref<?xi64>, %rows: memref<?xi32>) -> i64 {
  %g = graph.assemble %indptr, %indices, %n labels %labels : memref<?xi32> : memref<?xi64>, memref<?xi32> -> !graph.graph
  %c = graph.pattern %g offsets %offsets : memref<?xi64> rows %rows : memref<?xi32> {k = 3 : i64, edges = array<i64: 0, 1, 1, 2>, anti_edges = array<i64>, labels = array<i64: 3, -1, 5>, op = "match"} : !graph.graph -> i64
  func.return %c : i64
}

// NOSYM: graph-plan: 'match' returns each subgraph once only with symmetry-breaking conditions; run graph-symmetry before graph-plan
