"""Per-op costs fitted to whole kernels' measured times: the table ``cost="learned"`` gives the e-graph pass.

The static table (``op_costs.json``) times each op alone, in a loop of eight independent applications. In a
real kernel the ops overlap, share loads, and LLVM folds some into others; what extraction needs is what one
more op of a kind costs *there*. So the learned table is fitted, by bounded least squares, to the measured
times of the ``egraph`` and ``backend`` families' llvm kernels (pointwise sympy kernels, one loop over the
points):

    time = a + points * (b + sum over ops of count(op) * cost(op))        ns, every cost >= 0

with each kernel's residual relative to its time, and a prior pulling each op's cost towards the static
table's (an op the data rarely shows keeps about its static cost). An op the data never shows is scaled as
the seen ops of its kind were (cheap arithmetic, or math library calls).

``evaluate`` compares the two tables as the e-graph uses them: ranking a group's extractions by their summed
op costs, with folds that hold out whole expressions.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import numpy as np

#: the weight of the prior against the data (per op, relative to the static cost; the data rows are relative
#: residuals too)
PRIOR_WEIGHT = 0.5
FAMILIES = ("egraph", "backend")
#: the ops LLVM turns into a few instructions; the rest (math library calls) are the other kind
CHEAP = frozenset({"add", "sub", "mul", "div", "neg", "fma", "min", "max", "abs", "floor", "ceil"})


def op_keys() -> dict[str, str]:
    """MLIR op name -> the cost table's key (``arith.addf`` -> ``add``)."""
    from ircc.costmodel.measure import OPS

    return {text.split()[0]: key for key, text in OPS.items()}


def op_counts(tokens: str) -> Counter:
    """How many ops of each cost-table key the IR's tokens (``features.ir_tokens``) hold."""
    keys = op_keys()
    return Counter(keys[t] for t in tokens.split() if t in keys)


def usable(r: dict[str, Any], dtype: str = "f64") -> bool:
    """A record the fit can use: a pointwise llvm kernel of ``dtype``."""
    return (r["family"] in FAMILIES and not r.get("knobs", {}).get("numba") and "points" in r["inputs"]
            and f" {dtype}" in r["tokens"])


def fit(records: list[dict[str, Any]], static: dict[str, float], prior_weight: float = PRIOR_WEIGHT
        ) -> dict[str, float]:
    """The learned table (ns per element, same keys as ``static``) from ``records`` (``usable`` ones)."""
    from scipy.optimize import lsq_linear

    rows = [r for r in records if usable(r)]
    counts = [op_counts(r["tokens"]) for r in rows]
    seen = sorted({k for c in counts for k in c if k in static})
    if not rows or not seen:
        return dict(static)
    floor = static["add"]
    A, y = [], []
    for r, c in zip(rows, counts):
        t = r["time"] * 1e9
        p = r["inputs"]["points"]
        A.append([1.0 / t, p / t] + [p * c.get(k, 0) / t for k in seen])
        y.append(1.0)
    w = math.sqrt(prior_weight * len(rows) / len(seen))
    for i, k in enumerate(seen):
        scale = max(static[k], floor)
        row = [0.0] * (2 + len(seen))
        row[2 + i] = w / scale
        A.append(row)
        y.append(w * static[k] / scale)
    sol = lsq_linear(np.array(A), np.array(y), bounds=(0.0, np.inf)).x
    fitted = dict(zip(seen, (float(v) for v in sol[2:])))
    # an op the data never shows moves as the seen ones of its kind did (geometric mean of their ratios), so
    # that tan is not priced above the sin / cos it could replace only because the kernels never held one
    out = dict(static)
    for kind in (CHEAP, None):
        members = [k for k in static if (k in CHEAP) == (kind is not None)]
        ratios = [fitted[k] / static[k] for k in members if k in fitted and static[k] > 0 and fitted[k] > 0]
        scale = math.exp(sum(math.log(r) for r in ratios) / len(ratios)) if ratios else 1.0
        for k in members:
            out[k] = round(fitted.get(k, static[k] * scale), 4)
    return out


def table_score(table: dict[str, float], tokens: str) -> float:
    """An extraction's cost as the e-graph sums it: its ops' costs, each at least an add (``egraph_op_costs``)."""
    floor = table["add"]
    return sum(n * max(table[k], floor) for k, n in op_counts(tokens).items())


def evaluate(records: list[dict[str, Any]], static: dict[str, float], folds: int = 5) -> dict[str, dict]:
    """The static and the learned table ranking the ``egraph`` family's extractions, on held-out expressions
    (the learned table is fitted without the test fold's expressions)."""
    from ircc.costmodel.train import group_terms, summarise

    kernels = sorted({r["kernel"] for r in records if r["family"] == "egraph"})
    out: dict[str, list] = defaultdict(list)
    for f in range(folds):
        test = set(kernels[f::folds])
        learned = fit([r for r in records if r["kernel"] not in test], static)
        groups: dict[str, list] = defaultdict(list)
        for r in records:
            if r["family"] == "egraph" and r["kernel"] in test:
                groups[r["group"]].append(r)
        for rs in groups.values():
            for name, table in (("static", static), ("learned", learned)):
                out[name].append(group_terms(np.array([r["time"] for r in rs]),
                                             np.array([table_score(table, r["tokens"]) for r in rs]),
                                             np.array([r["noise"] for r in rs])))
    return {name: summarise(terms) for name, terms in out.items()}

