"""``ircc.compile(model, example_inputs=(...))`` for torch: export, lower, and a kernel on torch tensors.

The kernel takes the user inputs as torch tensors (CPU, contiguous, the example inputs' shapes and dtype),
passes the module's current parameters and buffers (so updated weights are seen), allocates the outputs
with ``torch.empty`` and returns them (one tensor, or a tuple). The IR is built by
``ircc.frontends.torch_import``; the default pipeline lowers ``linalg`` to loops.
"""

from __future__ import annotations

import time
from typing import Any

from ircc.errors import ArgumentError, IrccError
from ircc.frontends.torch_shapes import bind, evaluate

DEFAULT_PIPELINE = ("lower-nn,linalg-fuse-elementwise,lower-matmul,linalg-interchange,linalg-tile,"
                    "convert-linalg-to-parallel-loops,lower-affine,canonicalize,cse")


def compile_torch(model: Any, example_inputs: Any, *, target: str = "cpu", exported: Any = None,
                  dynamic: bool = False, dynamic_shapes: Any = None, freeze: bool = False, **options: Any):
    """``dynamic=True``: the first dimension of the inputs (the batch, where they share it) is symbolic, so
    one kernel serves every batch size; ``dynamic_shapes=``: torch.export's own spec, for other symbolic
    dimensions. ``freeze=True``: the parameters and buffers are folded in as constants (their values now;
    later updates are not seen). ``exported``: the model already exported (``export_aten``), as
    torch.compile's path has it."""
    import torch

    from ircc.driver import compile_module
    from ircc.frontends.torch_import import build_module, export_aten

    if example_inputs is None:
        raise IrccError("ircc.compile(torch model) needs example_inputs=(tensor, ...): the shapes to compile for")
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    example_inputs = tuple(example_inputs)
    origin = ""
    if not isinstance(model, torch.nn.Module):
        if not callable(model):
            raise IrccError(f"ircc.compile: example_inputs= is for torch models and functions, not a "
                            f"{type(model).__name__}")
        code = getattr(model, "__code__", None)
        if code is not None:
            origin = f'"{code.co_filename}", line {code.co_firstlineno}, in {code.co_name}'
        model = _function_module(model)
    t0 = time.perf_counter()
    if exported is None and (dynamic or dynamic_shapes is not None):
        if dynamic_shapes is None:
            example_inputs, dynamic_shapes = batch_dynamic(example_inputs)
        exported = export_aten(model, example_inputs, dynamic_shapes=dynamic_shapes)
    module, layout = build_module(model, example_inputs, origin=origin, exported=exported, freeze=freeze)
    frontend_s = time.perf_counter() - t0
    pristine = module.clone()
    shapes = [tuple(t.shape) for t in example_inputs]
    dtypes = [t.dtype for t in example_inputs]
    symbolic = bool(layout.symbols)
    state = _StateViews(model, layout.state)

    from ircc.backends.runtime import keep_freed_memory, shared_thread_pool, use_blas_threads
    from ircc.options import default_threads

    keep_freed_memory()
    threads = options.get("threads") or default_threads()
    blas_threads = [threads]  # set once compiled: 1 where the kernel's own loops take the threads

    as_tensors = target == "triton"  # its kernels take torch tensors (cuda ones on a GPU): no numpy views

    def wrap(entry):
        def call(*inputs: Any) -> Any:
            if len(inputs) != layout.n_inputs:
                raise ArgumentError(f"the model takes {layout.n_inputs} input(s), got {len(inputs)}")
            arrays = state.tensors() if as_tensors else state.arrays()
            for k, (t, shape, dtype) in enumerate(zip(inputs, shapes, dtypes)):
                if not isinstance(t, torch.Tensor) or t.dtype != dtype or (tuple(t.shape) != shape and not symbolic):
                    got = f"{tuple(t.shape)} {t.dtype}" if isinstance(t, torch.Tensor) else type(t).__name__
                    raise ArgumentError(f"input {k}: expected a {dtype} tensor of shape {shape} (the example "
                                        f"input's), got {got}; compile again for other shapes, or with "
                                        "dynamic=True for any batch size")
                arrays.append(t.detach() if as_tensors else _numpy(t))
            device = inputs[0].device if as_tensors and inputs else "cpu"
            if symbolic:
                sizes = bind(layout.symbols, layout.inputs, [tuple(t.shape) for t in inputs])
                outs = [torch.empty(tuple(evaluate(d, sizes) for d in dims), dtype=out_dtype, device=device)
                        for dims, out_dtype in layout.outputs]
            else:
                outs = [torch.empty(shape, dtype=out_dtype, device=device) for shape, out_dtype in layout.outputs]
            use_blas_threads(blas_threads[0])
            entry(*arrays, *(outs if as_tensors else [o.numpy() for o in outs]))
            return outs[0] if len(outs) == 1 else tuple(outs)

        return call

    pipeline = DEFAULT_PIPELINE
    if target == "triton":  # every parallel dimension a grid dimension; a matmul stays linalg.matmul, whose (i, j)
        # are parallel and whose k is a row (no BLAS call on the device); nn.attention stays whole (a template)
        pipeline = pipeline.replace("lower-nn,", "").replace("lower-matmul,", "").replace("linalg-tile,", "").replace(
            "convert-linalg-to-parallel-loops", "convert-linalg-to-parallel-loops{all-dims=true}").replace(
            "linalg-interchange", "linalg-interchange{parallel-outer=true}")
    kernel = compile_module(module, pristine.clone, pipeline, "torch", entry="forward", target=target,
                            wrap=wrap, frontend_s=frontend_s, **options)
    if "scf.parallel" in kernel.mlir(-1) and not shared_thread_pool():  # the loops have the threads: the BLAS
        blas_threads[0] = 1  # calls run on one (unless both share one pool)
    return kernel


