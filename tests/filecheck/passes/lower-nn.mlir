// RUN: ircc %s -p lower-nn | filecheck %s
// RUN: ircc %s -p 'lower-nn{scheme=online}' | filecheck %s --check-prefix=ONLINE
// RUN: not ircc %s -p 'lower-nn{scheme=magic}' 2>&1 | filecheck %s --check-prefix=BAD
// RUN: not ircc %S/inputs/nn-attention-bad.mlir 2>&1 | filecheck %s --check-prefix=VERIFY
// RUN: not ircc %S/inputs/nn-attention-bad-mask.mlir 2>&1 | filecheck %s --check-prefix=VERIFY-MASK

// nn.attention becomes one scf.parallel over the B * H * S query rows; each row has a scratch buffer of
// L scores (on the stack: L is static and small) and four loops over the keys: the scores, their maximum,
// exp and their sum, the weighted sum of v rows into out. The loops over d (the dot product) and e (the row
// of out) are innermost and unit stride; the reductions are reassociable.

// CHECK-LABEL: func.func @decode(
// CHECK-NOT:     nn.attention
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^{{.*}}(%t: index):
// CHECK-NEXT:      %i = arith.remui %t, %{{.*}} : index
// CHECK-NEXT:      %[[BH:.*]] = arith.divui %t, %{{.*}} : index
// CHECK-NEXT:      %h = arith.remui %[[BH]], %{{.*}} : index
// CHECK-NEXT:      %b = arith.divui %[[BH]], %{{.*}} : index
// CHECK-NEXT:      %scores = memref.alloca() : memref<7xf32>
// pass 1: the scores
// CHECK-NEXT:      scf.for %j = {{.*}} {
// CHECK-NEXT:        %[[DOT:.*]] = scf.for %d = {{.*}} -> (f32) {
// CHECK-NEXT:          memref.load %q[%b, %h, %i, %d] : memref<2x2x1x4xf32>
// CHECK-NEXT:          memref.load %k[%b, %h, %j, %d] : memref<2x2x7x4xf32>
// CHECK-NEXT:          arith.mulf {{.*}} fastmath<reassoc,contract> : f32
// CHECK-NEXT:          arith.addf {{.*}} fastmath<reassoc,contract> : f32
// CHECK-NEXT:          scf.yield
// CHECK-NEXT:        }
// CHECK-NEXT:        %[[S:.*]] = arith.mulf %[[DOT]], %{{.*}} : f32
// CHECK-NEXT:        memref.store %[[S]], %scores[%j] : memref<7xf32>
// pass 2: their maximum, a loop of its own
// CHECK:           %peak = scf.for %[[J1:[^ ]+]] = {{.*}} iter_args(%[[MAX:[^ ]+]] = %{{.*}}) -> (f32) {
// CHECK-NEXT:        %[[S1:.*]] = memref.load %scores[%[[J1]]{{\]}}
// CHECK-NEXT:        arith.maximumf %[[MAX]], %[[S1]] fastmath<reassoc,contract> : f32
// pass 3: exp and the sum
// CHECK:           %total = scf.for %[[J2:[^ ]+]] = {{.*}} -> (f32) {
// CHECK-NEXT:        memref.load %scores[%[[J2]]{{\]}}
// CHECK-NEXT:        arith.subf %{{.*}}, %peak : f32
// CHECK-NEXT:        math.exp
// CHECK-NEXT:        memref.store {{.*}}, %scores[%[[J2]]{{\]}}
// CHECK-NEXT:        arith.addf {{.*}} fastmath<reassoc,contract> : f32
// pass 4: out = 0, out += p_j * v_j, out *= 1 / total
// CHECK:           scf.for %[[E:[^ ]+]] = {{.*}} {
// CHECK-NEXT:        memref.store %{{.*}}, %out[%b, %h, %i, %[[E]]{{\]}}
// CHECK:           scf.for %[[J3:[^ ]+]] = {{.*}} {
// CHECK-NEXT:        %[[P:.*]] = memref.load %scores[%[[J3]]{{\]}}
// CHECK-NEXT:        scf.for %[[E1:[^ ]+]] = {{.*}} {
// CHECK-NEXT:          memref.load %v[%b, %h, %[[J3]], %[[E1]]{{\]}}
// CHECK-NEXT:          memref.load %out[%b, %h, %i, %[[E1]]{{\]}}
// CHECK-NEXT:          arith.mulf %[[P]], {{.*}} fastmath<reassoc,contract>
// CHECK-NEXT:          arith.addf {{.*}} fastmath<reassoc,contract>
// CHECK-NEXT:          memref.store {{.*}}, %out[%b, %h, %i, %[[E1]]{{\]}}
// CHECK:           %inverse = arith.divf %{{.*}}, %total : f32
// CHECK-NEXT:      scf.for
// CHECK-NEXT:        memref.load %out
// CHECK-NEXT:        arith.mulf %{{.*}}, %inverse
// CHECK-NEXT:        memref.store
// CHECK:           scf.reduce
// CHECK-NOT:       memref.dealloc
// CHECK:         func.return

