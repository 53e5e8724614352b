"""Compile hand-written loop-level MLIR and call it with numpy arrays.

    python examples/mlir_function.py
"""

from pathlib import Path

import numpy as np

import ircc

here = Path(__file__).parent
rowsums = ircc.compile(here / "mlir" / "matsum.mlir", entry="rowsums", target="llvm")
m = np.arange(12.0).reshape(3, 4)
print("row sums:", rowsums(m))

saxpy = ircc.compile(here / "mlir" / "saxpy.mlir", target="llvm", threads=2)
x, y = np.ones(10), np.arange(10.0)
saxpy(2.0, x, y)  # memrefs are updated in place
print("saxpy:", y)
