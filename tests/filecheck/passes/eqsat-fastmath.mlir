// RUN: ircc %s -p 'eqsat{fastmath=true}' | filecheck %s
// RUN: ircc %s -p eqsat | filecheck %s --check-prefix=EXACT
// RUN: ircc %s -p 'eqsat{fastmath=true rules=ieee,fractions}' | filecheck %s --check-prefix=FRACTIONS

// Rules that change rounding run only with fastmath=true; without it none of these functions changes.
// EXACT-COUNT-2: arith.divf %
// EXACT:         math.powf
// EXACT:         math.fpowi
// EXACT-COUNT-2: math.exp
// EXACT-COUNT-2: math.log

// CHECK-LABEL: func.func @same_denominator(%a: f64, %b: f64, %c: f64) -> f64 {
// CHECK-NEXT:    %[[S:.*]] = arith.addf {{%a, %b|%b, %a}} : f64
// CHECK-NEXT:    %[[Q:.*]] = arith.divf %[[S]], %c : f64
// CHECK-NEXT:    func.return %[[Q]] : f64
func.func @same_denominator(%a: f64, %b: f64, %c: f64) -> f64 {
  %x = arith.divf %a, %c : f64
  %y = arith.divf %b, %c : f64
  %s = arith.addf %x, %y : f64
  func.return %s : f64
}

// three divisions by one d: one reciprocal, paid once (DAG-aware extraction), three multiplications
// CHECK-LABEL: func.func @reciprocal(
// CHECK:         %[[R:.*]] = arith.divf %{{.*}}, %d : f64
// CHECK-NOT:     arith.divf
// CHECK-COUNT-3: arith.mulf {{.*}}%[[R]]
// FRACTIONS-LABEL: func.func @reciprocal(
// FRACTIONS-COUNT-1: arith.divf
// FRACTIONS-NOT:     arith.divf
func.func @reciprocal(%a: f64, %b: f64, %c: f64, %d: f64, %o: memref<3xf64>) {
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  %i2 = arith.constant 2 : index
  %x = arith.divf %a, %d : f64
  %y = arith.divf %b, %d : f64
  %z = arith.divf %c, %d : f64
  memref.store %x, %o[%i0] : memref<3xf64>
  memref.store %y, %o[%i1] : memref<3xf64>
  memref.store %z, %o[%i2] : memref<3xf64>
  func.return
}

// CHECK-LABEL: func.func @sqrt(%x: f64) -> f64 {
// CHECK-NEXT:    %[[R:.*]] = math.sqrt %x : f64
// CHECK-NEXT:    func.return %[[R]] : f64
func.func @sqrt(%x: f64) -> f64 {
  %h = arith.constant 0.5 : f64
  %y = math.powf %x, %h : f64
  func.return %y : f64
}

// x**6 * x**2 shares x**2: x2 = x*x, x4 = x2*x2, x6 = x4*x2, x8 = x6*x2 (or x4*x4)
// CHECK-LABEL: func.func @powers(%x: f64, %o: memref<2xf64>) {
// CHECK-NOT:     math.fpowi
// CHECK-COUNT-4: arith.mulf
// CHECK-NOT:     arith.mulf
// CHECK:         func.return
func.func @powers(%x: f64, %o: memref<2xf64>) {
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  %n6 = arith.constant 6 : i32
  %n2 = arith.constant 2 : i32
  %x6 = math.fpowi %x, %n6 : f64, i32
  %x2 = math.fpowi %x, %n2 : f64, i32
  %x8 = arith.mulf %x6, %x2 : f64
  memref.store %x6, %o[%i0] : memref<2xf64>
  memref.store %x8, %o[%i1] : memref<2xf64>
  func.return
}

// CHECK-LABEL: func.func @exps(%a: f64, %b: f64) -> f64 {
// CHECK-NEXT:    %[[S:.*]] = arith.addf {{%a, %b|%b, %a}} : f64
// CHECK-NEXT:    %[[E:.*]] = math.exp %[[S]] : f64
func.func @exps(%a: f64, %b: f64) -> f64 {
  %x = math.exp %a : f64
  %y = math.exp %b : f64
  %p = arith.mulf %x, %y : f64
  func.return %p : f64
}

