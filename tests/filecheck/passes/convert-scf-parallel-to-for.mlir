// RUN: ircc %s -p convert-scf-parallel-to-for | filecheck %s

// xDSL 0.75 has no custom syntax for scf.parallel: the inputs use the generic form.

// One dimension: one scf.for over the same bounds, the body moved in, scf.reduce dropped.
// CHECK-LABEL: func.func @saxpy(%a: f64, %x: memref<?xf64>, %y: memref<?xf64>) {
// CHECK-NEXT:    %c0 = arith.constant 0 : index
// CHECK-NEXT:    %c1 = arith.constant 1 : index
// CHECK-NEXT:    %n = memref.dim %x, %c0 : memref<?xf64>
// CHECK-NEXT:    scf.for %i = %c0 to %n step %c1 {
// CHECK-NEXT:      %xi = memref.load %x[%i] : memref<?xf64>
// CHECK-NEXT:      %yi = memref.load %y[%i] : memref<?xf64>
// CHECK-NEXT:      %p = arith.mulf %a, %xi : f64
// CHECK-NEXT:      %s = arith.addf %p, %yi : f64
// CHECK-NEXT:      memref.store %s, %y[%i] : memref<?xf64>
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return
// CHECK-NEXT:  }
func.func @saxpy(%a: f64, %x: memref<?xf64>, %y: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %x, %c0 : memref<?xf64>
  "scf.parallel"(%c0, %n, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    %xi = memref.load %x[%i] : memref<?xf64>
    %yi = memref.load %y[%i] : memref<?xf64>
    %p = arith.mulf %a, %xi : f64
    %s = arith.addf %p, %yi : f64
    memref.store %s, %y[%i] : memref<?xf64>
    scf.reduce
  }) : (index, index, index) -> ()
  func.return
}

// Two dimensions: nested loops, outermost first, each with its own lower bound, upper bound and step.
// CHECK-LABEL: func.func @double_2d(%m: memref<?x?xf64>, %rows: index, %cols: index) {
// CHECK-NEXT:    %c0 = arith.constant 0 : index
// CHECK-NEXT:    %c1 = arith.constant 1 : index
// CHECK-NEXT:    %c2 = arith.constant 2 : index
// CHECK-NEXT:    scf.for %i = %c0 to %rows step %c1 {
// CHECK-NEXT:      scf.for %j = %c1 to %cols step %c2 {
// CHECK-NEXT:        %v = memref.load %m[%i, %j] : memref<?x?xf64>
// CHECK-NEXT:        %w = arith.addf %v, %v : f64
// CHECK-NEXT:        memref.store %w, %m[%i, %j] : memref<?x?xf64>
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return
// CHECK-NOT:     scf.parallel
func.func @double_2d(%m: memref<?x?xf64>, %rows: index, %cols: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  "scf.parallel"(%c0, %c1, %rows, %cols, %c1, %c2) <{operandSegmentSizes = array<i32: 2, 2, 2, 0>}> ({
  ^bb0(%i: index, %j: index):
    %v = memref.load %m[%i, %j] : memref<?x?xf64>
    %w = arith.addf %v, %v : f64
    memref.store %w, %m[%i, %j] : memref<?x?xf64>
    scf.reduce
  }) : (index, index, index, index, index, index) -> ()
  func.return
}

// A parallel loop inside a parallel loop: both become scf.for.
// CHECK-LABEL: func.func @nested(%m: memref<?x?xf64>, %rows: index, %cols: index) {
// CHECK:         scf.for %i = %c0 to %rows step %c1 {
// CHECK-NEXT:      scf.for %j = %c0 to %cols step %c1 {
// CHECK-NEXT:        %v = memref.load %m[%i, %j] : memref<?x?xf64>
// CHECK-NEXT:        memref.store %v, %m[%j, %i] : memref<?x?xf64>
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return
func.func @nested(%m: memref<?x?xf64>, %rows: index, %cols: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  "scf.parallel"(%c0, %rows, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    "scf.parallel"(%c0, %cols, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb1(%j: index):
      %v = memref.load %m[%i, %j] : memref<?x?xf64>
      memref.store %v, %m[%j, %i] : memref<?x?xf64>
      scf.reduce
    }) : (index, index, index) -> ()
    scf.reduce
  }) : (index, index, index) -> ()
  func.return
}

// A parallel loop with a reduction is left alone (backends lower reductions themselves).
// CHECK-LABEL: func.func @sum(%x: memref<?xf64>) -> f64 {
// CHECK-NOT:     scf.for
// CHECK:         %s = "scf.parallel"(%c0, %n, %c1, %zero) <{operandSegmentSizes = array<i32: 1, 1, 1, 1>}> ({
// CHECK-NEXT:    ^{{bb[0-9]+}}(%i: index):
// CHECK-NEXT:      %xi = memref.load %x[%i] : memref<?xf64>
// CHECK-NEXT:      scf.reduce(%xi : f64) {
// CHECK-NEXT:      ^{{bb[0-9]+}}(%l: f64, %r: f64):
// CHECK-NEXT:        %t = arith.addf %l, %r : f64
// CHECK-NEXT:        scf.reduce.return %t : f64
// CHECK-NEXT:      }
// CHECK-NEXT:    }) : (index, index, index, f64) -> f64
// CHECK-NEXT:    func.return %s : f64
func.func @sum(%x: memref<?xf64>) -> f64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %n = memref.dim %x, %c0 : memref<?xf64>
  %s = "scf.parallel"(%c0, %n, %c1, %zero) <{operandSegmentSizes = array<i32: 1, 1, 1, 1>}> ({
  ^bb0(%i: index):
    %xi = memref.load %x[%i] : memref<?xf64>
    "scf.reduce"(%xi) ({
    ^bb1(%l: f64, %r: f64):
      %t = arith.addf %l, %r : f64
      scf.reduce.return %t : f64
    }) : (f64) -> ()
  }) : (index, index, index, f64) -> f64
  func.return %s : f64
}
