"""The one cost interface the passes and backends ask when they choose.

For now fixed rules and a static table; the learned model plugs in behind the same functions.
"""

from __future__ import annotations

from xdsl.dialects import memref, scf
from xdsl.dialects.builtin import ModuleOp

#: a loop body storing to more places than this per iteration is left to the SLP vectorizer:
#: measured on the Robertson kernel (12 interleaved outputs per point), LLVM's loop vectorizer
#: turned 104 Mpoints/s into 37 (benchmarks/symbolic.py); on one or two streams it wins.
MAX_STORES_FOR_LOOP_VECTORIZER = 4


def choose_cpu_target() -> str:
    """The concrete backend for ``target="cpu"``: llvm (a fixed rule until the cost model chooses)."""
    return "llvm"


def llvm_loop_vectorize(module: ModuleOp) -> bool:
    """Whether to run LLVM's loop vectorizer on this module (False: SLP vectorization only)."""
    for op in module.walk():
        if isinstance(op, (scf.ParallelOp, scf.ForOp)):
            block = op.body.blocks.first
            stores = sum(1 for inner in block.ops if isinstance(inner, memref.StoreOp)) if block else 0
            if stores > MAX_STORES_FOR_LOOP_VECTORIZER:
                return False
    return True
