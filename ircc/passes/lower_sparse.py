"""``lower-sparse``: the ``sparse`` dialect to loops over memrefs (scf / memref / arith).

``sparse.assemble`` and ``sparse.disassemble`` disappear (a CSR value becomes its parts); each
``sparse.spgemm`` becomes the loops of the strategy named by ``algorithm``:

- ``spa``: Gustavson row-wise with a dense accumulator, two phases, rows sorted after (``spgemm_spa.py``);
- ``hash``: Gustavson row-wise with an open-addressing hash accumulator sized to the row's flops, two phases
  (``spgemm_hash.py``);
- ``esc``: expand each row's products, sort them by column, compress equal columns (``spgemm_esc.py``);
- ``heap``: each row a k-way merge of B's rows with a binary heap: sorted by construction (``spgemm_heap.py``);
- ``hybrid``: per row, heap for rows with few entries and many flops, SPA otherwise (``spgemm_hybrid.py``);
- ``smash-v1`` / ``smash-v2`` (target piuma): windows of rows merged by atomic hashing in each core's
  scratchpad, work split statically (v1) or handed out by tokens (v2) (``spgemm_smash.py``); ``smash-v3``:
  per-row fragments of the table, sorted in the scratchpad, one phase into per-row fragments of C
  (``spgemm_smash_v3.py``); ``slots``, ``per-core``, ``cores`` from the simulated machine.

``sparse.spmv`` / ``sparse.spmm`` become a row loop reducing each row (``sparse_spmv.py``).

The SpGEMM strategies run their rows over partitions of about equal flops in ``scf.parallel`` (``parallel=false``: a
serial loop; ``parts``: how many partitions).

```mlir
%c = sparse.spgemm %a, %b {semiring = "plus_times", sorted} : ... -> !sparse.csr<f64, i32>
// lower-sparse{algorithm=spa}: a marker and an accumulator of n entries, a symbolic loop nest
// counting each row's columns into C's row pointers, a scan, then the numeric loop nest and a call
// of @ircc_sort_i32 per row.
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import builtin, func
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from ircc.ir.builder import LoopBuilder
from ircc.ir.dialects.sparse import AssembleOp, DisassembleOp, SpGemmOp, SpMMOp, SpMVOp
from ircc.passes.sparse_common import Mask, Parts, semiring_of
from ircc.passes.sparse_sort import ensure_sort

ALGORITHMS = ("spa", "hash", "esc", "heap", "hybrid", "smash-v1", "smash-v2", "smash-v3")


@dataclass(frozen=True)
class LowerSparse(ModulePass):
    name = "lower-sparse"

    algorithm: str = "spa"
    parallel: bool = True
    parts: int = 16
    phases: int = 2
    slots: int = 1 << 16  # smash: the keys of a core's scratchpad table
    per_core: int = 64  # smash: the threads of one core (the simulated machine's)
    cores: int = 1  # smash: the simulated machine's cores

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        if self.phases not in (1, 2):
            raise DiagnosticException(f"lower-sparse: phases must be 1 or 2, not {self.phases}")
        if self.algorithm not in ALGORITHMS:
            raise DiagnosticException(f"lower-sparse: unknown algorithm '{self.algorithm}'; "
                                      f"algorithms are: {', '.join(ALGORITHMS)}")
        for fn in [f for f in op.ops if isinstance(f, func.FuncOp)]:
            self._lower_function(op, fn)

    def _lower_function(self, module: builtin.ModuleOp, fn: func.FuncOp) -> None:
        parts: dict = {}
        done = []
        for inner in list(fn.walk()):
            if isinstance(inner, AssembleOp):
                parts[inner.result] = Parts(inner.indptr, inner.indices, inner.values, inner.nrows, inner.ncols)
            elif isinstance(inner, SpGemmOp):
                t = inner.result.type
                semiring = semiring_of(inner.semiring.data, t.element_type)
                wants_sort = inner.sorted is not None
                sort_fn = None
                if wants_sort and self.algorithm in ("spa", "hash", "hybrid"):
                    sort_fn = ensure_sort(module, t.index_type)
                elif self.algorithm == "esc":  # sorts its expanded products: sorted output either way
                    sort_fn = ensure_sort(module, inner.a.type.index_type, t.element_type)
                b = LoopBuilder.before(inner)
                mask = None
                if inner.mask is not None:
                    mask = Mask(parts[inner.mask], inner.complement_mask is not None)
                common = {"semiring": semiring, "index_type": t.index_type, "value_type": t.element_type,
                          "parallel": self.parallel, "parts": self.parts, "mask": mask, "phases": self.phases}
                if self.algorithm.startswith("smash-"):
                    if semiring not in ("plus_times", "plus_pair") or mask is not None:
                        raise DiagnosticException(f"lower-sparse: {self.algorithm} merges with atomic adds: "
                                                  "semirings plus_times and plus_pair, without a mask")
                    machine = {"slots": self.slots, "per_core": self.per_core, "cores": self.cores}
                    if self.algorithm == "smash-v3":  # sorts in the scratchpad: its keys are 64-bit
                        from ircc.passes.spgemm_smash import KEY
                        from ircc.passes.spgemm_smash_v3 import emit_smash_v3

                        sort_fn = ensure_sort(module, KEY, t.element_type, nearly_sorted=True) if wants_sort else None
                        parts[inner.result] = emit_smash_v3(b, parts[inner.a], parts[inner.b], semiring=semiring,
                                                            index_type=t.index_type, value_type=t.element_type,
                                                            sort_fn=sort_fn, **machine)
                    else:
                        from ircc.passes.spgemm_smash import emit_smash

                        if wants_sort:
                            sort_fn = ensure_sort(module, t.index_type, t.element_type)
                        parts[inner.result] = emit_smash(b, parts[inner.a], parts[inner.b], semiring=semiring,
                                                         index_type=t.index_type, value_type=t.element_type,
                                                         sort_fn=sort_fn, version=int(self.algorithm[-1]),
                                                         **machine)
                elif self.algorithm == "hash":
                    from ircc.passes.spgemm_hash import emit_hash

                    parts[inner.result] = emit_hash(b, parts[inner.a], parts[inner.b], sort_fn=sort_fn, **common)
                elif self.algorithm == "esc":
                    from ircc.passes.spgemm_esc import emit_esc

                    parts[inner.result] = emit_esc(b, parts[inner.a], parts[inner.b], sort_fn=sort_fn, **common)
                elif self.algorithm == "heap":
                    from ircc.passes.spgemm_heap import emit_heap

                    parts[inner.result] = emit_heap(b, parts[inner.a], parts[inner.b], **common)
                elif self.algorithm == "hybrid":
                    from ircc.passes.spgemm_hybrid import emit_hybrid

                    parts[inner.result] = emit_hybrid(b, parts[inner.a], parts[inner.b], sort_fn=sort_fn, **common)
                else:
                    from ircc.passes.spgemm_spa import emit_spa

                    parts[inner.result] = emit_spa(b, parts[inner.a], parts[inner.b], sorted=inner.sorted is not None,
                                                   sort_fn=sort_fn, **common)
            elif isinstance(inner, DisassembleOp):
                p = parts[inner.matrix]
                for result, value in zip(inner.results, (p.indptr, p.indices, p.values, p.nrows, p.ncols)):
                    result.replace_all_uses_with(value)
            elif isinstance(inner, (SpMVOp, SpMMOp)):
                from ircc.passes.sparse_spmv import emit_spmm, emit_spmv

                emit = emit_spmv if isinstance(inner, SpMVOp) else emit_spmm
                semiring = semiring_of(inner.semiring.data, inner.a.type.element_type)
                emit(LoopBuilder.before(inner), parts[inner.a], inner.x, inner.y, semiring=semiring,
                     parallel=self.parallel)
            else:
                continue
            done.append(inner)
        for inner in reversed(done):
            inner.detach()
            inner.erase()
