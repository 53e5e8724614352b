"""Compile a PyTorch model with ircc, two ways, and look at what the compiler chose.

    python examples/torch_model.py
"""

import logging

import torch

import ircc

logging.basicConfig(level=logging.WARNING, format="%(message)s")  # ircc logs what runs in eager, and why

model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.GELU(), torch.nn.Linear(128, 10)).eval()
x = torch.randn(32, 64)

# 1. ircc.compile: a kernel on torch tensors that reads the model's current weights at every call
kernel = ircc.compile(model, example_inputs=(x,), target="llvm")
with torch.no_grad():
    print("max |ircc - eager|:", (kernel(x) - model(x)).abs().max().item())
print("stages:", [name for name, _ in kernel.stages])
lowered = kernel.mlir("lower-matmul")  # each linalg.matmul became a BLAS call or a loop nest
print("BLAS calls:", lowered.count("func.call @ircc_sgemm"),
      "| linalg.generic ops (loop nests):", lowered.count("linalg.generic"))

# 2. dynamic=True: the batch is a symbolic (?) dimension, so one kernel takes every batch size;
#    freeze=True folds the weights in as constants (later updates to them are not seen)
any_batch = ircc.compile(model, example_inputs=(x,), target="llvm", dynamic=True, freeze=True)
for batch in (1, 7, 100):
    xb = torch.randn(batch, 64)
    with torch.no_grad():
        print(f"batch {batch}: max |ircc - eager| =", (any_batch(xb) - model(xb)).abs().max().item())

# 3. torch.compile with the ircc backend: ops ircc lacks (cumsum here) run in eager around compiled parts
compiled = torch.compile(lambda t: torch.cumsum(model(t), dim=1), backend="ircc")
with torch.no_grad():
    print("max |torch.compile(backend='ircc') - eager|:",
          (compiled(x) - torch.cumsum(model(x), dim=1)).abs().max().item())
