// RUN: true
// (an input of lower-sparse-spa.mlir: C<!M> = A @ B)
func.func @masked(%ap: memref<?xi32>, %ai: memref<?xi32>, %av: memref<?xf64>, %m: index, %k: index,
                  %bp: memref<?xi32>, %bi: memref<?xi32>, %bv: memref<?xf64>, %n: index,
                  %mp: memref<?xi32>, %mi: memref<?xi32>, %mv: memref<?xf64>)
    -> (memref<?xi32>, memref<?xi32>, memref<?xf64>) {
  %a = sparse.assemble %ap, %ai, %av, %m, %k : memref<?xi32>, memref<?xi32>, memref<?xf64> -> !sparse.csr<f64, i32>
  %b = sparse.assemble %bp, %bi, %bv, %k, %n : memref<?xi32>, memref<?xi32>, memref<?xf64> -> !sparse.csr<f64, i32>
  %mm = sparse.assemble %mp, %mi, %mv, %m, %n : memref<?xi32>, memref<?xi32>, memref<?xf64> -> !sparse.csr<f64, i32>
  %c = sparse.spgemm %a, %b mask %mm {semiring = "plus_times", complement_mask, sorted}
       : !sparse.csr<f64, i32>, !sparse.csr<f64, i32>, !sparse.csr<f64, i32> -> !sparse.csr<f64, i32>
  %cp, %ci, %cv, %cm, %cn = sparse.disassemble %c : !sparse.csr<f64, i32> -> memref<?xi32>, memref<?xi32>, memref<?xf64>
  func.return %cp, %ci, %cv : memref<?xi32>, memref<?xi32>, memref<?xf64>
}
