// RUN: ircc %s -p 'linalg-tile{cost=static}' | filecheck %s
// RUN: ircc %s -p 'linalg-tile{sizes=8,16}' | filecheck %s --check-prefix=FORCED
// RUN: not ircc %s -p 'linalg-tile{sizes=-4}' 2>&1 | filecheck %s --check-prefix=BAD

// The rule: a transpose (the innermost loop walks %a down a column, the loop outside it along %a's rows) of
// 1 MiB or more gets 64 x 512 tiles.
// CHECK-LABEL: func.func @transpose(
// CHECK:         linalg.generic {{.*}} attrs = {ircc.tile = array<i64: 64, 512>}
// FORCED-LABEL: func.func @transpose(
// FORCED:         linalg.generic {{.*}} attrs = {ircc.tile = array<i64: 8, 16>}
func.func @transpose(%a: memref<1024x512xf32>, %b: memref<512x1024xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : memref<1024x512xf32>) outs(%b : memref<512x1024xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  func.return
}

// Unit-stride walks everywhere: the rule leaves it untiled.
// CHECK-LABEL: func.func @rows(
// CHECK-NOT:     ircc.tile
// CHECK:         func.return
func.func @rows(%a: memref<1024x512xf32>, %b: memref<1024x512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : memref<1024x512xf32>) outs(%b : memref<1024x512xf32>) {
  ^bb0(%x: f32, %y: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  func.return
}

// Under 1 MiB of operands (min-bytes): fits in the L2 cache, not tiled by the rule.
// CHECK-LABEL: func.func @small_transpose(
// CHECK-NOT:     ircc.tile
// CHECK:         func.return
func.func @small_transpose(%a: memref<64x128xf32>, %b: memref<128x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : memref<64x128xf32>) outs(%b : memref<128x64xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  func.return
}

// Forced sizes: a dimension no longer than its tile stays untiled (0), and of two reductions whose sum may
// not be reassociated neither is tiled (the additions into one element keep their order).
// FORCED-LABEL: func.func @two_reductions(
// FORCED-NOT:     ircc.tile
// FORCED-LABEL: func.func @short(
// FORCED:         linalg.generic {{.*}} attrs = {ircc.tile = array<i64: 8, 0>}
func.func @two_reductions(%a: memref<4x64x64xf32>, %s: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%a : memref<4x64x64xf32>) outs(%s : memref<4xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %acc, %x : f32
    linalg.yield %r : f32
  }
  func.return
}
func.func @short(%a: memref<64x16xf32>, %b: memref<64x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : memref<64x16xf32>) outs(%b : memref<64x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  func.return
}

// BAD: pass 'linalg-tile': bad options in 'linalg-tile{sizes=-4}': sizes=-4: a tile size is positive, or 0 (untiled)