// ONLINE-LABEL: func.func @decode(
// ONLINE-NOT:     memref.alloca
// ONLINE:         "scf.parallel"
// ONLINE:           %{{.*}}, %total = scf.for %j = {{.*}} -> (f32, f32) {
// ONLINE:             arith.maximumf
// ONLINE:             math.exp
// ONLINE:             math.exp
// ONLINE:             scf.for %e
// ONLINE:           %inverse = arith.divf

func.func @decode(%q: memref<2x2x1x4xf32>, %k: memref<2x2x7x4xf32>, %v: memref<2x2x7x4xf32>, %out: memref<2x2x1x4xf32>) {
  nn.attention %q, %k, %v into %out {scale = 5.000000e-01 : f64}
      : memref<2x2x1x4xf32>, memref<2x2x7x4xf32>, memref<2x2x7x4xf32> into memref<2x2x1x4xf32>
  func.return
}

// Dynamic sizes come from memref.dim; the scratch is a heap buffer of %keys per row. Causal: row i sees the
// keys j < min(i + 1, L). A bool mask selects -inf; a row with every key masked is zeros (the shift and the
// inverse are guarded).
// CHECK-LABEL: func.func @prefill(
// CHECK:         %batch = memref.dim %q
// CHECK:         %keys = memref.dim %k
// CHECK:         "scf.parallel"
// CHECK:           %[[NEXT:.*]] = arith.addi %i, %{{.*}} : index
// CHECK-NEXT:      %seen = arith.minsi %[[NEXT]], %keys : index
// CHECK-NEXT:      %scores = memref.alloc(%keys) : memref<?xf32>
// CHECK-NEXT:      scf.for %j = %{{.*}} to %seen
// CHECK:             %[[KEEP:.*]] = memref.load %m[%i, %j] : memref<?x?xi1>
// CHECK-NEXT:        %[[S:.*]] = arith.select %[[KEEP]], %{{.*}}, %{{.*}} : f32
// CHECK-NEXT:        memref.store %[[S]], %scores[%j]
// CHECK:           %peak = scf.for %{{.*}} = %{{.*}} to %seen
// CHECK:           %[[EMPTY:.*]] = arith.cmpf oeq, %peak, %{{.*}} : f32
// CHECK-NEXT:      %shift = arith.select %[[EMPTY]], %{{.*}}, %peak : f32
// CHECK-NEXT:      %total = scf.for %{{.*}} = %{{.*}} to %seen
// CHECK:             arith.subf %{{.*}}, %shift : f32
// CHECK:           arith.cmpf ogt, %total
// CHECK-NEXT:      %inverse = arith.select
// CHECK:           memref.dealloc %scores : memref<?xf32>
// CHECK-NEXT:      scf.reduce
func.func @prefill(%q: memref<?x?x?x?xf32>, %k: memref<?x?x?x?xf32>, %v: memref<?x?x?x?xf32>, %m: memref<?x?xi1>,
                   %out: memref<?x?x?x?xf32>) {
  nn.attention %q, %k, %v mask %m into %out {scale = 5.000000e-01 : f64, causal}
      : memref<?x?x?x?xf32>, memref<?x?x?x?xf32>, memref<?x?x?x?xf32> mask memref<?x?xi1> into memref<?x?x?x?xf32>
  func.return
}

// A float mask is added to the scaled scores; its size-1 dimensions are read at index 0 (broadcast).
// CHECK-LABEL: func.func @bias(
// CHECK:           %[[ZERO:[0-9]+]] = arith.constant 0 : index
// CHECK:           %scores = memref.alloca() : memref<5xf64>
// CHECK:             %[[S:[0-9]+]] = arith.mulf %{{[0-9]+}}, %{{[0-9]+}} : f64
// CHECK-NEXT:        %[[B:[0-9]+]] = memref.load %m[%h, %[[ZERO]], %j] : memref<2x1x5xf64>
// CHECK-NEXT:        arith.addf %[[S]], %[[B]] : f64
func.func @bias(%q: memref<1x2x3x4xf64>, %k: memref<1x2x5x4xf64>, %v: memref<1x2x5x6xf64>, %m: memref<2x1x5xf64>,
                %out: memref<1x2x3x6xf64>) {
  nn.attention %q, %k, %v mask %m into %out {scale = 2.500000e-01 : f64}
      : memref<1x2x3x4xf64>, memref<1x2x5x4xf64>, memref<1x2x5x6xf64> mask memref<2x1x5xf64> into memref<1x2x3x6xf64>
  func.return
}

// BAD: lower-nn: unknown scheme 'magic'; schemes are: passes, online
// VERIFY: error: 'nn.attention' op does not verify: nn.attention: q and k must have one head size (dim 3), got q 4, k 5
// VERIFY-MASK: nn.attention: a mask of shape memref<3x6xi1> does not broadcast to the scores 2x2x3x7
