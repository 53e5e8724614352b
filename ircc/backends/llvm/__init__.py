"""The ``llvm`` target: loop-level IR -> LLVM IR (llvmlite's IR builder) -> O3 -> machine code (MCJIT).

Why straight to llvmlite's IR builder rather than through xDSL's ``llvm`` dialect and its exporter:
xDSL has no func/arith/math/scf -> llvm conversions (they would be ours either way), building and
verifying an intermediate ``llvm``-dialect module costs 20-90 us per op per pass in xDSL, and the
exporter would then rebuild the same instructions with llvmlite. Lowering each op once, directly,
keeps compiles well under a second for ~10^4 ops. The LLVM IR is still a visible stage
(``kernel.sources["llvm"]`` / ``-o out.ll``).
"""

from __future__ import annotations

import time
from typing import Any

from xdsl.dialects.builtin import ModuleOp

from ircc.backends.base import Artifact, Backend, Signature, public_functions
from ircc.backends.llvm.calling import PackedCaller, python_function
from ircc.backends.llvm.codegen import JitModule, external_names, lower_module, optimize, target_machine
from ircc.costmodel import llvm_loop_unroll, llvm_loop_vectorize


class LLVMBackend(Backend):
    name = "llvm"
    description = "native code through LLVM (llvmlite MCJIT), parallel loops on native threads"
    lowering = ""
    cacheable = True

    def emit(self, module: ModuleOp, options: Any) -> Artifact:
        stats: dict[str, float] = {}
        t0 = time.perf_counter()
        llmod, fastcall = lower_module(module, threads=options.threads, fastmath=options.fastmath,
                                       python_wrappers=True)
        source = str(llmod)
        t1 = time.perf_counter()
        loop_vectorize = llvm_loop_vectorize(module)
        loop_unroll = llvm_loop_unroll(module)
        ref = optimize(source, loop_vectorize=loop_vectorize, loop_unroll=loop_unroll)
        optimized = str(ref)
        t2 = time.perf_counter()
        obj = target_machine().emit_object(ref)
        externals = external_names(ref)
        t3 = time.perf_counter()
        stats.update({"llvm-lower": t1 - t0, "llvm-opt": t2 - t1, "llvm-codegen": t3 - t2,
                      "llvm-loop-vectorize": loop_vectorize, "llvm-loop-unroll": loop_unroll})
        signatures = {op.sym_name.data: Signature.of(op) for op in public_functions(module)}
        payload = {"object": obj, "externals": externals, "fastcall": fastcall, "source": source,
                   "optimized": optimized}
        artifact = self.load(payload, signatures, options)
        artifact.stats["compile"] = stats
        return artifact

    def load(self, payload: dict[str, Any], signatures: dict[str, Signature], options: Any) -> Artifact:
        jit = JitModule.from_object(payload["object"], payload["externals"])
        entries: dict[str, Any] = {}
        for name, sig in signatures.items():
            if name in payload["fastcall"]:
                entries[name] = python_function(jit.address(f"_ircc_py_{name}"), name, jit)
            else:
                entries[name] = PackedCaller(jit.address(f"_ircc_packed_{name}"), sig, jit)
            if f"{name}:scalar" in payload["fastcall"]:
                entries[f"{name}:scalar"] = python_function(jit.address(f"_ircc_pyscalar_{name}"), name, jit)
        return Artifact(target="llvm", entries=entries, signatures=signatures, source=payload["source"],
                        sources={"llvm": payload["source"], "llvm-opt": payload["optimized"]}, payload=payload)
