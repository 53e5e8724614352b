// RUN: ircc %s -p eqsat | filecheck %s
// RUN: ircc %s -p 'eqsat{rules=none}' | filecheck %s --check-prefix=NONE
// RUN: not ircc %s -p 'eqsat{rules=fma}' 2>&1 | filecheck %s --check-prefix=INEXACT
// RUN: not ircc %s -p 'eqsat{rules=bogus}' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not ircc %s -p 'eqsat{node-limit=0}' 2>&1 | filecheck %s --check-prefix=LIMIT

// Without fastmath only the ieee ruleset runs: identities exact in IEEE arithmetic. A block whose best
// program is not cheaper by the op-cost table is left as it is.

// INEXACT: error: pass 'eqsat': bad options in 'eqsat{rules=fma}': ruleset(s) fma change results in IEEE arithmetic and run only with fastmath=true; exact rulesets: ieee
// UNKNOWN: error: pass 'eqsat': bad options in 'eqsat{rules=bogus}': unknown ruleset(s) bogus; rulesets are: ieee, assoc,
// LIMIT: error: pass 'eqsat': bad options in 'eqsat{node-limit=0}': node-limit=0: expected a positive integer

// CHECK-LABEL: func.func @unit(%x: f64) -> f64 {
// CHECK-NEXT:    func.return %x : f64
// NONE-LABEL:  func.func @unit(%x: f64) -> f64 {
// NONE:          arith.mulf
func.func @unit(%x: f64) -> f64 {
  %one = arith.constant 1.0 : f64
  %y = arith.mulf %x, %one : f64
  func.return %y : f64
}

// x + 0 is not x when x is -0.0: kept for an argument ...
// CHECK-LABEL: func.func @add_zero_kept(%x: f64) -> f64 {
// CHECK:         arith.addf %x, %zero : f64
func.func @add_zero_kept(%x: f64) -> f64 {
  %zero = arith.constant 0.0 : f64
  %y = arith.addf %x, %zero : f64
  func.return %y : f64
}

// ... and removed where x cannot be -0.0 (exp is positive)
// CHECK-LABEL: func.func @add_zero_exp(%x: f64) -> f64 {
// CHECK-NEXT:    %[[E:.*]] = math.exp %x : f64
// CHECK-NEXT:    func.return %[[E]] : f64
func.func @add_zero_exp(%x: f64) -> f64 {
  %zero = arith.constant 0.0 : f64
  %e = math.exp %x : f64
  %y = arith.addf %e, %zero : f64
  func.return %y : f64
}

// x + -0.0 is x for every x
// CHECK-LABEL: func.func @add_negative_zero(%x: f64) -> f64 {
// CHECK-NEXT:    func.return %x : f64
func.func @add_negative_zero(%x: f64) -> f64 {
  %zero = arith.constant -0.0 : f64
  %y = arith.addf %x, %zero : f64
  func.return %y : f64
}

// division by a power of two is multiplication by its exact reciprocal; by 3 it is not
// CHECK-LABEL: func.func @div_pow2(%x: f64) -> f64 {
// CHECK-NEXT:    %[[C:.*]] = arith.constant 1.250000e-01 : f64
// CHECK-NEXT:    %[[Y:.*]] = arith.mulf %x, %[[C]] : f64
// CHECK-NEXT:    func.return %[[Y]] : f64
func.func @div_pow2(%x: f64) -> f64 {
  %c = arith.constant 8.0 : f64
  %y = arith.divf %x, %c : f64
  func.return %y : f64
}

// CHECK-LABEL: func.func @div_not_pow2(%x: f64) -> f64 {
// CHECK:         arith.divf %x, %c : f64
func.func @div_not_pow2(%x: f64) -> f64 {
  %c = arith.constant 3.0 : f64
  %y = arith.divf %x, %c : f64
  func.return %y : f64
}

// negation folding
// CHECK-LABEL: func.func @neg_fold(%x: f64, %y: f64) -> f64 {
// CHECK-NOT:     arith.negf
// CHECK:         %[[P:.*]] = arith.mulf {{%x, %y|%y, %x}} : f64
// CHECK-NEXT:    func.return %[[P]] : f64
func.func @neg_fold(%x: f64, %y: f64) -> f64 {
  %nx = arith.negf %x : f64
  %ny = arith.negf %y : f64
  %p = arith.mulf %nx, %ny : f64
  func.return %p : f64
}

// CHECK-LABEL: func.func @sub_of_neg(%x: f64, %y: f64) -> f64 {
// CHECK-NEXT:    %[[S:.*]] = arith.addf %x, %y : f64
// CHECK-NEXT:    func.return %[[S]] : f64
func.func @sub_of_neg(%x: f64, %y: f64) -> f64 {
  %ny = arith.negf %y : f64
  %p = arith.subf %x, %ny : f64
  func.return %p : f64
}

// reassociation changes rounding: not without fastmath
// CHECK-LABEL: func.func @no_reassoc(%x: f64, %y: f64) -> f64 {
// CHECK-NEXT:    %a = arith.addf %x, %y : f64
// CHECK-NEXT:    %b = arith.subf %a, %y : f64
func.func @no_reassoc(%x: f64, %y: f64) -> f64 {
  %a = arith.addf %x, %y : f64
  %b = arith.subf %a, %y : f64
  func.return %b : f64
}

// constants fold in f64 (one rounding, as at run time)
// CHECK-LABEL: func.func @fold(%x: f64) -> f64 {
// CHECK-NEXT:    %[[C:.*]] = arith.constant 3.375000e+00 : f64
// CHECK-NEXT:    %[[Y:.*]] = arith.mulf %x, %[[C]] : f64
func.func @fold(%x: f64) -> f64 {
  %a = arith.constant 1.5 : f64
  %b = arith.constant 2.25 : f64
  %c = arith.mulf %a, %b : f64
  %y = arith.mulf %x, %c : f64
  func.return %y : f64
}

// f32 arithmetic gets its own e-graph; an op of another type is an opaque leaf
// CHECK-LABEL: func.func @mixed(%x: f32) -> f64 {
// CHECK-NEXT:    %[[E:.*]] = arith.extf %x : f32 to f64
// CHECK-NEXT:    func.return %[[E]] : f64
func.func @mixed(%x: f32) -> f64 {
  %one = arith.constant 1.0 : f32
  %y = arith.mulf %one, %x : f32
  %e = arith.extf %y : f32 to f64
  %d = arith.constant 1.0 : f64
  %z = arith.divf %e, %d : f64
  func.return %z : f64
}

// arithmetic inside a loop body is rebuilt in that block, before its first user
// CHECK-LABEL: func.func @loop(%m: memref<?xf64>, %n: index) {
// CHECK:         scf.for
// CHECK-NEXT:      %[[V:.*]] = memref.load
// CHECK-NEXT:      %[[C:.*]] = arith.constant 5.000000e-01 : f64
// CHECK-NEXT:      %[[H:.*]] = arith.mulf %[[V]], %[[C]] : f64
// CHECK-NEXT:      memref.store %[[H]]
func.func @loop(%m: memref<?xf64>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f64
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %m[%i] : memref<?xf64>
    %h = arith.divf %v, %two : f64
    memref.store %h, %m[%i] : memref<?xf64>
  }
  func.return
}
