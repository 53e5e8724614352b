"""``torch.compile(model, backend="ircc")``: the TorchDynamo backend (registered through torch's
``torch_dynamo_backends`` entry point, so the name works once ircc is installed).

Dynamo hands over each captured FX graph with example inputs (parameters arrive as inputs too, so
updated weights are seen). The backend:

* runs a graph that needs gradients in eager, with a log line saying so (ircc compiles inference);
* exports the graph to core ATen (``torch.export`` + ``run_decompositions``); if the importer handles every
  op, the whole graph becomes one ircc kernel;
* otherwise partitions it (``CapabilityBasedPartitioner``): the supported regions become ircc kernels, the
  ops the importer lacks run in eager between them, and a log line names them and where they came from.

Options come through ``torch.compile(..., options={"target": "llvm", "threads": 1, ...})``: any option
``ircc.compile`` takes. ``REPORTS`` keeps one dict per graph compiled (partitions, the ops left to eager),
which the tests read.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import torch

from ircc.errors import ArgumentError, IrccError

log = logging.getLogger("ircc")

#: one entry per graph this backend compiled: {"mode": "whole" | "partitioned" | "eager", "kernels": n,
#: "eager_ops": [ATen op names left to eager], "reason": why eager, where it was}
REPORTS: list[dict[str, Any]] = []


def ircc_backend(gm, example_inputs, **options: Any):
    """The backend function torch.compile calls with each graph Dynamo captured."""
    options = dict(options.pop("options", None) or {}, **options)
    options.setdefault("target", "cpu")
    example_inputs = list(example_inputs)
    if torch.is_grad_enabled() and any(isinstance(t, torch.Tensor) and t.requires_grad for t in example_inputs):
        log.warning("ircc: this graph needs gradients (an input or parameter requires grad and grad mode is on); "
                    "ircc compiles inference only, so it runs in eager. Wrap the call in torch.no_grad() or "
                    "torch.inference_mode() to compile it.")
        REPORTS.append({"mode": "eager", "kernels": 0, "eager_ops": [], "reason": "needs gradients"})
        return gm.forward
    symbolic = not all(isinstance(t, torch.Tensor) for t in example_inputs) or any(
        not isinstance(d, int) for t in example_inputs for d in t.shape)
    graph = _TensorGraph.of(gm, example_inputs, freeze=bool(options.get("freeze")))
    if graph is not None:
        keep = graph.keep
        fn = _compile_graph(graph.module, [example_inputs[i] for i in keep], options, graph.spec,
                            whole_only=symbolic)
        if fn is not None:
            REPORTS[-1]["symbolic"] = symbolic
            if graph.scalars or len(keep) != len(example_inputs):
                fn = _Baked(fn, gm, graph.scalars, keep)
            return _Sized(fn, _PerShape(gm, options)) if symbolic else fn
    log.warning("ircc: this graph has symbolic sizes ircc cannot keep symbolic (or ops it lacks); compiling it "
                "for each size it is called with")
    REPORTS.append({"mode": "per-shape", "kernels": 0, "eager_ops": [], "reason": "dynamic shapes"})
    return _PerShape(gm, options)


class _Sized:
    """A kernel with symbolic sizes export may have specialized some of: a call at sizes the kernel refuses
    (an ``ArgumentError`` before it runs) compiles for those sizes instead."""

    def __init__(self, fn, per_shape):
        self.fn, self.per_shape = fn, per_shape

    def __call__(self, *args):
        try:
            return self.fn(*args)
        except ArgumentError:
            return self.per_shape(*args)


class _Baked:
    """The kernel of a graph whose scalar arguments were baked in and size arguments dropped: takes
    Dynamo's arguments, checks the baked scalars (a changed one runs the graph as captured)."""

    def __init__(self, fn, gm, scalars: dict[int, float], keep: list[int]):
        self.fn, self.gm, self.scalars, self.keep = fn, gm, scalars, keep

    def __call__(self, *args):
        for i, value in self.scalars.items():
            if args[i].item() != value:
                return self.gm(*args)
        return self.fn(*(args[i] for i in self.keep))


def _compile_graph(gm, example_inputs: list, options: dict[str, Any], dynamic_shapes: Any = None,
                   whole_only: bool = False):
    """``gm`` as one ircc kernel, or partitioned around the ops ircc lacks (``whole_only``: None then)."""
    from ircc.frontends.torch import compile_torch
    from ircc.frontends.torch_import import export_aten, handles

    tuple_out = _returns_tuple(gm)
    try:
        exported = export_aten(gm, tuple(example_inputs), dynamic_shapes=dynamic_shapes)
    except IrccError as err:  # it says what torch could not trace
        if whole_only:
            return None
        log.warning(f"ircc: {err}; the graph runs in eager")
        REPORTS.append({"mode": "eager", "kernels": 0, "eager_ops": [], "reason": f"export failed: {err}"})
        return gm.forward
    aten = exported.module()
    unsupported = [n for n in aten.graph.nodes if not handles(n)]
    if not unsupported:
        try:
            kernel = compile_torch(gm, example_inputs, exported=exported, **options)  # not exported twice
        except IrccError as err:
            if "unsupported ATen op" not in str(err):
                raise
            if whole_only:
                return None
            log.warning(f"ircc: {err}; partitioning the graph")
        else:
            REPORTS.append({"mode": "whole", "kernels": 1, "eager_ops": [], "reason": ""})
            return _Outputs(kernel, tuple_out)
    if whole_only:
        return None
    return _partitioned(aten, example_inputs, unsupported, options, tuple_out)


