// RUN: ircc %s -p lower-piuma | filecheck %s

// A parallel nest: one launch; each thread takes the flattened points tid, tid + nthreads, ... (cyclic),
// and rebuilds (i, j) from the flat index, the last dimension fastest.
// CHECK-LABEL: func.func @scale
// CHECK:         piuma.launch {
// CHECK-NEXT:    ^bb0(%tid: index, %nthreads: index):
// CHECK:           %[[TOTAL:.*]] = arith.muli %{{.*}}, %[[M:.*]] : index
// CHECK-NEXT:      scf.for %k = %tid to %[[TOTAL]] step %nthreads {
// CHECK-NEXT:        %{{.*}} = arith.remsi %k, %[[M]] : index
// CHECK-NEXT:        %{{.*}} = arith.divsi %k, %[[M]] : index
// CHECK:             %v = memref.load %x[%i, %j] : memref<?x?xf64>
// CHECK:             memref.store %s, %x[%i, %j] : memref<?x?xf64>
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return

// A reduction: partials per thread (with a "has a value" flag, so the initial value counts once), a
// barrier, thread 0 folds them with the same combiner; the host reads the result after the launch.
// CHECK-LABEL: func.func @total
// CHECK:         %[[T:.*]] = piuma.threads
// CHECK:         %[[P:.*]] = memref.alloc(%[[T]]) : memref<?xf64>
// CHECK-NEXT:    %[[F:.*]] = memref.alloc(%[[T]]) : memref<?xi1>
// CHECK-NEXT:    %[[R:.*]] = memref.alloc() : memref<1xf64>
// CHECK:         scf.for {{.*}} = %tid to {{.*}} step %nthreads iter_args(%l = %zero, {{.*}}) -> (f64, i1) {
// CHECK:           %t = arith.addf %l, %v : f64
// CHECK-NEXT:      %{{.*}} = arith.select %{{.*}}, %t, %v : f64
// CHECK:         memref.store %{{.*}}, %[[P]][%tid] : memref<?xf64>
// CHECK-NEXT:    memref.store %{{.*}}, %[[F]][%tid] : memref<?xi1>
// CHECK-NEXT:    piuma.barrier
// CHECK:         scf.if
// CHECK:           scf.for {{.*}} to %nthreads {{.*}} iter_args(%l_1 = %zero) -> (f64) {
// CHECK:           memref.store %{{.*}}, %[[R]][%{{.*}}] : memref<1xf64>
// CHECK:         %sum = memref.load %[[R]][%{{.*}}] : memref<1xf64>
// CHECK-NEXT:    func.return %sum : f64

// Serial work runs on thread 0; a value it returns goes through a one-element buffer.
// CHECK-LABEL: func.func @first
// CHECK:         %[[B:.*]] = memref.alloc() : memref<1xf64>
// CHECK-NEXT:    piuma.launch {
// CHECK:           %[[FIRST:.*]] = arith.cmpi eq, %tid, %{{.*}} : index
// CHECK-NEXT:      scf.if %[[FIRST]] {
// CHECK-NEXT:        %v = memref.load %x[%c0] : memref<?xf64>
// CHECK-NEXT:        %w = arith.addf %v, %v : f64
// CHECK-NEXT:        memref.store %w, %[[B]][%{{.*}}] : memref<1xf64>
// CHECK:         %[[W:.*]] = memref.load %[[B]][%{{.*}}] : memref<1xf64>
// CHECK-NEXT:    func.return %[[W]] : f64

func.func @scale(%a: f64, %x: memref<?x?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %x, %c0 : memref<?x?xf64>
  %m = memref.dim %x, %c1 : memref<?x?xf64>
  "scf.parallel"(%c0, %c0, %n, %m, %c1, %c1) <{operandSegmentSizes = array<i32: 2, 2, 2, 0>}> ({
  ^bb0(%i: index, %j: index):
    %v = memref.load %x[%i, %j] : memref<?x?xf64>
    %s = arith.mulf %a, %v : f64
    memref.store %s, %x[%i, %j] : memref<?x?xf64>
    scf.reduce
  }) : (index, index, index, index, index, index) -> ()
  func.return
}

func.func @total(%x: memref<?xf64>) -> f64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %n = memref.dim %x, %c0 : memref<?xf64>
  %sum = "scf.parallel"(%c0, %n, %c1, %zero) <{operandSegmentSizes = array<i32: 1, 1, 1, 1>}> ({
  ^bb0(%i: index):
    %v = memref.load %x[%i] : memref<?xf64>
    scf.reduce(%v : f64) {
    ^bb1(%l: f64, %r: f64):
      %t = arith.addf %l, %r : f64
      scf.reduce.return %t : f64
    }
  }) : (index, index, index, f64) -> f64
  func.return %sum : f64
}

func.func @first(%x: memref<?xf64>) -> f64 {
  %c0 = arith.constant 0 : index
  %v = memref.load %x[%c0] : memref<?xf64>
  %w = arith.addf %v, %v : f64
  func.return %w : f64
}
