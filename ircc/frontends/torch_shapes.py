"""Sizes in the torch frontend: static ints, or symbolic sizes (``torch.export`` with dynamic shapes).

A symbolic size is a sympy expression over export's size symbols (``s0``, ``5*s0``). In the IR it is a
``?`` dimension; where the IR needs its value (an ``memref.alloc``, a ``memref.subview``, an
``memref.expand_shape``) ``Sizes.value`` computes it from the function's arguments: each symbol is the
``memref.dim`` of the first input that has it as a whole dimension, products and sums are ``arith`` ops
on ``index`` values. The kernel's wrapper binds the same symbols from the tensors it is called with
(``bind``) and evaluates the results' shapes (``evaluate``).
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects import arith, memref
from xdsl.dialects.builtin import DYNAMIC_INDEX, IndexType, IntegerAttr
from xdsl.ir import Block, SSAValue

from ircc.errors import ArgumentError, IrccError

Dim = Any  # int, or a sympy expression over size symbols


def dims_of(val) -> tuple[Dim, ...]:
    """The sizes of a FakeTensor (an FX node's ``meta["val"]``): ints where static, sympy expressions
    where torch.export traced them as symbolic."""
    out = []
    for d in val.shape:
        if isinstance(d, int):
            out.append(d)
            continue
        expr = d.node.expr
        out.append(int(expr) if expr.is_number else expr)
    return tuple(out)


def ir_dims(dims: tuple[Dim, ...]) -> list[int]:
    """The IR's shape: ``?`` (DYNAMIC_INDEX) for every symbolic size."""
    return [d if isinstance(d, int) else DYNAMIC_INDEX for d in dims]


def is_static(dims) -> bool:
    return all(isinstance(d, int) for d in dims)


def product(dims) -> Dim:
    out: Any = 1
    for d in dims:
        out = out * d
    return out


def same(a: Dim, b: Dim) -> bool:
    """Whether two sizes are equal for every value of the symbols."""
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    import sympy

    return sympy.simplify(sympy.sympify(a) - sympy.sympify(b)) == 0


class Sizes:
    """Symbolic sizes as ``index`` values of the function being built (computed once, where first needed:
    the function is one block, so a value made earlier dominates every later use)."""

    def __init__(self, block: Block):
        self.block = block
        self.sources: dict[Any, tuple[SSAValue, int]] = {}  # symbol -> (argument, dimension)
        self.cache: dict[Any, SSAValue] = {}

    def add_argument(self, arg: SSAValue, dims: tuple[Dim, ...]) -> None:
        for k, d in enumerate(dims):
            if not isinstance(d, int) and d.is_Symbol and d not in self.sources:
                self.sources[d] = (arg, k)

    def value(self, dim: Dim) -> SSAValue:
        if isinstance(dim, int):
            return self._const(dim)
        if dim in self.cache:
            return self.cache[dim]
        import sympy

        if dim.is_Symbol:
            if dim not in self.sources:
                raise IrccError(f"torch frontend: the size {dim} is not the size of any input's dimension; "
                                "ircc cannot compute it at run time (make it static)")
            arg, k = self.sources[dim]
            v = self._emit(memref.DimOp(arg, self._const(k)))
        elif isinstance(dim, sympy.Integer):
            v = self._const(int(dim))
        elif isinstance(dim, (sympy.Mul, sympy.Add)):
            cls = arith.MuliOp if isinstance(dim, sympy.Mul) else arith.AddiOp
            terms = [self.value(int(a) if a.is_Integer else a) for a in dim.args]
            v = terms[0]
            for t in terms[1:]:
                v = self._emit(cls(v, t))
        else:
            name = type(dim).__name__
            if name in ("FloorDiv", "CleanDiv") and dim.args[1].is_Integer:
                v = self._emit(arith.FloorDivSIOp(self.value(dim.args[0]), self._const(int(dim.args[1]))))
            else:
                raise IrccError(f"torch frontend: the symbolic size {dim} is not supported (products and sums "
                                "of the input sizes are)")
        self.cache[dim] = v
        return v

    def _const(self, n: int) -> SSAValue:
        key = ("const", n)
        if key not in self.cache:
            self.cache[key] = self._emit(arith.ConstantOp(IntegerAttr(n, IndexType())))
        return self.cache[key]

    def _emit(self, op) -> SSAValue:
        self.block.add_op(op)
        return op.results[0]


def bind(symbols: dict[Any, tuple[int, int]], inputs_dims: list[tuple[Dim, ...]], shapes: list[tuple[int, ...]],
         what: str = "input") -> dict[Any, int]:
    """The symbols' values for a call with tensors of ``shapes``, checking every static size and every
    symbolic one (``ArgumentError`` says which input and dimension disagree)."""
    values = {s: shapes[i][k] for s, (i, k) in symbols.items()}
    for i, (dims, shape) in enumerate(zip(inputs_dims, shapes)):
        if len(dims) != len(shape):
            raise ArgumentError(f"{what} {i}: expected {len(dims)} dimensions, got a tensor of shape {shape}")
        for k, (d, got) in enumerate(zip(dims, shape)):
            want = d if isinstance(d, int) else evaluate(d, values)
            if want != got:
                spelled = "" if isinstance(d, int) else f" ({d})"
                raise ArgumentError(f"{what} {i}: dimension {k} must be {want}{spelled}, got a tensor of shape "
                                    f"{shape}; the kernel was compiled for {_spell(dims)}")
    return values


def evaluate(dim: Dim, values: dict[Any, int]) -> int:
    """A size's value for the symbols' ``values`` (fast: the kernel's wrapper asks at every call)."""
    if isinstance(dim, int):
        return dim
    if dim in values:
        return values[dim]
    fn = _COMPILED.get(dim)
    if fn is None:
        import sympy

        symbols = sorted(dim.free_symbols, key=str)
        fn = _COMPILED[dim] = (symbols, sympy.lambdify(symbols, dim, modules=[{"FloorDiv": lambda a, b: a // b}]))
    symbols, f = fn
    return int(f(*(values[s] for s in symbols)))


_COMPILED: dict[Any, Any] = {}


def _spell(dims) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ")"


def reshape_groups(old: tuple[Dim, ...], new: tuple[Dim, ...],
                   hints: dict[Any, int]) -> list[tuple[list[int], list[int]]] | None:
    """The dimensions of a row-major reshape matched in groups whose sizes multiply to the same number
    (MLIR's reassociation): ``[([0, 1], [0]), ([2], [1, 2])]`` for ``(B, T, C) -> (B*T, H, D)``; ``[]`` where
    one side has rank 0. Groups are found on the
    example's sizes (``hints``) and then checked symbolically; None where a group's sizes differ for some
    value of the symbols (a reshape that moves a symbolic size across dimensions)."""
    o = [evaluate(d, hints) for d in old]
    n = [evaluate(d, hints) for d in new]
    groups: list[tuple[list[int], list[int]]] = []
    i = j = 0
    while i < len(o) and j < len(n):
        gi, gj, si, sj = [i], [j], o[i], n[j]
        i, j = i + 1, j + 1
        while si != sj:
            if si < sj and i < len(o):
                gi.append(i)
                si, i = si * o[i], i + 1
            elif sj < si and j < len(n):
                gj.append(j)
                sj, j = sj * n[j], j + 1
            else:
                return None
        groups.append((gi, gj))
    if groups:  # trailing unit dimensions join the last group
        groups[-1][0].extend(range(i, len(o)))
        groups[-1][1].extend(range(j, len(n)))
    elif o or n:  # rank 0 on one side: every dimension is a unit one, no group
        return [] if product(o) == 1 and product(n) == 1 else None
    for gi, gj in groups:
        if not same(product(old[k] for k in gi), product(new[k] for k in gj)):
            return None
    return groups
