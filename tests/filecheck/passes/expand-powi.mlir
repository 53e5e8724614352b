// RUN: ircc %s -p expand-powi | filecheck %s
// RUN: ircc %s -p 'expand-powi{max-exponent=32}' | filecheck %s --check-prefix=MAX32
// RUN: ircc %s -p 'expand-powi{max-exponent=4}' | filecheck %s --check-prefix=MAX4

// x**n with a constant integer n becomes square-and-multiply; |n| <= max-exponent (default 16).
// Whether the exponent constant, now unused, stays is not pinned: dce and canonicalize remove it.

// CHECK-LABEL: func.func @pow0(%x: f64) -> f64 {
// CHECK-NOT:     math.
// CHECK:         %y = arith.constant 1.000000e+00 : f64
// CHECK-NEXT:    func.return %y : f64
func.func @pow0(%x: f64) -> f64 {
  %n = arith.constant 0 : i32
  %y = math.fpowi %x, %n : f64, i32
  func.return %y : f64
}

// CHECK-LABEL: func.func @pow1(%x: f64) -> f64 {
// CHECK-NOT:     math.
// CHECK:         func.return %x : f64
func.func @pow1(%x: f64) -> f64 {
  %n = arith.constant 1 : i32
  %y = math.fpowi %x, %n : f64, i32
  func.return %y : f64
}

// CHECK-LABEL: func.func @pow2(%x: f64) -> f64 {
// CHECK-NOT:     math.
// CHECK:         %y = arith.mulf %x, %x : f64
// CHECK-NEXT:    func.return %y : f64
func.func @pow2(%x: f64) -> f64 {
  %n = arith.constant 2 : i32
  %y = math.fpowi %x, %n : f64, i32
  func.return %y : f64
}

// x**5 = x * (x*x)*(x*x): three multiplications.
// CHECK-LABEL: func.func @pow5(%x: f64) -> f64 {
// CHECK-NOT:     math.
// CHECK:         %[[X2:.+]] = arith.mulf %x, %x : f64
// CHECK-NEXT:    %[[X4:.+]] = arith.mulf %[[X2]], %[[X2]] : f64
// CHECK-NEXT:    %y = arith.mulf %x, %[[X4]] : f64
// CHECK-NEXT:    func.return %y : f64
// MAX4-LABEL:  func.func @pow5(%x: f64) -> f64 {
// MAX4-NEXT:     %n = arith.constant 5 : i32
// MAX4-NEXT:     %y = math.fpowi %x, %n : f64, i32
func.func @pow5(%x: f64) -> f64 {
  %n = arith.constant 5 : i32
  %y = math.fpowi %x, %n : f64, i32
  func.return %y : f64
}

// A negative exponent is 1 / x**|n|, in the operand's type.
// CHECK-LABEL: func.func @pow_minus3(%x: f32) -> f32 {
// CHECK-NOT:     math.
// CHECK:         %[[X2:.+]] = arith.mulf %x, %x : f32
// CHECK-NEXT:    %[[X3:.+]] = arith.mulf %x, %[[X2]] : f32
// CHECK-NEXT:    %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %y = arith.divf %[[ONE]], %[[X3]] : f32
// CHECK-NEXT:    func.return %y : f32
func.func @pow_minus3(%x: f32) -> f32 {
  %n = arith.constant -3 : i32
  %y = math.fpowi %x, %n : f32, i32
  func.return %y : f32
}

// 17 is above the default max-exponent: left alone unless the option allows it.
// CHECK-LABEL: func.func @pow17(%x: f64) -> f64 {
// CHECK-NEXT:    %n = arith.constant 17 : i32
// CHECK-NEXT:    %y = math.fpowi %x, %n : f64, i32
// CHECK-NEXT:    func.return %y : f64
// MAX32-LABEL: func.func @pow17(%x: f64) -> f64 {
// MAX32-NOT:     math.
// MAX32:         %[[X2:.+]] = arith.mulf %x, %x : f64
// MAX32-NEXT:    %[[X4:.+]] = arith.mulf %[[X2]], %[[X2]] : f64
// MAX32-NEXT:    %[[X8:.+]] = arith.mulf %[[X4]], %[[X4]] : f64
// MAX32-NEXT:    %[[X16:.+]] = arith.mulf %[[X8]], %[[X8]] : f64
// MAX32-NEXT:    %y = arith.mulf %x, %[[X16]] : f64
// MAX32-NEXT:    func.return %y : f64
func.func @pow17(%x: f64) -> f64 {
  %n = arith.constant 17 : i32
  %y = math.fpowi %x, %n : f64, i32
  func.return %y : f64
}

// math.powf with an integral float constant is expanded too.
// CHECK-LABEL: func.func @powf_integral(%x: f64) -> f64 {
// CHECK-NOT:     math.
// CHECK:         %[[X2:.+]] = arith.mulf %x, %x : f64
// CHECK-NEXT:    %y = arith.mulf %x, %[[X2]] : f64
// CHECK-NEXT:    func.return %y : f64
func.func @powf_integral(%x: f64) -> f64 {
  %n = arith.constant 3.0 : f64
  %y = math.powf %x, %n : f64
  func.return %y : f64
}

// CHECK-LABEL: func.func @powf_fractional(%x: f64) -> f64 {
// CHECK-NEXT:    %n = arith.constant 2.500000e+00 : f64
// CHECK-NEXT:    %y = math.powf %x, %n : f64
// CHECK-NEXT:    func.return %y : f64
func.func @powf_fractional(%x: f64) -> f64 {
  %n = arith.constant 2.5 : f64
  %y = math.powf %x, %n : f64
  func.return %y : f64
}

// CHECK-LABEL: func.func @pow_dynamic(%x: f64, %n: i32) -> f64 {
// CHECK-NEXT:    %y = math.fpowi %x, %n : f64, i32
// CHECK-NEXT:    func.return %y : f64
func.func @pow_dynamic(%x: f64, %n: i32) -> f64 {
  %y = math.fpowi %x, %n : f64, i32
  func.return %y : f64
}

// The multiplications keep the op's fastmath flags.
// CHECK-LABEL: func.func @pow2_fast(%x: f64) -> f64 {
// CHECK-NOT:     math.
// CHECK:         %y = arith.mulf %x, %x fastmath<fast> : f64
// CHECK-NEXT:    func.return %y : f64
func.func @pow2_fast(%x: f64) -> f64 {
  %n = arith.constant 2 : i32
  %y = math.fpowi %x, %n fastmath<fast> : f64, i32
  func.return %y : f64
}
