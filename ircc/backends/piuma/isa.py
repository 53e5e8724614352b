"""The simulated machine's instruction set: what ``codegen`` emits and ``sim`` executes.

A program is a table of instructions, one row each: ``(op, dst, a, b, c, aux, flags)`` (int64) plus a float
immediate. Every thread has ``REGISTERS`` integer and ``REGISTERS`` float registers; ``dst``/``a``/``b``/``c``
name registers of the file the opcode implies. Memory instructions name a buffer (``aux``) and an element
index register: the simulator maps ``buffer base + index * element size`` to the core whose DRAM slice or
scratchpad holds it. ``flags`` bit 0: round the float result to f32 (the machine computes f32 ops in f32).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

REGISTERS = 256
ROUND_F32 = 1

# control
END, JMP, BRZ, BARRIER, TID, NTHREADS, CORE = 0, 1, 2, 3, 4, 5, 6
# integers
IMM_I, MOV_I, ADD_I, SUB_I, MUL_I, DIV_I, REM_I, FLOORDIV_I, MIN_I, MAX_I = 10, 11, 12, 13, 14, 15, 16, 17, 18, 19
AND_I, OR_I, XOR_I, SHL_I, SHR_I, CMP_I, SEL_I, BITS_I = 20, 21, 22, 23, 24, 25, 26, 27
# floats
IMM_F, MOV_F, ADD_F, SUB_F, MUL_F, DIV_F, MIN_F, MAX_F, CMP_F, NEG_F = 30, 31, 32, 33, 34, 35, 36, 37, 38, 39
UNARY_F, POW_F, FMA_F, ATAN2_F, MINNUM_F, MAXNUM_F, SEL_F, REM_F, COPYSIGN_F = 40, 41, 42, 43, 44, 45, 46, 47, 48
# conversions
I2F, F2I, U2F = 50, 51, 52
# memory
LOAD_I, LOAD_F, STORE_I, STORE_F, ATOMIC_ADD_I, ATOMIC_ADD_F, CAS_I = 60, 61, 62, 63, 64, 65, 66
DMA_GATHER, DMA_ARGS, ALLOC_HEAP, DMA_SCATTER = 67, 68, 69, 70

MEMORY_OPS = frozenset({LOAD_I, LOAD_F, STORE_I, STORE_F, ATOMIC_ADD_I, ATOMIC_ADD_F, CAS_I, DMA_GATHER,
                        DMA_SCATTER})
#: DMA_GATHER d, a, b, c, aux: ``dst[d + k] = src[b + idx[c + k]]`` for ``k < a`` (registers: offsets, count),
#: ``aux`` the destination's buffer; the next row (DMA_ARGS) holds the source's buffer (aux) and the index's (b).
#: DMA_SCATTER, the same operands: ``dst[d + idx[c + k]] = src[b + k]``
#: BITS_I functions (aux): count trailing zeros, leading zeros, set bits -- of the ``b``-bit value (b = width)
BITS = {"cttz": 0, "ctlz": 1, "ctpop": 2}
NAMES = {v: k for k, v in globals().items() if k.isupper() and isinstance(v, int) and k not in
         ("REGISTERS", "ROUND_F32")}

#: UNARY_F function codes
UNARY = {"exp": 0, "log": 1, "sqrt": 2, "sin": 3, "cos": 4, "tan": 5, "tanh": 6, "erf": 7, "abs": 8, "floor": 9,
         "ceil": 10, "rsqrt": 11, "exp2": 12, "log2": 13, "log10": 14, "log1p": 15, "expm1": 16, "erfc": 17,
         "sinh": 18, "cosh": 19, "asin": 20, "acos": 21, "atan": 22, "asinh": 23, "acosh": 24, "atanh": 25,
         "round": 26, "trunc": 27}
#: CMP predicates (arith's cmpi / cmpf numbering, unordered float predicates included)
CMPI = ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"]
CMPF = ["false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord", "ueq", "ugt", "uge", "ult", "ule", "une", "uno",
        "true"]


@dataclass
class Program:
    """Instructions being assembled; ``labels`` are resolved by ``finish``."""

    rows: list[list[int]] = field(default_factory=list)
    floats: list[float] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    fixups: list[tuple[int, str]] = field(default_factory=list)  # (row, label) whose aux is a jump target
    labels: dict[str, int] = field(default_factory=dict)

    def emit(self, op: int, dst: int = 0, a: int = 0, b: int = 0, c: int = 0, aux: int = 0, flags: int = 0,
             imm: float = 0.0, comment: str = "") -> int:
        self.rows.append([op, dst, a, b, c, aux, flags])
        self.floats.append(imm)
        self.comments.append(comment)
        return len(self.rows) - 1

    def jump(self, op: int, label: str, a: int = 0, comment: str = "") -> int:
        row = self.emit(op, a=a, comment=comment)
        self.fixups.append((row, label))
        return row

    def label(self, name: str) -> None:
        self.labels[name] = len(self.rows)

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        for row, name in self.fixups:
            self.rows[row][5] = self.labels[name]
        code = np.array(self.rows, dtype=np.int64).reshape(-1, 7)
        return code, np.array(self.floats, dtype=np.float64)

    def listing(self) -> str:
        """The assembly text (the backend's ``kernel.source``)."""
        where = {v: k for k, v in self.labels.items()}
        out = []
        for i, (row, imm, note) in enumerate(zip(self.rows, self.floats, self.comments)):
            if i in where:
                out.append(f"{where[i]}:")
            op, dst, a, b, c, aux, flags = row
            text = f"  {i:5d}  {NAMES.get(op, op):<13} d={dst} a={a} b={b} c={c} aux={aux}"
            if op == IMM_F:
                text += f" imm={imm!r}"
            if flags:
                text += " f32"
            out.append(text + (f"   ; {note}" if note else ""))
        return "\n".join(out) + "\n"


def _sources() -> np.ndarray:
    """Per opcode, the register file each of ``a``, ``b``, ``c`` reads (0 none, 1 integer, 2 float): a thread
    issues an instruction once those registers hold their values (loads and atomics do not block the thread;
    their destination is ready when the data arrives)."""
    table = np.zeros((80, 3), dtype=np.int64)
    i, f = 1, 2
    for op in (MOV_I,):
        table[op] = (i, 0, 0)
    for op in (ADD_I, SUB_I, MUL_I, DIV_I, REM_I, FLOORDIV_I, MIN_I, MAX_I, AND_I, OR_I, XOR_I, SHL_I, SHR_I,
               CMP_I):
        table[op] = (i, i, 0)
    table[SEL_I] = (i, i, i)
    table[BITS_I] = (i, 0, 0)
    table[ALLOC_HEAP] = (i, 0, 0)
    table[DMA_GATHER] = (i, i, i)
    table[DMA_SCATTER] = (i, i, i)
    table[BRZ] = (i, 0, 0)
    for op in (MOV_F, NEG_F, UNARY_F):
        table[op] = (f, 0, 0)
    for op in (ADD_F, SUB_F, MUL_F, DIV_F, MIN_F, MAX_F, CMP_F, POW_F, ATAN2_F, MINNUM_F, MAXNUM_F, REM_F,
               COPYSIGN_F):
        table[op] = (f, f, 0)
    table[FMA_F] = (f, f, f)
    table[SEL_F] = (f, f, i)
    table[I2F] = table[U2F] = (i, 0, 0)
    table[F2I] = (f, 0, 0)
    table[LOAD_I] = table[LOAD_F] = (i, 0, 0)
    table[STORE_I] = table[ATOMIC_ADD_I] = (i, i, 0)
    table[STORE_F] = table[ATOMIC_ADD_F] = (i, f, 0)
    table[CAS_I] = (i, i, i)
    return table


SOURCES = _sources()
