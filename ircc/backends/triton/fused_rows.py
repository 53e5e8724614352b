"""Sibling row nests fused into one row kernel: softmax, layer norm and RMSNorm as one program per row.

The torch frontend lowers ``softmax`` to six top-level nests over the same rows: fill the max, the max
row, ``exp`` of the differences, fill the sum, the sum row, the division. Each alone is a kernel (a pass over
memory and a launch). Here a run of consecutive nests that share their first ``r`` parallel dimensions
(the grid: those of the first nest with a row loop) becomes one kernel with one program per grid point; each
nest's remaining dimensions, or its ``scf.for``, are a row of lanes. Rows over the same points share their
lanes, so a value a nest stores and a later nest loads at the same address stays in registers (and a value
loaded twice is loaded once); a barrier separates the nests for what goes through memory.

Legal when every memref written in the run is accessed, throughout the run, only at the grid point's own
rows (its first ``r`` indices are the nest's grid variables, in order): then no program reads what another
writes. Host ops between the nests (constants, allocations) move above the launch.
"""

from __future__ import annotations

from xdsl.dialects import memref, scf
from xdsl.ir import Operation

from ircc.backends.triton.matmul import _HOISTABLE
from ircc.backends.triton.render import _RowKernel, _same_value
from ircc.ir.reshape import view_root


def _dims(nest: scf.ParallelOp) -> tuple[list[tuple], Operation]:
    """``(iv, lb, ub, step)`` of a nest's parallel dimensions (directly nested parallels joined) and the body
    holding the rest."""
    dims, loop = [], nest
    while True:
        dims += list(zip(loop.body.block.args, loop.lowerBound, loop.upperBound, loop.step))
        inner = [o for o in loop.body.block.ops if not isinstance(o, (scf.ReduceOp, scf.YieldOp))]
        if len(inner) != 1 or not isinstance(inner[0], scf.ParallelOp) or inner[0].initVals:
            return dims, loop.body.block
        loop = inner[0]


def _has_row(body) -> bool:
    return any(isinstance(o, scf.ForOp) for o in body.ops)


def _candidate(op: Operation) -> bool:
    if not isinstance(op, scf.ParallelOp) or op.initVals:
        return False
    _, body = _dims(op)
    return not any(isinstance(o, (scf.ParallelOp, scf.WhileOp, scf.IfOp)) for o in body.walk() if o is not body)


def _legal(nests: list[scf.ParallelOp], rank: int) -> bool:
    accesses = []
    for nest in nests:
        dims, body = _dims(nest)
        grid = [iv for iv, *_ in dims[:rank]]
        for o in body.walk():
            if isinstance(o, (memref.LoadOp, memref.StoreOp)):
                accesses.append((o, grid))
    written = {view_root(o.memref) for o, _ in accesses if isinstance(o, memref.StoreOp)}
    return all(list(o.indices)[:rank] == grid for o, grid in accesses if view_root(o.memref) in written)


def plan_row_groups(ops: list[Operation], taken: set[Operation]) -> list[tuple[list[Operation], list[Operation]]]:
    """Runs of nests to fuse: ``(nests, host ops to hoist above the launch)``, each with a row loop in it."""
    groups, i = [], 0
    while i < len(ops):
        op = ops[i]
        if op in taken or not _candidate(op):
            i += 1
            continue
        nests, hoisted, pending, rank, bounds = [op], [], [], None, None
        j = i + 1
        while j < len(ops):
            o = ops[j]
            if isinstance(o, _HOISTABLE):
                pending.append(o)
                j += 1
                continue
            if o in taken or not _candidate(o):
                break
            nests.append(o)
            hoisted += pending
            pending = []
            j += 1
        # the grid: the first nest with a row loop; keep the longest prefix of nests that shares it
        rows = [n for n in nests if _has_row(_dims(n)[1])]
        if rows:
            grid_dims = _dims(rows[0])[0]
            rank, bounds = len(grid_dims), [d[1:] for d in grid_dims]
            kept = []
            for n in nests:
                dims, body = _dims(n)
                fits = (len(dims) >= rank and (len(dims) == rank) == _has_row(body)
                        and all(_same_value(a, b) for d, want in zip(dims[:rank], bounds)
                                for a, b in zip(d[1:], want)))
                if not fits:
                    break
                kept.append(n)
            while kept and not _legal(kept, rank):
                kept.pop()
            if len(kept) >= 2 and any(_has_row(_dims(n)[1]) for n in kept):
                last = ops.index(kept[-1])
                groups.append((kept, [h for h in hoisted if ops.index(h) < last]))
                i = last + 1
                continue
        i += 1
    return groups


class FusedRowKernel(_RowKernel):
    """One program per grid point running each nest of the run in order (see the module docstring)."""

    def __init__(self, fn, name: str, nests: list[scf.ParallelOp]):
        first_row = next(n for n in nests if _has_row(_dims(n)[1]))
        super().__init__(fn, name, first_row)
        self.nests = nests
        self.forward = {}
        self.dead: list[str] = []  # host names of temporaries the kernel keeps in registers (never allocated)

    def _drop_dead_stores(self) -> None:
        """A temporary made for these nests alone whose every load became a register: its stores go, and
        the host does not allocate it."""
        for m in list(self.memrefs):
            if not isinstance(m.owner, memref.AllocOp):
                continue
            if not all(isinstance(u.operation, memref.DeallocOp) or any(n.is_ancestor(u.operation) for n in self.nests)
                       for u in m.uses):
                continue
            pointer = f"p_{self.fn.names[m]}"
            if any(line.split(" = ", 1)[-1].startswith(f"tl.load({pointer} ") for line in self.lines):
                continue
            self.lines = [line for line in self.lines if not line.startswith(f"tl.store({pointer} ")]
            self.memrefs.remove(m)
            self.dead.append(self.fn.names[m])

    def render(self) -> str:
        rank = len(self.grid)
        lines = ["pid = tl.program_id(0)"]
        for d in reversed(range(rank)):
            lines += [f"g{d} = pid % gt{d}", f"pid = pid // gt{d}"]
        self.lines = []
        where = self.nests[0]
        exprs = [f"({self.ref(lb, where)} + g{d} * {self.ref(step, where)})"
                 for d, (_, lb, _, step) in enumerate(self.grid)]
        for nest in self.nests:
            dims, body = _dims(nest)
            for (iv, *_), expr in zip(dims[:rank], exprs):
                self.local[iv] = expr
            if len(dims) > rank:  # a pointwise nest: its other dimensions are a row
                self.open_row([(lb, ub, step, iv, nest) for iv, lb, ub, step in dims[rank:]], one_point_scalar=True)
            for op in body.ops:
                if not isinstance(op, (scf.ReduceOp, scf.YieldOp)):
                    self.statement(op)
            self.mask = "mask"
        self._drop_dead_stores()
        params, loads = self.captured_params()
        params += [f"gt{d}" for d in range(rank)]
        params += [f"{name}_t{d}" for name, levels in self.rows for d in range(len(levels))]
        params += [f"BLOCK_{name.upper()}: tl.constexpr" for name, _ in self.rows]
        head = ["@triton.jit", f"def {self.name}({', '.join(params)}):"]
        return "\n".join(head + [f"    {line}" for line in loads + lines + self.lines]) + "\n"

