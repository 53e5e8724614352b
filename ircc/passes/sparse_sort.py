"""The row sort the SpGEMM lowerings call: a function emitted once per module and element types.

``@ircc_sort_<K>(%keys, %lo, %hi)`` sorts ``keys[lo:hi]`` ascending; ``@ircc_sort_<K>_<V>(%keys, %vals,
%lo, %hi)`` sorts the pairs by key, moving ``vals`` along (expand-sort-compress sorts its products so).
Rows up to ``SHELL_MAX`` entries are shell-sorted (gaps 301 ... 1: fast on short rows); longer rows are
heapsorted, so a hub row costs O(k log k), never O(k^2).

```mlir
func.func private @ircc_sort_i32(%keys: memref<?xi32>, %lo: index, %hi: index) {
  scf.if (hi - lo <= 1024) { gapped insertion sorts } else { heapsort }
}
```
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, IntegerType, ModuleOp
from xdsl.ir import Attribute, Block, Region, SSAValue

from ircc.ir.builder import INDEX, LoopBuilder, memref_1d

#: rows up to this length are shell-sorted, longer ones heapsorted
SHELL_MAX = 1024
_GAPS = (301, 132, 57, 23, 10, 4, 1)
I1 = IntegerType(1)


def ensure_sort(module: ModuleOp, key_type: Attribute, payload_type: Attribute | None = None, *,
                nearly_sorted: bool = False) -> str:
    """The name of the sort function for ``key_type`` keys (and ``payload_type`` values), added if missing.
    ``nearly_sorted``: for input with few inversions (``@ircc_sort_nearly_...``): short rows get one plain
    insertion sort (linear in the inversions) instead of the shell sort's passes."""
    name = (f"ircc_sort_{'nearly_' if nearly_sorted else ''}{key_type}"
            + (f"_{payload_type}" if payload_type is not None else ""))
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == name:
            return name
    arrays_t = [memref_1d(key_type)] + ([memref_1d(payload_type)] if payload_type is not None else [])
    types = arrays_t + [INDEX, INDEX]
    block = Block(arg_types=types)
    arrays, (lo, hi) = list(block.args[:len(arrays_t)]), block.args[len(arrays_t):]
    b = LoopBuilder.at_end(block)
    n = b.sub(hi, lo)
    short = (lambda b: _gapped_insertion_sort(b, arrays, lo, hi, 1)) if nearly_sorted else (
        lambda b: _shell_sort(b, arrays, lo, hi))
    b.if_(b.cmp("sle", n, b.index(SHELL_MAX)), short, lambda b: _heapsort(b, arrays, lo, n))
    b.insert(func.ReturnOp())
    fn = func.FuncOp(name, FunctionType.from_lists(types, []), Region(block), visibility="private")
    module.body.block.add_op(fn)
    return name


def _move(b: LoopBuilder, arrays: list[SSAValue], src: SSAValue, dst: SSAValue) -> None:
    for arr in arrays:
        b.store(b.load(arr, src), arr, dst)


def _gapped_insertion_sort(b: LoopBuilder, arrays: list[SSAValue], lo: SSAValue, hi: SSAValue, gap: int) -> None:
    keys = arrays[0]
    g = b.index(gap)
    first = b.add(lo, g)

    def outer(b: LoopBuilder, x: SSAValue) -> None:
        held = [b.load(arr, x) for arr in arrays]
        v = held[0]

        def cond(b: LoopBuilder, j: SSAValue) -> SSAValue:
            # keys[j - gap] > v, read only when j - gap >= lo
            return b.if_(b.cmp("sge", j, first), lambda b: [b.cmp("sgt", b.load(keys, b.sub(j, g)), v)],
                         lambda b: [b.const(False, I1)], types=[I1])[0]

        def shift(b: LoopBuilder, j: SSAValue) -> list[SSAValue]:
            jm = b.sub(j, g)
            _move(b, arrays, jm, j)
            return [jm]

        j = b.while_([x], cond, shift)[0]
        for arr, value in zip(arrays, held):
            b.store(value, arr, j)

    b.for_(first, hi, [], outer)


def _shell_sort(b: LoopBuilder, arrays: list[SSAValue], lo: SSAValue, hi: SSAValue) -> None:
    n = b.sub(hi, lo)
    for gap in _GAPS:
        if gap == 1:
            _gapped_insertion_sort(b, arrays, lo, hi, 1)
        else:
            b.if_(b.cmp("sgt", n, b.index(2 * gap)),
                  lambda b, gap=gap: _gapped_insertion_sort(b, arrays, lo, hi, gap))


def _swap(b: LoopBuilder, arrays: list[SSAValue], x: SSAValue, y: SSAValue) -> None:
    for arr in arrays:
        vx, vy = b.load(arr, x), b.load(arr, y)
        b.store(vy, arr, x)
        b.store(vx, arr, y)


def _heapsort(b: LoopBuilder, arrays: list[SSAValue], lo: SSAValue, n: SSAValue) -> None:
    keys = arrays[0]
    one, two = b.index(1), b.index(2)

    def sift(b: LoopBuilder, root: SSAValue, size: SSAValue) -> None:
        """Move entry ``lo + root`` down the max-heap of ``size`` entries."""
        def cond(b: LoopBuilder, r: SSAValue, done: SSAValue) -> SSAValue:
            child = b.add(b.mul(r, two), one)
            return b.and_(b.cmp("slt", child, size), b.xor(done, b.const(True, I1)))

        def body(b: LoopBuilder, r: SSAValue, done: SSAValue) -> list[SSAValue]:
            child = b.add(b.mul(r, two), one)
            right = b.add(child, one)
            has_right = b.cmp("slt", right, size)
            bigger = b.if_(has_right, lambda b: [b.select(
                b.cmp("slt", b.load(keys, b.add(lo, child)), b.load(keys, b.add(lo, right))), right, child)],
                lambda b: [child], types=[INDEX])[0]
            rv, cv = b.load(keys, b.add(lo, r)), b.load(keys, b.add(lo, bigger))

            def do_swap(b: LoopBuilder) -> list[SSAValue]:
                _swap(b, arrays, b.add(lo, r), b.add(lo, bigger))
                return [bigger, b.const(False, I1)]

            return b.if_(b.cmp("slt", rv, cv), do_swap, lambda b: [r, b.const(True, I1)], types=[INDEX, I1])

        b.while_([root, b.const(False, I1)], cond, body)

    half = b.div_floor(n, two)
    b.for_(b.index(0), half, [], lambda b, t: sift(b, b.sub(b.sub(half, one), t), n))

    def extract(b: LoopBuilder, t: SSAValue) -> None:
        end = b.sub(b.sub(n, one), t)
        _swap(b, arrays, lo, b.add(lo, end))
        sift(b, b.index(0), end)

    b.for_(b.index(0), b.sub(n, one), [], extract)
