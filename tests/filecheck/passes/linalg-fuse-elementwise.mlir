// RUN: ircc %s -p linalg-fuse-elementwise | filecheck %s

// A transpose copy and a scaling feed a row sum: both become indexing and arithmetic inside the
// reduction, and their buffers go.
// CHECK-LABEL: func.func @chain(
// CHECK-NOT:     memref.alloc
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%w : memref<3x4xf32>) outs(%s : memref<4xf32>)
// CHECK-NEXT:    ^{{.*}}(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %two = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      %m = arith.mulf %[[IN]], %two : f32
// CHECK-NEXT:      %r = arith.addf %m, %[[ACC]] : f32
// CHECK-NEXT:      linalg.yield %r : f32
func.func @chain(%w: memref<3x4xf32>, %s: memref<4xf32>) {
  %t = memref.alloc() : memref<4x3xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%w : memref<3x4xf32>) outs(%t : memref<4x3xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  %u = memref.alloc() : memref<4x3xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t : memref<4x3xf32>) outs(%u : memref<4x3xf32>) {
  ^bb0(%a: f32, %b: f32):
    %two = arith.constant 2.000000e+00 : f32
    %m = arith.mulf %a, %two : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%u : memref<4x3xf32>) outs(%s : memref<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  memref.dealloc %t : memref<4x3xf32>
  memref.dealloc %u : memref<4x3xf32>
  func.return
}

// Read through a reshape view: the view's map composes in (row-major (2, 6) -> (2, 2, 3)).
// CHECK-LABEL: func.func @through_view(
// CHECK-NOT:     memref.expand_shape
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, ((d1 * 3) + d2))>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>]
func.func @through_view(%x: memref<2x6xf32>, %y: memref<2x2x3xf32>) {
  %t = memref.alloc() : memref<2x6xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<2x6xf32>) outs(%t : memref<2x6xf32>) {
  ^bb0(%a: f32, %b: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  %v = memref.expand_shape %t [[0], [1, 2]] output_shape [2, 2, 3] : memref<2x6xf32> into memref<2x2x3xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%v : memref<2x2x3xf32>) outs(%y : memref<2x2x3xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  memref.dealloc %t : memref<2x6xf32>
  func.return
}

// An expensive producer (a math call) read by two consumers stays materialized.
// CHECK-LABEL: func.func @expensive_twice(
// CHECK:         memref.alloc
// CHECK:         math.exp
func.func @expensive_twice(%x: memref<8xf32>, %y: memref<8xf32>, %z: memref<8xf32>) {
  %t = memref.alloc() : memref<8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : memref<8xf32>) outs(%t : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%t : memref<8xf32>) outs(%y : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%t : memref<8xf32>) outs(%z : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  memref.dealloc %t : memref<8xf32>
  func.return
}

// A symbolic batch: the views' own maps compose (the ? size is the first of its group, so no map needs it):
// (?, 6) collapsed to (? * 6) and expanded back to (?, 2, 3).
// CHECK-LABEL: func.func @through_dynamic_views(
// CHECK-NOT:     memref.alloc
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (((((d0 * 6) + (d1 * 3)) + d2) floordiv 6), ((((d0 * 6) + (d1 * 3)) + d2) mod 6))>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>]
func.func @through_dynamic_views(%x: memref<?x6xf32>, %y: memref<?x2x3xf32>) {
  %c0 = arith.constant 0 : index
  %b = memref.dim %x, %c0 : memref<?x6xf32>
  %t = memref.alloc(%b) : memref<?x6xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<?x6xf32>) outs(%t : memref<?x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %e = arith.negf %a : f32
    linalg.yield %e : f32
  }
  %flat = memref.collapse_shape %t [[0, 1]] : memref<?x6xf32> into memref<?xf32>
  %v = memref.expand_shape %flat [[0, 1, 2]] output_shape [%b, 2, 3] : memref<?xf32> into memref<?x2x3xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%v : memref<?x2x3xf32>) outs(%y : memref<?x2x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  memref.dealloc %t : memref<?x6xf32>
  func.return
}

// A ? size inside a group would be a factor of the map: that read is left alone.
// CHECK-LABEL: func.func @dynamic_size_inside_a_group(
// CHECK:         memref.alloc
// CHECK:         memref.collapse_shape
func.func @dynamic_size_inside_a_group(%x: memref<6x?xf32>, %y: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %b = memref.dim %x, %c1 : memref<6x?xf32>
  %t = memref.alloc(%b) : memref<6x?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<6x?xf32>) outs(%t : memref<6x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %e = arith.negf %a : f32
    linalg.yield %e : f32
  }
  %flat = memref.collapse_shape %t [[0, 1]] : memref<6x?xf32> into memref<?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%flat : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  memref.dealloc %t : memref<6x?xf32>
  func.return
}
