// RUN: ircc %s -p expand-powi,convert-scf-parallel-to-for,canonicalize --emit=input | filecheck %s --check-prefix=INPUT
// RUN: ircc %s -p expand-powi,convert-scf-parallel-to-for,canonicalize --emit=expand-powi | filecheck %s --check-prefix=POWI
// RUN: ircc %s -p expand-powi,convert-scf-parallel-to-for,canonicalize --emit=convert-scf-parallel-to-for | filecheck %s --check-prefix=FOR
// RUN: ircc %s -p expand-powi,convert-scf-parallel-to-for,canonicalize | filecheck %s --check-prefix=ALL
// RUN: not ircc %s -p expand-powi,cse --emit=licm 2>&1 | filecheck %s --check-prefix=BAD

// --emit=STAGE stops after STAGE: `input` is the parsed input, a pass name is the IR after that pass.

// INPUT-LABEL: func.func @cube_all(%x: memref<?xf64>) {
// INPUT:         %two = arith.constant 2 : index
// INPUT-NEXT:    %c3 = arith.addi %c1, %two : index
// INPUT:         "scf.parallel"
// INPUT:         math.fpowi %xi, %n : f64, i32

// POWI-LABEL: func.func @cube_all(%x: memref<?xf64>) {
// POWI:         "scf.parallel"
// POWI-NOT:     math.fpowi
// POWI:         arith.mulf %xi, %xi : f64
// POWI-NOT:     math.fpowi

// FOR-LABEL: func.func @cube_all(%x: memref<?xf64>) {
// FOR:         %c3 = arith.addi %c1, %two : index
// FOR-NOT:     scf.parallel
// FOR:         scf.for %i = %c0 to %len step %c3 {
// FOR-NOT:     math.fpowi

// The last pass, canonicalize, folded 1 + 2 and removed the dead exponent constant.
// ALL-LABEL: func.func @cube_all(%x: memref<?xf64>) {
// ALL-NOT:     arith.addi
// ALL:         %c3 = arith.constant 3 : index
// ALL-NOT:     arith.addi
// ALL:         scf.for %i = %c0 to %len step %c3 {

// BAD: error: --emit=licm: no such stage; stages are: input, expand-powi, cse, and the backend's source (llvm, llvm-opt, py)

func.func @cube_all(%x: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2 : index
  %c3 = arith.addi %c1, %two : index
  %n = arith.constant 3 : i32
  %len = memref.dim %x, %c0 : memref<?xf64>
  "scf.parallel"(%c0, %len, %c3) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    %xi = memref.load %x[%i] : memref<?xf64>
    %p = math.fpowi %xi, %n : f64, i32
    memref.store %p, %x[%i] : memref<?xf64>
    scf.reduce
  }) : (index, index, index) -> ()
  func.return
}
