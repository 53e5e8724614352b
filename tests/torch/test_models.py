"""The four models of the torch issue through ``ircc.compile`` and ``torch.compile(backend="ircc")``,
against eager: the whole graph compiles (no partition left to eager), no ATen compute op runs during a
call, and a BLAS call appears exactly where the IR names one."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

import ircc  # noqa: E402
from ircc.frontends import torch_dynamo  # noqa: E402
from tests.torch.models import models  # noqa: E402

MODELS = models()
#: what a call may still dispatch to ATen: numpy views of the tensors passed in, and the output buffers
GLUE = {"aten.detach.default", "aten.empty.memory_format", "aten.lift_fresh.default", "aten.alias.default"}


class _AtenLog(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.ops: set[str] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.add(str(func))
        return func(*args, **(kwargs or {}))


def _close(got, want) -> None:
    assert got.shape == want.shape and got.dtype == want.dtype
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("target", ["interp", "llvm"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_matches_eager_without_aten_at_run_time(name: str, target: str) -> None:
    model, x = MODELS[name]
    kernel = ircc.compile(model, example_inputs=(x,), target=target, cache=False)
    with torch.no_grad():
        want = model(x)
        with _AtenLog() as log:
            got = kernel(x)
    _close(got, want)
    assert log.ops <= GLUE, f"ATen ops ran during the call: {sorted(log.ops - GLUE)}"
    lowered = kernel.mlir(-1)
    assert "linalg." not in lowered
    if target == "llvm":  # the LLVM module calls a BLAS only where the IR names the runtime function
        for fn in ("sgemm", "dgemm"):
            assert (f"ircc_rt_ircc_{fn}" in kernel.source) == (f"func.call @ircc_{fn}" in lowered)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_torch_compile_backend_compiles_the_whole_graph(name: str) -> None:
    model, x = MODELS[name]
    torch._dynamo.reset()
    compiled = torch.compile(model, backend="ircc", options={"target": "llvm", "cache": False})
    before = len(torch_dynamo.REPORTS)
    with torch.no_grad():
        _close(compiled(x), model(x))
    reports = torch_dynamo.REPORTS[before:]
    assert reports and all(r["mode"] == "whole" and not r["eager_ops"] for r in reports), reports
