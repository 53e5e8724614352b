"""Upstream MLIR ``arith`` ops that xDSL 0.75's arith dialect lacks, under their upstream names.

``arith.remf`` is C's ``fmod`` (the remainder takes the dividend's sign); it prints and parses as
MLIR's (``%r = arith.remf %a, %b : f64``). ``make_context`` loads it next to xDSL's arith dialect.
"""

from __future__ import annotations

from xdsl.dialects.arith import FloatingPointLikeBinaryOperation
from xdsl.irdl import irdl_op_definition, traits_def
from xdsl.traits import Pure


@irdl_op_definition
class RemFOp(FloatingPointLikeBinaryOperation):
    """The floating-point remainder of a division, with the sign of the dividend (``fmod``).

    ```mlir
    %r = arith.remf %a, %b : f64
    ```
    """

    name = "arith.remf"

    traits = traits_def(Pure())


#: ops to load into every context (see ircc/ir/context.py)
EXTRA_ARITH_OPS = (RemFOp,)
