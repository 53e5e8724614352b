// RUN: ircc %s -p 'convert-linalg-to-parallel-loops{min-work=64}' | filecheck %s

// A generic linalg-tile marked: the tile loops (steps 32 and 64) first, the outer one parallel since its
// dimension is; then each dimension walks its tile, up to the end of the array.
// CHECK-LABEL: func.func @transpose(
// CHECK-DAG:     %[[N0:.*]] = arith.constant 512 : index
// CHECK-DAG:     %[[N1:.*]] = arith.constant 1024 : index
// CHECK-DAG:     %[[T0:.*]] = arith.constant 32 : index
// CHECK-DAG:     %[[T1:.*]] = arith.constant 64 : index
// CHECK:         "scf.parallel"(%{{.*}}, %[[N0]], %[[T0]])
// CHECK-NEXT:    ^{{.*}}(%[[I0:.*]]: index):
// CHECK-NEXT:      scf.for %[[J0:.*]] = %{{.*}} to %[[N1]] step %[[T1]] {
// CHECK-NEXT:        %[[IE:.*]] = arith.addi %[[I0]], %[[T0]] : index
// CHECK-NEXT:        %[[IB:.*]] = arith.minsi %[[IE]], %[[N0]] : index
// CHECK-NEXT:        scf.for %[[I:.*]] = %[[I0]] to %[[IB]] step %{{.*}} {
// CHECK-NEXT:          %[[JE:.*]] = arith.addi %[[J0]], %[[T1]] : index
// CHECK-NEXT:          %[[JB:.*]] = arith.minsi %[[JE]], %[[N1]] : index
// CHECK-NEXT:          scf.for %[[J:.*]] = %[[J0]] to %[[JB]] step %{{.*}} {
// CHECK-NEXT:            %{{.*}} = memref.load %a[%[[J]], %[[I]]] : memref<1024x512xf32>
// CHECK-NEXT:            memref.store %{{.*}}, %b[%[[I]], %[[J]]] : memref<512x1024xf32>
func.func @transpose(%a: memref<1024x512xf32>, %b: memref<512x1024xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : memref<1024x512xf32>) outs(%b : memref<512x1024xf32>) attrs = {ircc.tile = array<i64: 32, 64>} {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  func.return
}

// A batch dimension left untiled stays the outermost loop (parallel), its tiles inside it.
// CHECK-LABEL: func.func @batched(
// CHECK:         "scf.parallel"(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NEXT:    ^{{.*}}(%[[B:.*]]: index):
// CHECK-NEXT:      arith.constant 16 : index
// CHECK-NEXT:      scf.for %[[R0:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:        scf.for %[[C0:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:          arith.addi %[[R0]]
// CHECK-NEXT:          arith.minsi
// CHECK-NEXT:          scf.for %[[R:.*]] = %[[R0]] to
// CHECK:                 scf.for %[[C:.*]] = %[[C0]] to
// CHECK-NEXT:              memref.load %a[%[[B]], %[[C]], %[[R]]]
func.func @batched(%a: memref<4x256x128xf32>, %b: memref<4x128x256xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%a : memref<4x256x128xf32>) outs(%b : memref<4x128x256xf32>) attrs = {ircc.tile = array<i64: 0, 16, 16>} {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  func.return
}

// A reduction's tile loop outermost: serial (iterations of one tile add into the same elements as the next).
// CHECK-LABEL: func.func @column_sums(
// CHECK-NOT:     scf.parallel
// CHECK:         func.return
func.func @column_sums(%x: memref<256x128xf32>, %s: memref<128xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%x : memref<256x128xf32>) outs(%s : memref<128xf32>) attrs = {ircc.tile = array<i64: 64, 64>} {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  func.return
}
