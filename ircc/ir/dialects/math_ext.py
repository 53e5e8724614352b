"""Upstream MLIR ``math`` ops that xDSL 0.75's math dialect lacks, under their upstream names.

They print and parse exactly as MLIR's (``%y = math.erfc %x : f64``), so IR with them is still
accepted by ``mlir-opt``; ``make_context`` loads them next to xDSL's math dialect.
"""

from __future__ import annotations

from xdsl.dialects.math import FloatingPointLikeUnaryMathOperation
from xdsl.irdl import irdl_op_definition, traits_def
from xdsl.traits import Pure, SameOperandsAndResultType


@irdl_op_definition
class ErfcOp(FloatingPointLikeUnaryMathOperation):
    """The complementary error function, 1 - erf(x), computed without the cancellation of that form.

    ```mlir
    %y = math.erfc %x : f64
    ```
    """

    name = "math.erfc"

    traits = traits_def(Pure(), SameOperandsAndResultType())


#: ops to load into every context (see ircc/ir/context.py)
EXTRA_MATH_OPS = (ErfcOp,)
