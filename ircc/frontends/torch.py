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

DEFAULT_PIPELINE = "lower-matmul,convert-linalg-to-loops,lower-affine,canonicalize,cse"


def compile_torch(model: Any, example_inputs: Any, *, target: str = "cpu", **options: Any):
    import torch

    from ircc.driver import compile_module
    from ircc.frontends.torch_import import build_module

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
    module, layout = build_module(model, example_inputs, origin=origin)
    frontend_s = time.perf_counter() - t0
    pristine = module.clone()
    state = dict(model.named_parameters())
    state.update(dict(model.named_buffers()))
    shapes = [tuple(t.shape) for t in example_inputs]
    dtype = example_inputs[0].dtype if example_inputs else torch.float32

    def wrap(entry):
        def call(*inputs: Any) -> Any:
            if len(inputs) != layout.n_inputs:
                raise ArgumentError(f"the model takes {layout.n_inputs} input(s), got {len(inputs)}")
            arrays = [state[name].detach().contiguous().numpy() for name in layout.state]
            for k, (t, shape) in enumerate(zip(inputs, shapes)):
                if not isinstance(t, torch.Tensor) or tuple(t.shape) != shape or t.dtype != dtype:
                    got = f"{tuple(t.shape)} {t.dtype}" if isinstance(t, torch.Tensor) else type(t).__name__
                    raise ArgumentError(f"input {k}: expected a {dtype} tensor of shape {shape} (the example "
                                        f"input's), got {got}; compile again for other shapes")
                arrays.append(t.detach().contiguous().numpy())
            outs = [torch.empty(shape, dtype=out_dtype) for shape, out_dtype in layout.outputs]
            entry(*arrays, *[o.numpy() for o in outs])
            return outs[0] if len(outs) == 1 else tuple(outs)

        return call

    return compile_module(module, pristine.clone, DEFAULT_PIPELINE, "torch", entry="forward", target=target,
                          wrap=wrap, frontend_s=frontend_s, **options)


def _function_module(fn):
    """A function of tensors as the ``nn.Module`` torch.export wants (its ``forward``). torch records no frame
    of a function called this way, so errors name the function's definition instead."""
    import torch

    return type("Function", (torch.nn.Module,), {"forward": staticmethod(fn)})()