def batch_dynamic(example_inputs: tuple) -> tuple[tuple, tuple]:
    """torch.export's ``dynamic_shapes`` for a symbolic batch: dimension 0 of every input whose first size is
    the first input's. torch specializes a size of 1 (it broadcasts), so a batch of 1 is traced as 2 (the
    example repeated); the kernel still takes any batch, 1 included."""
    import torch

    first = next((t for t in example_inputs if isinstance(t, torch.Tensor) and t.dim() > 0), None)
    if first is None:
        raise IrccError("dynamic=True makes the inputs' first dimension (the batch) symbolic, but no input has one")
    batch = first.shape[0]
    shared = [isinstance(t, torch.Tensor) and t.dim() > 0 and t.shape[0] == batch for t in example_inputs]
    if batch == 1:
        example_inputs = tuple(torch.cat([t, t]) if s else t for t, s in zip(example_inputs, shared))
    dim = torch.export.Dim("batch")
    return example_inputs, tuple({0: dim} if s else None for s in shared)


def _function_module(fn):
    """A function of tensors as the ``nn.Module`` torch.export wants (its ``forward``). torch records no frame
    of a function called this way, so errors name the function's definition instead."""
    import torch

    return type("Function", (torch.nn.Module,), {"forward": staticmethod(fn)})()


def _numpy(t) -> Any:
    """A C-contiguous numpy array of a CPU tensor's elements (a view where the tensor is contiguous)."""
    import numpy as np

    if t.device.type != "cpu":
        raise ArgumentError(f"ircc's CPU kernels take CPU tensors, got one on {t.device}; move it with .cpu()")
    a = t.detach().numpy()
    return a if t.is_contiguous() else np.ascontiguousarray(a)


class _StateViews:
    """The module's parameters and buffers as numpy arrays, looked up on the module at every call (so a
    replaced ``Parameter`` is seen) and viewed again only when the tensor or its storage changed (so an
    in-place update is seen through the same view)."""

    def __init__(self, model: Any, names: tuple[str, ...]):
        self.slots = []
        for name in names:
            prefix, _, attr = name.rpartition(".")
            self.slots.append((model.get_submodule(prefix) if prefix else model, attr, name))
        self.dtypes = [getattr(owner, attr).dtype for owner, attr, _ in self.slots]
        self.shapes = [tuple(getattr(owner, attr).shape) for owner, attr, _ in self.slots]
        self.cache: list[Any] = [None] * len(self.slots)

    def tensors(self) -> list[Any]:
        """The parameters and buffers as they are (for kernels that take tensors), checked as ``arrays``."""
        out = []
        for k, (owner, attr, name) in enumerate(self.slots):
            t = getattr(owner, attr)
            if t.dtype != self.dtypes[k] or tuple(t.shape) != self.shapes[k]:
                raise ArgumentError(f"{name} is now a {t.dtype} tensor of shape {tuple(t.shape)}; the kernel was "
                                    f"compiled for {self.dtypes[k]} {self.shapes[k]}: compile again")
            out.append(t.detach())
        return out

    def arrays(self) -> list[Any]:
        out = []
        for k, (owner, attr, name) in enumerate(self.slots):
            t = getattr(owner, attr)
            cached = self.cache[k]
            if cached is not None and cached[0] is t and cached[1] == t.data_ptr():
                out.append(cached[2])
                continue
            if t.dtype != self.dtypes[k] or tuple(t.shape) != self.shapes[k]:
                raise ArgumentError(f"{name} is now a {t.dtype} tensor of shape {tuple(t.shape)}; the kernel was "
                                    f"compiled for {self.dtypes[k]} {self.shapes[k]}: compile again")
            view = _numpy(t)
            if t.is_contiguous():
                self.cache[k] = (t, t.data_ptr(), view)
            out.append(view)
        return out