def _returns_tuple(gm) -> bool:
    while not hasattr(gm, "graph"):  # a wrapper (_Bound, _TensorGraph) of Dynamo's graph
        gm = gm.gm
    out = next(n for n in gm.graph.nodes if n.op == "output")
    return isinstance(out.args[0], (tuple, list))


class _Outputs:
    """The kernel's results in the structure Dynamo's graph returns (a tuple)."""

    def __init__(self, kernel, tuple_out: bool):
        self.kernel, self.tuple_out = kernel, tuple_out

    def __call__(self, *args):
        out = self.kernel(*args)
        if self.tuple_out and not isinstance(out, tuple):
            return (out,)
        return out


def _partitioned(aten, example_inputs: list, unsupported: list, options: dict[str, Any], tuple_out: bool):
    """Supported regions of ``aten`` as ircc kernels; the rest of the graph runs in eager."""
    from torch.fx.passes.infra.partitioner import CapabilityBasedPartitioner
    from torch.fx.passes.operator_support import OperatorSupport

    from ircc.frontends.torch import compile_torch
    from ircc.frontends.torch_import import _op_names, _user_line, handles

    class Support(OperatorSupport):
        def is_node_supported(self, submodules, node) -> bool:
            return node.op == "call_function" and handles(node)

    partitioner = CapabilityBasedPartitioner(aten, Support(), allows_single_node_partition=True)
    fused = partitioner.partition_and_fuse()
    kernels = 0
    for node in list(fused.graph.nodes):
        sub = getattr(fused, node.target, None) if node.op == "call_module" else None
        if not isinstance(sub, torch.fx.GraphModule) or not node.target.startswith("fused_"):
            continue
        inputs = [_example(a) for a in node.args]
        try:
            kernel = compile_torch(sub, inputs, **options)
        except IrccError as err:
            log.warning(f"ircc: a partition could not be compiled ({err}); it runs in eager")
            continue
        setattr(fused, node.target, _KernelModule(kernel, _returns_tuple(sub)))
        kernels += 1
    fused.recompile()
    where = sorted({f"{_op_names(n)[1]} at {_user_line(n, '')}" for n in unsupported})
    log.warning(f"ircc: {len(unsupported)} op(s) run in eager, the rest in {kernels} ircc kernel(s); "
                f"unsupported: {'; '.join(where)}")
    REPORTS.append({"mode": "partitioned", "kernels": kernels,
                    "eager_ops": sorted({_op_names(n)[1] for n in unsupported}), "reason": "; ".join(where)})
    run = fused.forward

    def call(*args):
        out = run(*args)
        return tuple(out) if tuple_out and isinstance(out, list) else out

    return call


def _example(node):
    val = node.meta["val"]
    return torch.zeros(tuple(val.shape), dtype=val.dtype)


class _KernelModule(torch.nn.Module):
    """Stands in for a fused submodule: calls the ircc kernel (the parent graph calls it like a module)."""

    def __init__(self, kernel, tuple_out: bool):
        super().__init__()
        self.kernel, self.tuple_out = kernel, tuple_out

    def forward(self, *args):
        out = self.kernel(*args)
        return (out,) if self.tuple_out and not isinstance(out, tuple) else out


