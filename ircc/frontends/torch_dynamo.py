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

import logging
from typing import Any

import torch

from ircc.errors import IrccError

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
    if not all(isinstance(t, torch.Tensor) for t in example_inputs) or any(
            not isinstance(d, int) for t in example_inputs for d in t.shape):
        log.warning("ircc: this graph has symbolic sizes (dynamic shapes); compiling it for each size it is "
                    "called with")
        REPORTS.append({"mode": "per-shape", "kernels": 0, "eager_ops": [], "reason": "dynamic shapes"})
        return _PerShape(gm, options)
    return _compile_graph(gm, example_inputs, options)


def _compile_graph(gm, example_inputs: list, options: dict[str, Any]):
    from ircc.frontends.torch import compile_torch
    from ircc.frontends.torch_import import export_aten, handles

    tuple_out = _returns_tuple(gm)
    try:
        exported = export_aten(gm, tuple(example_inputs))
    except IrccError as err:  # it says what torch could not trace
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
            log.warning(f"ircc: {err}; partitioning the graph")
        else:
            REPORTS.append({"mode": "whole", "kernels": 1, "eager_ops": [], "reason": ""})
            return _Outputs(kernel, tuple_out)
    return _partitioned(aten, example_inputs, unsupported, options, tuple_out)


def _returns_tuple(gm) -> bool:
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


class _PerShape:
    """A graph with symbolic sizes: one kernel per concrete input shape, compiled on first use (the sizes
    Dynamo passes as integer arguments are fixed in it)."""

    def __init__(self, gm, options: dict[str, Any]):
        self.gm, self.options, self.kernels = gm, options, {}

    def __call__(self, *args):
        key = tuple(tuple(a.shape) if isinstance(a, torch.Tensor) else a for a in args)
        fn = self.kernels.get(key)
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        if fn is None:
            template = [None if isinstance(a, torch.Tensor) else a for a in args]
            fn = self.kernels[key] = _compile_graph(_Bound(self.gm, template), tensors, self.options)
        return fn(*tensors)


class _Bound(torch.nn.Module):
    """``gm`` with its integer (size) arguments fixed: a function of its tensors only."""

    def __init__(self, gm, template: list):
        super().__init__()
        self.gm, self.template = gm, template

    def forward(self, *tensors):
        it = iter(tensors)
        return self.gm(*[next(it) if t is None else t for t in self.template])
