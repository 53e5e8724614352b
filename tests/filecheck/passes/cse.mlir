// RUN: ircc %s -p cse | filecheck %s

// xDSL's cse, as ircc's pipelines rely on it: identical pure ops merge (the first one stays),
// ops that differ in attributes or operand order do not, reads merge only without a write between,
// an outer value is reused inside a region but sibling regions are not merged.

// CHECK-LABEL: func.func @duplicate_pure_op(%x: f64, %y: f64) -> f64 {
// CHECK-NEXT:    %a = arith.mulf %x, %y : f64
// CHECK-NEXT:    %c = arith.addf %a, %a : f64
// CHECK-NEXT:    func.return %c : f64
func.func @duplicate_pure_op(%x: f64, %y: f64) -> f64 {
  %a = arith.mulf %x, %y : f64
  %b = arith.mulf %x, %y : f64
  %c = arith.addf %a, %b : f64
  func.return %c : f64
}

// CHECK-LABEL: func.func @duplicate_constants() -> (i32, i32) {
// CHECK-NEXT:    %a = arith.constant 1 : i32
// CHECK-NEXT:    func.return %a, %a : i32, i32
func.func @duplicate_constants() -> (i32, i32) {
  %a = arith.constant 1 : i32
  %b = arith.constant 1 : i32
  func.return %a, %b : i32, i32
}

// CHECK-LABEL: func.func @different_fastmath(%x: f64) -> (f64, f64) {
// CHECK-NEXT:    %a = arith.mulf %x, %x : f64
// CHECK-NEXT:    %b = arith.mulf %x, %x fastmath<fast> : f64
// CHECK-NEXT:    func.return %a, %b : f64, f64
func.func @different_fastmath(%x: f64) -> (f64, f64) {
  %a = arith.mulf %x, %x : f64
  %b = arith.mulf %x, %x fastmath<fast> : f64
  func.return %a, %b : f64, f64
}

// CHECK-LABEL: func.func @swapped_operands(%x: f64, %y: f64) -> (f64, f64) {
// CHECK-NEXT:    %a = arith.addf %x, %y : f64
// CHECK-NEXT:    %b = arith.addf %y, %x : f64
// CHECK-NEXT:    func.return %a, %b : f64, f64
func.func @swapped_operands(%x: f64, %y: f64) -> (f64, f64) {
  %a = arith.addf %x, %y : f64
  %b = arith.addf %y, %x : f64
  func.return %a, %b : f64, f64
}

// CHECK-LABEL: func.func @loads_and_a_store(%m: memref<?xf64>, %i: index, %v: f64) -> (f64, f64, f64) {
// CHECK-NEXT:    %a = memref.load %m[%i] : memref<?xf64>
// CHECK-NEXT:    memref.store %v, %m[%i] : memref<?xf64>
// CHECK-NEXT:    %c = memref.load %m[%i] : memref<?xf64>
// CHECK-NEXT:    func.return %a, %a, %c : f64, f64, f64
func.func @loads_and_a_store(%m: memref<?xf64>, %i: index, %v: f64) -> (f64, f64, f64) {
  %a = memref.load %m[%i] : memref<?xf64>
  %b = memref.load %m[%i] : memref<?xf64>
  memref.store %v, %m[%i] : memref<?xf64>
  %c = memref.load %m[%i] : memref<?xf64>
  func.return %a, %b, %c : f64, f64, f64
}

// CHECK-LABEL: func.func @allocations(%n: index) -> (memref<?xf64>, memref<?xf64>) {
// CHECK-NEXT:    %a = memref.alloc(%n) : memref<?xf64>
// CHECK-NEXT:    %b = memref.alloc(%n) : memref<?xf64>
func.func @allocations(%n: index) -> (memref<?xf64>, memref<?xf64>) {
  %a = memref.alloc(%n) : memref<?xf64>
  %b = memref.alloc(%n) : memref<?xf64>
  func.return %a, %b : memref<?xf64>, memref<?xf64>
}

// CHECK-LABEL: func.func @outer_value_in_loop(%x: f64, %n: index) -> f64 {
// CHECK:         %a = arith.mulf %x, %x : f64
// CHECK-NEXT:    %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %a) -> (f64) {
// CHECK-NEXT:      %s = arith.addf %acc, %a : f64
// CHECK-NEXT:      scf.yield %s : f64
// CHECK-NEXT:    }
func.func @outer_value_in_loop(%x: f64, %n: index) -> f64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = arith.mulf %x, %x : f64
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %a) -> (f64) {
    %b = arith.mulf %x, %x : f64
    %s = arith.addf %acc, %b : f64
    scf.yield %s : f64
  }
  func.return %r : f64
}

// CHECK-LABEL: func.func @sibling_regions(%x: f64, %c: i1) -> f64 {
// CHECK-NEXT:    %r = scf.if %c -> (f64) {
// CHECK-NEXT:      %a = arith.mulf %x, %x : f64
// CHECK-NEXT:      scf.yield %a : f64
// CHECK-NEXT:    } else {
// CHECK-NEXT:      %b = arith.mulf %x, %x : f64
// CHECK-NEXT:      scf.yield %b : f64
// CHECK-NEXT:    }
func.func @sibling_regions(%x: f64, %c: i1) -> f64 {
  %r = scf.if %c -> (f64) {
    %a = arith.mulf %x, %x : f64
    scf.yield %a : f64
  } else {
    %b = arith.mulf %x, %x : f64
    scf.yield %b : f64
  }
  func.return %r : f64
}