class _TensorGraph:
    """Dynamo's graph as a function of its tensors only (``module``): each size argument Dynamo passes is
    replaced by ``aten.sym_size`` of a tensor dimension that has it, so ``torch.export`` sees it as that
    symbolic dimension (``spec``, torch.export's ``dynamic_shapes``; None where every size is static), and
    float arguments read with ``.item()`` are baked in (``scalars``)."""

    def __init__(self, module, spec: tuple, scalars: dict[int, float]):
        self.module, self.spec = module, spec
        self.scalars = scalars  # argument position -> the value of a 0-d tensor read only by .item(), baked in
        self.keep: list[int] = []  # the argument positions the kernel takes (the tensors not baked in)

    @classmethod
    def of(cls, gm, example_inputs: list, fixed: bool = False, freeze: bool = False):
        """None where a size argument is no tensor's dimension, or a tensor's size is an expression.
        ``fixed``: every size as it is in ``example_inputs`` (the size arguments become constants).
        ``freeze``: the module's parameters and buffers become buffers of the graph module (torch.export
        then sees them as module state, which ``freeze=True`` folds in as constants)."""
        graph = copy.deepcopy(gm.graph)
        placeholders = [n for n in graph.nodes if n.op == "placeholder"]
        if len(placeholders) != len(example_inputs):
            return None
        where: dict[Any, tuple[Any, int]] = {}  # symbol -> (tensor placeholder, dimension)
        spec = []
        scalars = _bake_scalars(graph, placeholders, example_inputs)
        frozen = _state_as_buffers(gm, graph, placeholders, example_inputs) if freeze else set()
        for i, (n, ex) in enumerate(zip(placeholders, example_inputs)):
            if not isinstance(ex, torch.Tensor) or i in scalars or i in frozen:
                continue
            val = n.meta.get("example_value")
            if val is None:
                return None
            dims = {}
            for k, d in enumerate(val.shape):
                if fixed or isinstance(d, int) or d.node.expr.is_number:
                    continue
                if not d.node.expr.is_Symbol:
                    return None
                where.setdefault(d.node.expr, (n, k))
                dims[k] = d.node.expr
            spec.append(dims)
        last = placeholders[-1]
        for n, ex in zip(placeholders, example_inputs):
            if isinstance(ex, torch.Tensor):
                continue
            if fixed:
                _replace_with(n, ex)
                graph.erase_node(n)
                continue
            expr = getattr(getattr(n.meta.get("example_value"), "node", None), "expr", None)
            if expr is None or expr not in where:
                return None
            with graph.inserting_after(last):
                size = graph.call_function(torch.ops.aten.sym_size.int, where[expr])
            n.replace_all_uses_with(size)
            graph.erase_node(n)
        # Dim.AUTO: export keeps a size symbolic where the model allows, and specializes it where not (a
        # spatial size a reshape fixes); a call at another such size then compiles for it (_Sized)
        spec_t = tuple({k: torch.export.Dim.AUTO for k in dims} or None for dims in spec) if where else None
        sized = cls(torch.fx.GraphModule(gm, graph), spec_t, scalars)
        sized.keep = [i for i, ex in enumerate(example_inputs)
                      if isinstance(ex, torch.Tensor) and i not in scalars and i not in frozen]
        return sized


def _state_as_buffers(gm, graph, placeholders: list, example_inputs: list) -> set[int]:
    """The placeholders of the module's own tensors (Dynamo's source ``L['self']...``) read from buffers of
    ``gm`` instead (``get_attr``); their argument positions."""
    frozen = set()
    for i, (n, ex) in enumerate(zip(placeholders, example_inputs)):
        source = getattr(n.meta.get("grapharg"), "source", None)
        if not isinstance(ex, torch.Tensor) or source is None or not source.name.startswith("L['self']"):
            continue
        name = f"_ircc_frozen_{i}"
        gm.register_buffer(name, ex.detach())
        with graph.inserting_before(n):
            attr = graph.get_attr(name)
        n.replace_all_uses_with(attr)
        graph.erase_node(n)
        frozen.add(i)
    return frozen


def _bake_scalars(graph, placeholders: list, example_inputs: list) -> dict[int, float]:
    """Under ``dynamic=True`` Dynamo passes float attributes (a norm's ``eps``) as 0-d tensors the graph reads
    with ``.item()``, which torch.export cannot trace; their example values go into the graph as constants
    (the caller checks them at every call)."""
    baked = {}
    for i, (n, ex) in enumerate(zip(placeholders, example_inputs)):
        if not isinstance(ex, torch.Tensor) or ex.dim() != 0 or not n.users:
            continue
        items = list(n.users)
        if not all(u.op == "call_method" and u.target == "item" for u in items):
            continue
        value = ex.item()
        for item in items:
            _replace_with(item, value)
            graph.erase_node(item)
        graph.erase_node(n)
        baked[i] = value
    return baked


def _replace_with(node, value) -> None:
    """Every use of ``node`` as the constant ``value``."""
    for user in list(node.users):
        user.args = torch.fx.node.map_arg(user.args, lambda a: value if a is node else a)
        user.kwargs = torch.fx.node.map_arg(user.kwargs, lambda a: value if a is node else a)


class _PerShape:
    """A graph with symbolic sizes ircc cannot keep symbolic: one kernel per concrete input shape, compiled
    on first use (the sizes Dynamo passes as integer arguments are constants in it)."""

    def __init__(self, gm, options: dict[str, Any]):
        self.gm, self.options, self.kernels = gm, options, {}

    def __call__(self, *args):
        key = tuple(tuple(a.shape) if isinstance(a, torch.Tensor) else a for a in args)
        fn = self.kernels.get(key)
        if fn is None:
            graph = _TensorGraph.of(self.gm, list(args), fixed=True, freeze=bool(self.options.get("freeze")))
            if graph is None:
                fn = self.gm
            else:
                kernel = _compile_graph(graph.module, [args[i] for i in graph.keep], self.options)
                fn = _Baked(kernel, self.gm, graph.scalars, graph.keep)
            self.kernels[key] = fn
        return fn(*args)
