"""The torch benchmark's models (``benchmarks/torch_models.py`` runs them): random weights, nothing downloaded.

Each ``make_<name>(batch)`` seeds torch (``torch.manual_seed(0)``), builds the model in ``eval()`` mode and returns
``(model, example_input)``, float32:

- ``mlp``: Linear(256, 512) -> GELU -> Linear(512, 512) -> ReLU -> Linear(512, 10) on ``(batch, 256)``;
- ``gpt2_block``: a GPT-2-style pre-LN transformer block (d_model 128, 4 heads, 32 tokens, MLP 4x with tanh-GELU),
  causal attention written by hand (``q @ k^T * scale`` plus a precomputed additive mask buffer of 0 / -1e9,
  softmax, ``@ v``), residuals, ``nn.LayerNorm``; on ``(batch, 32, 128)``;
- ``decode_attention``: one decode step of 8-head attention (head dim 32) against a KV cache of 1024 positions held
  as buffers sized for ``batch`` (used as they are: no cache update): q projection, ``scaled_dot_product_attention``,
  output projection; on ``(batch, 1, 256)``;
- ``cnn``: Conv2d(3, 16, 3, pad 1) -> BatchNorm2d -> ReLU -> MaxPool2d(2) -> Conv2d(16, 32, 3, pad 1) -> BatchNorm2d
  -> ReLU -> AvgPool2d(2) -> flatten -> Linear(2048, 10) on ``(batch, 3, 32, 32)``; the batch norms get random
  running statistics and affine parameters (fresh ones are the identity).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

Workload = tuple[nn.Module, torch.Tensor]


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(256, 512)
        self.act1 = nn.GELU()
        self.fc2 = nn.Linear(512, 512)
        self.act2 = nn.ReLU()
        self.fc3 = nn.Linear(512, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc3(self.act2(self.fc2(self.act1(self.fc1(x)))))


class GPT2Block(nn.Module):
    """Pre-LN: ``x + attn(ln1(x))``, then ``+ mlp(ln2(.))``; the causal mask is an additive buffer."""

    def __init__(self, d_model: int = 128, heads: int = 4, seq: int = 32) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, d_model // heads
        self.scale = 1.0 / math.sqrt(self.head_dim)
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.act = nn.GELU(approximate="tanh")
        self.fc_out = nn.Linear(4 * d_model, d_model)
        mask = torch.triu(torch.full((seq, seq), -1e9), diagonal=1)  # 0 on and below the diagonal
        self.register_buffer("causal_mask", mask)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q = q.reshape(b, t, self.heads, self.head_dim).transpose(1, 2)  # (b, heads, t, head_dim)
        k = k.reshape(b, t, self.heads, self.head_dim).transpose(1, 2)
        v = v.reshape(b, t, self.heads, self.head_dim).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) * self.scale + self.causal_mask
        y = torch.softmax(scores, dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.ln1(x))
        return x + self.fc_out(self.act(self.fc(self.ln2(x))))


class DecodeAttention(nn.Module):
    """One decode step: the new token's query against ``k_cache`` / ``v_cache`` (batch, heads, cache_len, head_dim)."""

    def __init__(self, batch: int, d_model: int = 256, heads: int = 8, cache_len: int = 1024) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, d_model // heads
        self.q = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)
        self.register_buffer("k_cache", torch.randn(batch, heads, cache_len, self.head_dim))
        self.register_buffer("v_cache", torch.randn(batch, heads, cache_len, self.head_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q = self.q(x).reshape(b, t, self.heads, self.head_dim).transpose(1, 2)  # (b, heads, 1, head_dim)
        y = torch.nn.functional.scaled_dot_product_attention(q, self.k_cache, self.v_cache)
        return self.out(y.transpose(1, 2).reshape(b, t, d))


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.AvgPool2d(2)
        self.fc = nn.Linear(32 * 8 * 8, 10)
        for bn in (self.bn1, self.bn2):  # non-trivial statistics, so a wrong batch norm shows in the error
            with torch.no_grad():
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.5, 2.0)
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool2(self.relu2(self.bn2(self.conv2(x))))
        return self.fc(torch.flatten(x, 1))


def make_mlp(batch: int) -> Workload:
    torch.manual_seed(0)
    return MLP().eval(), torch.randn(batch, 256)


def make_gpt2_block(batch: int) -> Workload:
    torch.manual_seed(0)
    return GPT2Block().eval(), torch.randn(batch, 32, 128)


def make_decode_attention(batch: int) -> Workload:
    torch.manual_seed(0)
    return DecodeAttention(batch).eval(), torch.randn(batch, 1, 256)


def make_cnn(batch: int) -> Workload:
    torch.manual_seed(0)
    return CNN().eval(), torch.randn(batch, 3, 32, 32)


MODELS: dict[str, Callable[[int], Workload]] = {
    "mlp": make_mlp,
    "gpt2_block": make_gpt2_block,
    "decode_attention": make_decode_attention,
    "cnn": make_cnn,
}
