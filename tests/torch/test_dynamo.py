"""``torch.compile(backend="ircc")``: registered by name, partitions around unsupported ops (with a log
line naming them and the user's line), and leaves graphs that need gradients to eager."""

from __future__ import annotations

import logging

import pytest

torch = pytest.importorskip("torch")

from ircc.frontends import torch_dynamo  # noqa: E402
from tests.torch.models import MLP  # noqa: E402


def _compile(fn):
    torch._dynamo.reset()
    return torch.compile(fn, backend="ircc", options={"target": "llvm", "cache": False})


def test_backend_is_registered_by_name() -> None:
    assert "ircc" in torch._dynamo.list_backends()


def test_unsupported_ops_run_in_eager_and_the_rest_compiles(caplog) -> None:
    def fn(a):
        return torch.cumsum(torch.relu(a) * 2.0, 0) + 1.0  # cumsum: not supported

    x = torch.randn(3, 4)
    before = len(torch_dynamo.REPORTS)
    with caplog.at_level(logging.WARNING, logger="ircc"), torch.no_grad():
        torch.testing.assert_close(_compile(fn)(x), fn(x))
    (report,) = torch_dynamo.REPORTS[before:]
    assert report["mode"] == "partitioned" and report["kernels"] == 2
    assert report["eager_ops"] == ["aten.cumsum.default"]
    assert "aten.cumsum.default at" in caplog.text and "test_dynamo.py" in caplog.text
    assert "return torch.cumsum(torch.relu(a) * 2.0, 0) + 1.0" in caplog.text


def test_a_graph_that_needs_gradients_runs_in_eager(caplog) -> None:
    torch.manual_seed(0)
    model, x = MLP(), torch.randn(4, 6)
    before = len(torch_dynamo.REPORTS)
    with caplog.at_level(logging.WARNING, logger="ircc"):
        out = _compile(model)(x)
    out.sum().backward()  # eager's autograd graph is there
    assert model.l1.weight.grad is not None
    assert [r["mode"] for r in torch_dynamo.REPORTS[before:]] == ["eager"]
    assert "needs gradients" in caplog.text and "torch.no_grad()" in caplog.text


def test_updated_weights_are_seen() -> None:
    torch.manual_seed(0)
    model, x = MLP().eval(), torch.randn(4, 6)
    compiled = _compile(model)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x))
        model.l2.weight.mul_(-1.0)
        torch.testing.assert_close(compiled(x), model(x))