// CHECK-LABEL: func.func @logs(%a: f64, %b: f64) -> f64 {
// CHECK-NEXT:    %[[P:.*]] = arith.mulf {{%a, %b|%b, %a}} : f64
// CHECK-NEXT:    %[[L:.*]] = math.log %[[P]] : f64
func.func @logs(%a: f64, %b: f64) -> f64 {
  %x = math.log %a : f64
  %y = math.log %b : f64
  %p = arith.addf %x, %y : f64
  func.return %p : f64
}

// r*sin(t)^2 + r*cos(t)^2 = r
// CHECK-LABEL: func.func @pythagoras(%t: f64, %r: f64) -> f64 {
// CHECK-NEXT:    func.return %r : f64
func.func @pythagoras(%t: f64, %r: f64) -> f64 {
  %s = math.sin %t : f64
  %c = math.cos %t : f64
  %s2 = arith.mulf %s, %s : f64
  %c2 = arith.mulf %c, %c : f64
  %rs = arith.mulf %r, %s2 : f64
  %rc = arith.mulf %r, %c2 : f64
  %y = arith.addf %rs, %rc : f64
  func.return %y : f64
}

// 3x^3 + 5x^2 + 7x in Horner's form with fused multiply-adds: x * fma(x, fma(3, x, 5), 7)
// CHECK-LABEL: func.func @horner(%x: f64) -> f64 {
// CHECK-NOT:     math.fpowi
// CHECK:         %[[A:.*]] = math.fma {{.*}} : f64
// CHECK:         %[[B:.*]] = math.fma {{.*}}%[[A]]{{.*}} : f64
// CHECK-NEXT:    %[[Y:.*]] = arith.mulf {{.*}}%[[B]]{{.*}} : f64
// CHECK-NEXT:    func.return %[[Y]] : f64
func.func @horner(%x: f64) -> f64 {
  %a = arith.constant 3.0 : f64
  %b = arith.constant 5.0 : f64
  %c = arith.constant 7.0 : f64
  %n3 = arith.constant 3 : i32
  %n2 = arith.constant 2 : i32
  %x3 = math.fpowi %x, %n3 : f64, i32
  %x2 = math.fpowi %x, %n2 : f64, i32
  %t3 = arith.mulf %a, %x3 : f64
  %t2 = arith.mulf %b, %x2 : f64
  %t1 = arith.mulf %c, %x : f64
  %s = arith.addf %t3, %t2 : f64
  %y = arith.addf %s, %t1 : f64
  func.return %y : f64
}

// CHECK-LABEL: func.func @factor(%a: f64, %b: f64, %c: f64) -> f64 {
// CHECK-NEXT:    %[[D:.*]] = arith.subf %b, %c : f64
// CHECK-NEXT:    %[[P:.*]] = arith.mulf {{.*}} : f64
// CHECK-NEXT:    func.return %[[P]] : f64
func.func @factor(%a: f64, %b: f64, %c: f64) -> f64 {
  %x = arith.mulf %a, %b : f64
  %y = arith.mulf %a, %c : f64
  %s = arith.subf %x, %y : f64
  func.return %s : f64
}

// (a + b) - b = a (not in IEEE: b = 1e308, or a = -0.0)
// CHECK-LABEL: func.func @cancel(%a: f64, %b: f64) -> f64 {
// CHECK-NEXT:    func.return %a : f64
func.func @cancel(%a: f64, %b: f64) -> f64 {
  %x = arith.addf %a, %b : f64
  %y = arith.subf %x, %b : f64
  func.return %y : f64
}

// l*m1*c - l*m2*c - l*m3*c = (l*c) * (m1 - m2 - m3): 6 multiplications become 2
// CHECK-LABEL: func.func @sum_of_products(
// CHECK-COUNT-2: arith.{{mulf|subf}}
// CHECK-COUNT-2: arith.{{mulf|subf}}
// CHECK-NEXT:    func.return
func.func @sum_of_products(%l: f64, %c: f64, %m1: f64, %m2: f64, %m3: f64) -> f64 {
  %a = arith.mulf %l, %m1 : f64
  %a2 = arith.mulf %a, %c : f64
  %b = arith.mulf %l, %m2 : f64
  %b2 = arith.mulf %b, %c : f64
  %d = arith.mulf %l, %m3 : f64
  %d2 = arith.mulf %d, %c : f64
  %s = arith.subf %a2, %b2 : f64
  %t = arith.subf %s, %d2 : f64
  func.return %t : f64
}
