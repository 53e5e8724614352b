// RUN: ircc %s -p canonicalize | filecheck %s

// xDSL's canonicalize, as ircc's pipelines rely on it: constants fold, integer identities fold,
// floating-point identities that would change a value (signed zeros, NaN payloads) do not,
// dead pure ops go, and scf ops with constant conditions or trip counts simplify.

// CHECK-LABEL: func.func @fold_addi() -> i32 {
// CHECK-NEXT:    %c = arith.constant 5 : i32
// CHECK-NEXT:    func.return %c : i32
func.func @fold_addi() -> i32 {
  %a = arith.constant 2 : i32
  %b = arith.constant 3 : i32
  %c = arith.addi %a, %b : i32
  func.return %c : i32
}

// CHECK-LABEL: func.func @fold_divf() -> f64 {
// CHECK-NEXT:    %c = arith.constant 0.33333333333333331 : f64
// CHECK-NEXT:    func.return %c : f64
func.func @fold_divf() -> f64 {
  %a = arith.constant 1.0 : f64
  %b = arith.constant 3.0 : f64
  %c = arith.divf %a, %b : f64
  func.return %c : f64
}

// CHECK-LABEL: func.func @addi_zero(%x: i32) -> i32 {
// CHECK-NEXT:    func.return %x : i32
func.func @addi_zero(%x: i32) -> i32 {
  %z = arith.constant 0 : i32
  %c = arith.addi %x, %z : i32
  func.return %c : i32
}

// CHECK-LABEL: func.func @muli_one(%x: i64) -> i64 {
// CHECK-NEXT:    func.return %x : i64
func.func @muli_one(%x: i64) -> i64 {
  %o = arith.constant 1 : i64
  %c = arith.muli %x, %o : i64
  func.return %c : i64
}

// A constant operand moves to the right of a commutative op.
// CHECK-LABEL: func.func @constant_to_the_right(%x: i32) -> i32 {
// CHECK-NEXT:    %a = arith.constant 7 : i32
// CHECK-NEXT:    %c = arith.addi %x, %a : i32
// CHECK-NEXT:    func.return %c : i32
func.func @constant_to_the_right(%x: i32) -> i32 {
  %a = arith.constant 7 : i32
  %c = arith.addi %a, %x : i32
  func.return %c : i32
}

// x + 0.0 is not x when x is -0.0: kept.
// CHECK-LABEL: func.func @addf_zero_kept(%x: f64) -> f64 {
// CHECK-NEXT:    %z = arith.constant 0.000000e+00 : f64
// CHECK-NEXT:    %c = arith.addf %x, %z : f64
// CHECK-NEXT:    func.return %c : f64
func.func @addf_zero_kept(%x: f64) -> f64 {
  %z = arith.constant 0.0 : f64
  %c = arith.addf %x, %z : f64
  func.return %c : f64
}

// CHECK-LABEL: func.func @dead_pure_op(%x: f64) -> f64 {
// CHECK-NEXT:    func.return %x : f64
func.func @dead_pure_op(%x: f64) -> f64 {
  %u = arith.mulf %x, %x : f64
  func.return %x : f64
}

// CHECK-LABEL: func.func @cmpi_same_operand(%x: index) -> i1 {
// CHECK-NEXT:    %c = arith.constant true
// CHECK-NEXT:    func.return %c : i1
func.func @cmpi_same_operand(%x: index) -> i1 {
  %c = arith.cmpi eq, %x, %x : index
  func.return %c : i1
}

// CHECK-LABEL: func.func @select_true(%x: f64, %y: f64) -> f64 {
// CHECK-NEXT:    func.return %x : f64
func.func @select_true(%x: f64, %y: f64) -> f64 {
  %t = arith.constant true
  %s = arith.select %t, %x, %y : f64
  func.return %s : f64
}

// CHECK-LABEL: func.func @if_true(%x: f64, %y: f64) -> f64 {
// CHECK-NEXT:    func.return %x : f64
func.func @if_true(%x: f64, %y: f64) -> f64 {
  %t = arith.constant true
  %r = scf.if %t -> (f64) {
    scf.yield %x : f64
  } else {
    scf.yield %y : f64
  }
  func.return %r : f64
}

// CHECK-LABEL: func.func @for_zero_trips(%m: memref<?xf64>) {
// CHECK-NEXT:    func.return
func.func @for_zero_trips(%m: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f64
  scf.for %i = %c0 to %c0 step %c1 {
    memref.store %z, %m[%i] : memref<?xf64>
  }
  func.return
}

// CHECK-LABEL: func.func @for_one_trip(%m: memref<?xf64>) {
// CHECK-NEXT:    %c0 = arith.constant 0 : index
// CHECK-NEXT:    %z = arith.constant 0.000000e+00 : f64
// CHECK-NEXT:    memref.store %z, %m[%c0] : memref<?xf64>
// CHECK-NEXT:    func.return
func.func @for_one_trip(%m: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f64
  scf.for %i = %c0 to %c1 step %c1 {
    memref.store %z, %m[%i] : memref<?xf64>
  }
  func.return
}

// Stores are effects: a loop that only stores stays.
// CHECK-LABEL: func.func @for_dynamic(%m: memref<?xf64>, %n: index) {
// CHECK:         scf.for %i = %c0 to %n step %c1 {
// CHECK-NEXT:      memref.store %z, %m[%i] : memref<?xf64>
// CHECK-NEXT:    }
func.func @for_dynamic(%m: memref<?xf64>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f64
  scf.for %i = %c0 to %n step %c1 {
    memref.store %z, %m[%i] : memref<?xf64>
  }
  func.return
}
