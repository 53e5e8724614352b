"""``linalg-fuse-elementwise``: an elementwise ``linalg.generic`` is computed inside the generics that read
its result, and its buffer disappears.

The producer must be all-parallel with an identity output map, writing a ``memref.alloc`` that nothing else
writes; every reader must be a ``linalg.generic`` reading it as an input. Each read of the buffer becomes
the producer's own inputs, indexed through the composed maps (``producer input map o reader map``), and
the producer's body is cloned into the reader's in front of it. So a transpose, reshape, broadcast or
slice copy turns into indexing, and a chain of elementwise ops and the reduction after it run as one loop
nest with no intermediate stores::

    linalg.generic {(d0, d1) -> (d1, d0), (d0, d1) -> (d0, d1)} ins(%w) outs(%t)     { yield %a }
    linalg.generic {(d0, d1) -> (d0, d1), (d0, d1) -> (d0)}  ins(%t) outs(%s)  [reduction] { addf }
    // becomes
    linalg.generic {(d0, d1) -> (d1, d0), (d0, d1) -> (d0)}  ins(%w) outs(%s)  [reduction] { addf }

Legality: no op between the producer and the reader may write any of the producer's inputs (a write
through a ``memref.subview`` or ``memref.cast`` counts as a write of its source; a ``func.call`` writes its
memref arguments). Recomputation is bounded: a producer whose body calls ``math`` functions or has more than
``max-ops`` ops is fused only into a single reader that visits each of its elements once, and only a copy
or a single add / sub / mul / select is recomputed by a reader that visits its elements several times
(a matmul reading it, a broadcast).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import DYNAMIC_INDEX, AffineMapAttr, MemRefType, ModuleOp
from xdsl.dialects.linalg.ops import FillOp, GenericOp, IndexOp, MatmulOp, YieldOp
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap
from xdsl.passes import ModulePass

from ircc.ir.reshape import reshape_map, view_map, view_root


@dataclass(frozen=True)
class LinalgFuseElementwise(ModulePass):
    name = "linalg-fuse-elementwise"

    max_ops: int = 6  # a producer with more ops than this (or any math call) is not recomputed

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for fn in [o for o in op.walk() if isinstance(o, func.FuncOp) and o.body.blocks]:
            for block in [b for region in fn.regions for b in region.blocks]:
                while any(self._fuse_one(producer) for producer in list(block.ops)
                          if isinstance(producer, GenericOp) and producer.parent is block):
                    pass

    def _fuse_one(self, producer: GenericOp) -> bool:
        """Fuse ``producer`` into every reader of its buffer and erase it; False when it cannot be."""
        buffer = _fusable_output(producer)
        if buffer is None:
            return False
        found = _readers(buffer, producer)
        if found is None:
            return False
        readers, access, views = found
        block = producer.parent_block()
        if not readers or any(r.parent_block() is not block or not _after(producer, r) for r in readers):
            return False
        repeats = max(_reads_per_element(r, access, buffer) for r in readers)
        if _expensive(producer, self.max_ops) and (len(readers) != 1 or repeats != 1):
            return False
        if repeats > 1 and not _trivial(producer):  # a reader visiting each element many times recomputes it
            return False
        for reader in readers:
            if (_writes_between(producer, reader, list(producer.inputs))
                    or not _invertible(producer, reader, access)):
                return False
        for reader in readers:
            _fuse_into(producer, reader, access)
        producer.detach()
        producer.erase()
        for view in reversed(views):
            view.detach()
            view.erase()
        for use in list(buffer.uses):  # the dealloc
            use.operation.detach()
            use.operation.erase()
        owner = buffer.owner
        owner.detach()
        owner.erase()
        return True


def _readers(buffer: SSAValue, producer: GenericOp):
    """The generics reading ``buffer``, directly or through ``collapse_shape`` / ``expand_shape`` views:
    (readers, {value read: map from its indices to the buffer's}, the view ops), or None when something
    else uses it (a matmul, a call, a write, a view of another kind)."""
    readers: list[GenericOp] = []
    access: dict[SSAValue, AffineMap] = {buffer: AffineMap.identity(len(buffer.type.get_shape()))}
    views: list[Operation] = []
    work = [buffer]
    while work:
        value = work.pop()
        for use in value.uses:
            user = use.operation
            if user is producer or isinstance(user, memref.DeallocOp):
                continue
            if isinstance(user, (memref.CollapseShapeOp, memref.ExpandShapeOp)):
                view = user.results[0]  # the buffer's elements in another shape: map straight to the buffer
                src, out = tuple(buffer.type.get_shape()), tuple(view.type.get_shape())
                if DYNAMIC_INDEX not in src + out:
                    access[view] = reshape_map(src, out)
                else:  # a symbolic size: compose the views' own maps (None: one needs that size)
                    step = view_map(user)
                    if step is None:
                        return None
                    access[view] = access[value].compose(step)
                views.append(user)
                work.append(view)
                continue
            if not isinstance(user, GenericOp) or value in user.outputs:
                return None
            if user not in readers:
                readers.append(user)
    return readers, access, views


def _fusable_output(producer: GenericOp) -> SSAValue | None:
    if len(producer.outputs) != 1 or any(str(it.data) != "parallel" for it in producer.iterator_types.data):
        return None
    buffer = producer.outputs[0]
    maps = [m.data for m in producer.indexing_maps.data]
    if not isinstance(buffer.owner, memref.AllocOp) or maps[-1] != AffineMap.identity(maps[-1].num_dims):
        return None
    if producer.body.block.args[-1].uses:  # reads its own output
        return None
    if any(isinstance(o, IndexOp) for o in producer.body.block.ops):  # its loop indices mean nothing elsewhere
        return None
    if any(v is buffer for v in producer.inputs):
        return None
    return buffer


def _after(first: Operation, second: Operation) -> bool:
    block = first.parent_block()
    return block is not None and block.get_operation_index(first) < block.get_operation_index(second)


def _expensive(producer: GenericOp, max_ops: int) -> bool:
    ops = list(producer.body.block.ops)
    return len(ops) - 1 > max_ops or any(o.name.startswith("math.") for o in ops)


def _trivial(producer: GenericOp) -> bool:
    """A copy, or one addition / subtraction / multiplication / select: cheap enough to recompute per visit."""
    ops = [o for o in producer.body.block.ops if not isinstance(o, YieldOp)]
    cheap = ("arith.addf", "arith.subf", "arith.mulf", "arith.negf", "arith.select", "arith.constant")
    return sum(o.name != "arith.constant" for o in ops) <= 1 and all(o.name in cheap for o in ops)


def _reads_per_element(reader: GenericOp, access: dict[SSAValue, AffineMap], buffer: SSAValue) -> float:
    """How many times ``reader`` visits each element of ``buffer`` (1 for a same-shape elementwise read)."""
    trips = 1
    for s in reader.get_static_loop_ranges():
        trips *= max(s, 1)
    elements = 1
    for s in buffer.type.get_shape():
        elements *= max(s, 1)
    reads = sum(1 for v in reader.inputs if v in access)
    return reads * trips / elements


def _fused_maps(producer: GenericOp, reader: GenericOp, access: dict[SSAValue, AffineMap]) -> list[AffineMap]:
    """The reader's indexing maps after fusion: each read of the buffer (or a view of it) replaced by the
    producer's input maps composed with the view's map and the reader's."""
    p_maps = [m.data for m in producer.indexing_maps.data]
    out = []
    for value, m in zip(reader.operands, (m.data for m in reader.indexing_maps.data)):
        if value in access and value in reader.inputs:
            out += [p_map.compose(access[value].compose(m)) for p_map in p_maps[:-1]]
        else:
            out.append(m)
    return out


def _invertible(producer: GenericOp, reader: GenericOp, access: dict[SSAValue, AffineMap]) -> bool:
    """Whether every loop of the fused op still indexes some operand on its own (its trip count is read
    off that operand's shape; a loop left only inside floordiv / mod expressions would have none)."""
    maps = _fused_maps(producer, reader, access)
    seen = {e.position for m in maps for e in m.results if isinstance(e, AffineDimExpr)}
    return seen == set(range(maps[0].num_dims))


def _written(op: Operation) -> list[SSAValue]:
    """The buffers ``op`` may write (a call: every memref it is given)."""
    if isinstance(op, (GenericOp, FillOp, MatmulOp)):
        return list(op.outputs)
    if isinstance(op, memref.CopyOp):
        return [op.destination]
    if isinstance(op, memref.StoreOp):
        return [op.memref]
    if isinstance(op, func.CallOp):
        return [v for v in op.arguments if isinstance(v.type, MemRefType)]
    return []


def _writes_between(first: Operation, last: Operation, values: list[SSAValue]) -> bool:
    roots = {view_root(v) for v in values}
    op = first.next_op
    while op is not None and op is not last:
        if any(view_root(w) in roots for w in _written(op)):
            return True
        op = op.next_op
    return False


def _fuse_into(producer: GenericOp, reader: GenericOp, access: dict[SSAValue, AffineMap]) -> None:
    """Replace every read of the buffer (or a view of it) in ``reader`` by the producer's computation."""
    p_maps = [m.data for m in producer.indexing_maps.data]
    r_maps = [m.data for m in reader.indexing_maps.data]
    n_in = len(reader.inputs)
    inputs: list[SSAValue] = []
    maps: list[AffineMap] = []
    # where each old reader block argument comes from: ("arg", new index) or ("fused", occurrence)
    sources: list[tuple[str, int]] = []
    occurrences: list[list[int]] = []  # per fused read: the new indices of the producer's inputs
    for k, value in enumerate(reader.inputs):
        if value in access:
            indices = []
            for p_in, p_map in zip(producer.inputs, p_maps[:-1]):
                indices.append(len(inputs))
                inputs.append(p_in)
                maps.append(p_map.compose(access[value].compose(r_maps[k])))
            sources.append(("fused", len(occurrences)))
            occurrences.append(indices)
        else:
            sources.append(("arg", len(inputs)))
            inputs.append(value)
            maps.append(r_maps[k])
    outputs = list(reader.outputs)
    maps += r_maps[n_in:]
    old = reader.body.block
    body = Block(arg_types=[v.type.element_type for v in inputs] + [a.type for a in old.args[n_in:]])
    mapping: dict[SSAValue, SSAValue] = {}
    p_block = producer.body.block
    fused_values = []
    for indices in occurrences:
        p_map: dict[SSAValue, SSAValue] = {a: body.args[i] for a, i in zip(p_block.args, indices)}
        for inner in p_block.ops:
            if isinstance(inner, YieldOp):
                fused_values.append(p_map[inner.operands[0]] if inner.operands[0] in p_map else inner.operands[0])
                break
            clone = inner.clone(value_mapper=p_map)
            body.add_op(clone)
    for arg, (kind, where) in zip(old.args[:n_in], sources):
        mapping[arg] = body.args[where] if kind == "arg" else fused_values[where]
    for arg, new in zip(old.args[n_in:], body.args[len(inputs):]):
        mapping[arg] = new
    for inner in old.ops:
        body.add_op(inner.clone(value_mapper=mapping))
    fused = GenericOp(inputs, outputs, Region(body), [AffineMapAttr(m) for m in maps], reader.iterator_types)
    block = reader.parent_block()
    block.insert_op_before(fused, reader)
    reader.detach()
    reader.erase()
