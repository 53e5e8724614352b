"""The one xDSL ``Context`` ircc uses: every dialect it reads or writes, registered lazily."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.context import Context
from xdsl.ir import Dialect


def _upstream_dialects() -> dict[str, Callable[[], Dialect]]:
    from xdsl.dialects import get_all_dialects

    wanted = (
        "builtin", "func", "arith", "math", "scf", "memref", "llvm", "cf", "affine",
        "linalg", "tensor", "bufferization", "ptr_xdsl", "test",
    )
    everything = get_all_dialects()
    return {name: everything[name] for name in wanted if name in everything}


def _ircc_dialects() -> dict[str, Callable[[], Dialect]]:
    """ircc's own dialects (``ir/dialects/*``)."""

    def sparse() -> Dialect:
        from ircc.ir.dialects.sparse import Sparse

        return Sparse

    def graph() -> Dialect:
        from ircc.ir.dialects.graph import Graph

        return Graph

    def nn() -> Dialect:
        from ircc.ir.dialects.nn import NN

        return NN

    def piuma() -> Dialect:
        from ircc.ir.dialects.piuma import PIUMA

        return PIUMA

    return {"sparse": sparse, "graph": graph, "nn": nn, "piuma": piuma}


def make_context(*, allow_unregistered: bool = False) -> Context:
    """Build a Context with every dialect ircc uses; dialects load on first use."""
    from ircc.ir.dialects.arith_ext import EXTRA_ARITH_OPS
    from ircc.ir.dialects.math_ext import EXTRA_MATH_OPS

    ctx = Context(allow_unregistered=allow_unregistered)
    for name, factory in {**_upstream_dialects(), **_ircc_dialects()}.items():
        ctx.register_dialect(name, factory)
    for op in EXTRA_MATH_OPS + EXTRA_ARITH_OPS:  # upstream ops xDSL lacks (math.erfc, arith.remf)
        ctx.load_op(op)
    return ctx
