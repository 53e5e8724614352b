// RUN: ircc %S/inputs/spgemm-masked.mlir -p 'lower-sparse{algorithm=hybrid}' | filecheck %s

// hybrid: per row, the heap merge when the row has few entries and many flops, else SPA and a sort;
// scratch for both per partition, one mask marker shared.

// CHECK-LABEL: func.func @masked(
// CHECK:         scf.parallel
// CHECK:           %mask_mark = memref.alloc
// CHECK:           %[[MARK:mark_?[0-9]*]] = memref.alloc(%n) : memref<?xi32>
// CHECK:           %acc = memref.alloc(%n)
// CHECK:           %heap_col = memref.alloc
// CHECK:           scf.for %[[I:i_?[0-9]*]] =
// CHECK:             %[[FEW:.*]] = arith.cmpi sle, %{{.*}}, %{{.*}} : index
// CHECK:             %[[MANY:.*]] = arith.cmpi sgt, %{{.*}}, %{{.*}} : index
// CHECK-NEXT:        %[[HEAP:.*]] = arith.andi %[[FEW]], %[[MANY]] : i1
// CHECK-NEXT:        %{{.*}} = scf.if %[[HEAP]] -> (index) {
// CHECK:               scf.while
// CHECK:             } else {
// CHECK:               func.call @ircc_sort_i32
// CHECK:           memref.dealloc %heap_col
// CHECK:           memref.dealloc %[[MARK]]
// CHECK:           memref.dealloc %mask_mark
