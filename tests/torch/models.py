"""Small models for the torch tests (random weights; tiny shapes so the interpreter runs them quickly)."""

from __future__ import annotations

import math

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self, d_in: int = 6, hidden: int = 8, d_out: int = 3) -> None:
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(d_in, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, d_out)

    def forward(self, x):
        return self.l3(torch.relu(self.l2(nn.functional.gelu(self.l1(x)))))


class GPT2Block(nn.Module):
    """Pre-LN block: causal attention (an additive mask buffer), tanh-GELU MLP, residuals."""

    def __init__(self, d: int = 8, heads: int = 2, seq: int = 5) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.fc_out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.register_buffer("mask", torch.triu(torch.full((seq, seq), -1e9), diagonal=1))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = (z.reshape(b, t, self.heads, self.head_dim).transpose(1, 2)
                   for z in self.qkv(self.ln1(x)).split(d, dim=2))
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.head_dim) + self.mask, dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.fc_out(nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class DecodeAttention(nn.Module):
    """One decode step: the new token's query against a KV cache, with scaled_dot_product_attention."""

    def __init__(self, batch: int = 2, d: int = 8, heads: int = 2, cache_len: int = 6) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.q, self.out = nn.Linear(d, d), nn.Linear(d, d)
        self.register_buffer("k_cache", torch.randn(batch, heads, cache_len, self.head_dim))
        self.register_buffer("v_cache", torch.randn(batch, heads, cache_len, self.head_dim))

    def forward(self, x):
        b, t, d = x.shape
        q = self.q(x).reshape(b, t, self.heads, self.head_dim).transpose(1, 2)
        y = nn.functional.scaled_dot_product_attention(q, self.k_cache, self.v_cache)
        return self.out(y.transpose(1, 2).reshape(b, t, d))


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4)
        self.conv2, self.bn2 = nn.Conv2d(4, 6, 3, stride=1, padding=1), nn.BatchNorm2d(6)
        self.fc = nn.Linear(6 * 2 * 2, 3)
        with torch.no_grad():
            for bn in (self.bn1, self.bn2):  # statistics that are not the identity
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.5, 2.0)
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = nn.functional.avg_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(torch.flatten(x, 1))


def models() -> dict:
    """name -> (model in eval mode, example input), seeded."""
    torch.manual_seed(0)
    return {
        "mlp": (MLP().eval(), torch.randn(4, 6)),
        "gpt2_block": (GPT2Block().eval(), torch.randn(2, 5, 8)),
        "decode_attention": (DecodeAttention().eval(), torch.randn(2, 1, 8)),
        "cnn": (SmallCNN().eval(), torch.randn(2, 3, 8, 8)),
    }
