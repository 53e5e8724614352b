// RUN: not ircc %s 2>&1 | filecheck %s --strict-whitespace --match-full-lines
// RUN: not ircc - < %s 2>&1 | filecheck %s --strict-whitespace --match-full-lines --check-prefix=STDIN

// Malformed input: file:line:col, the source line and a caret under the culprit, exit status 1.
func.func @f(%x: f64) -> f64 {
  %y = arith.addf %x, %q : f64
  func.return %y : f64
}

// CHECK:{{.*}}parse-error-undefined-value.mlir:6:23: error: use of undefined value %q
// CHECK-NEXT:  %y = arith.addf %x, %q : f64
// CHECK-NEXT:                      ^^
// CHECK-NOT:{{.*}}Traceback{{.*}}

// STDIN:<stdin>:6:23: error: use of undefined value %q
// STDIN-NEXT:  %y = arith.addf %x, %q : f64
// STDIN-NEXT:                      ^^
