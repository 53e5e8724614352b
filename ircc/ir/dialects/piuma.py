"""The ``piuma`` dialect: what a program on the simulated PIUMA-like machine says beyond ``scf`` / ``memref`` /
``arith`` / ``math`` (``backends/piuma``).

* ``piuma.launch`` -- its region runs once on every hardware thread (block arguments: this thread's id and the
  number of threads); the function's next op waits for all of them. Ids go round-robin over the cores, then
  over each core's pipelines: thread ``t`` runs on core ``t mod cores`` (so a loop split cyclically over the
  ids spreads over the whole machine even when it has fewer iterations than threads).
* ``piuma.threads`` -- the number of hardware threads (a host value: sizes buffers of per-thread partials).
* ``piuma.barrier`` -- every live thread of the launch waits here for the others (``{core}``: the threads of
  one core).
* ``piuma.spad_alloc`` -- a buffer in the scratchpad of each core (one copy per core, shared by its threads).
* ``piuma.atomic_add`` / ``piuma.cas`` -- memory-side atomics: done at the unit of the core that holds the
  address (its DRAM slice, or its scratchpad), returning the old value.
* ``piuma.dma_gather`` -- the core's DMA engine copies ``src[idx[k]]`` into ``dst[k]`` for ``k < n``;
  ``piuma.dma_scatter`` copies ``src[k]`` into ``dst[idx[k]]``.

DRAM loads and stores stay ``memref.load`` / ``memref.store``: the global address space decides, per address,
whether the access is local or remote (``interleave_bytes``).

```mlir
piuma.launch (%tid, %nthreads) {
  scf.for %i = %tid to %n step %nthreads {
    %x = memref.load %in[%i] : memref<?xf64>
    %old = piuma.atomic_add %x, %sum[%c0] : f64, memref<1xf64>
  }
}
```
"""

from __future__ import annotations

from xdsl.dialects.builtin import IndexType, MemRefType, UnitAttr
from xdsl.ir import Attribute, Block, Dialect, Region, SSAValue
from typing import ClassVar

from xdsl.irdl import (
    AnyAttr,
    IRDLOperation,
    VarConstraint,
    irdl_op_definition,
    operand_def,
    opt_attr_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import NoTerminator
from xdsl.utils.exceptions import VerifyException


@irdl_op_definition
class LaunchOp(IRDLOperation):
    name = "piuma.launch"
    body = region_def("single_block")
    traits = traits_def(NoTerminator())
    assembly_format = "$body attr-dict"

    def __init__(self, body: Region | None = None):
        if body is None:
            body = Region(Block(arg_types=[IndexType(), IndexType()]))
        super().__init__(regions=[body])

    def verify_(self) -> None:
        args = self.body.block.args
        if len(args) != 2 or not all(isinstance(a.type, IndexType) for a in args):
            raise VerifyException("piuma.launch: its block takes (thread id, number of threads), both index")


@irdl_op_definition
class ThreadsOp(IRDLOperation):
    """The number of hardware threads a launch runs on (the machine's, known when the program runs)."""

    name = "piuma.threads"
    result = result_def(IndexType)
    assembly_format = "attr-dict"

    def __init__(self):
        super().__init__(result_types=[IndexType()])


@irdl_op_definition
class BarrierOp(IRDLOperation):
    """Every live thread of the launch waits here for the others; ``{core}``: only the threads of this
    thread's core (a scratchpad-local barrier)."""

    name = "piuma.barrier"
    core = opt_attr_def(UnitAttr)
    assembly_format = "attr-dict"

    def __init__(self, core: bool = False):
        super().__init__(attributes={"core": UnitAttr()} if core else {})


@irdl_op_definition
class SpadAllocOp(IRDLOperation):
    name = "piuma.spad_alloc"
    dynamic_sizes = var_operand_def(IndexType)
    memref = result_def(MemRefType)
    assembly_format = "`(` $dynamic_sizes `)` attr-dict `:` type($memref)"

    def __init__(self, result_type: MemRefType, dynamic_sizes=()):
        super().__init__(operands=[list(dynamic_sizes)], result_types=[result_type])


def _check_access(op, value_type: Attribute, memref: SSAValue, indices) -> None:
    t = memref.type
    assert isinstance(t, MemRefType)
    if t.element_type != value_type:
        raise VerifyException(f"{op.name}: the value is {value_type}, the memref holds {t.element_type}")
    if len(indices) != len(t.get_shape()):
        raise VerifyException(f"{op.name}: {len(indices)} indices for a memref of rank {len(t.get_shape())}")


@irdl_op_definition
class AtomicAddOp(IRDLOperation):
    name = "piuma.atomic_add"
    T: ClassVar = VarConstraint("T", AnyAttr())
    value = operand_def(T)
    memref = operand_def(MemRefType)
    indices = var_operand_def(IndexType)
    old = result_def(T)
    assembly_format = "$value `,` $memref `[` $indices `]` attr-dict `:` type($value) `,` type($memref)"

    def __init__(self, value: SSAValue, memref: SSAValue, indices):
        super().__init__(operands=[value, memref, list(indices)], result_types=[value.type])

    def verify_(self) -> None:
        _check_access(self, self.value.type, self.memref, self.indices)


@irdl_op_definition
class CasOp(IRDLOperation):
    """Compare-and-swap: stores ``new`` where the location holds ``expected``; returns what it held."""

    name = "piuma.cas"
    T: ClassVar = VarConstraint("T", AnyAttr())
    expected = operand_def(T)
    new = operand_def(T)
    memref = operand_def(MemRefType)
    indices = var_operand_def(IndexType)
    old = result_def(T)
    assembly_format = ("$expected `,` $new `,` $memref `[` $indices `]` attr-dict `:` type($expected) `,` "
                       "type($memref)")

    def __init__(self, expected: SSAValue, new: SSAValue, memref: SSAValue, indices):
        super().__init__(operands=[expected, new, memref, list(indices)], result_types=[expected.type])

    def verify_(self) -> None:
        _check_access(self, self.expected.type, self.memref, self.indices)
        if self.new.type != self.expected.type:
            raise VerifyException("piuma.cas: expected and new values differ in type")


@irdl_op_definition
class DmaGatherOp(IRDLOperation):
    """``dst[k] = src[idx[k]]`` for ``k < n``, by the issuing core's DMA engine (the thread waits for it)."""

    name = "piuma.dma_gather"
    src = operand_def(MemRefType)
    idx = operand_def(MemRefType)
    dst = operand_def(MemRefType)
    n = operand_def(IndexType)
    assembly_format = "$src `[` $idx `]` `into` $dst `count` $n attr-dict `:` type($src) `,` type($idx) `,` type($dst)"


@irdl_op_definition
class DmaScatterOp(IRDLOperation):
    """``dst[idx[k]] = src[k]`` for ``k < n``, by the issuing core's DMA engine (the thread waits for it)."""

    name = "piuma.dma_scatter"
    src = operand_def(MemRefType)
    idx = operand_def(MemRefType)
    dst = operand_def(MemRefType)
    n = operand_def(IndexType)
    assembly_format = "$src `into` $dst `[` $idx `]` `count` $n attr-dict `:` type($src) `,` type($idx) `,` type($dst)"


PIUMA = Dialect("piuma", [LaunchOp, ThreadsOp, BarrierOp, SpadAllocOp, AtomicAddOp, CasOp, DmaGatherOp,
                          DmaScatterOp], [])
