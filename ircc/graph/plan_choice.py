"""The plan a count runs on a data graph, as the learned cost model ranks them (``cost="learned"``).

A count can run any of ``plan.PLAN_SKIPS``' plans: the planner with optional passes left out. Which is
fastest depends on the data graph as well as the pattern: orienting a clique pays on a skewed graph and
costs a second degree ordering on a small one; hoisting set algebra out of a loop pays only when the loop
runs often. The shipped model was trained on these plans' times (the ``graph`` family), so:

* the default plan is compiled as usual;
* on the first call with a data graph of ``MIN_EDGES`` edges or more, each distinct plan's IR is built by
  the planner and lowering passes only, on one thread (what the family timed), and its features kept (in the
  compile cache too: about 0.5 s per pattern the first time, a file read after);
* then, per data graph, its figures (``variants.graph_figures``: sizes and degree moments) and each plan's
  features go to the model, and the plan it ranks fastest runs, compiled the first time it is chosen (with
  the kernel's own options). ``kernel.stats["plan"]`` says which ran.

A smaller graph runs the default plan: its count takes milliseconds, which the planning would not repay
(and the default is the best plan on most inputs: benchmarks/results/costmodel.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ircc.graph.plan import PLAN_SKIPS, build_query, plan_knobs, plan_name


#: the data graphs a plan is chosen for: this many edges or more
MIN_EDGES = 20_000
_CACHE_FORMAT = "graph-plan-candidates-1"


class PlanChoice:
    def __init__(self, names: list[str], skips: list[tuple[str, ...]], features: list[dict[str, float]]):
        self.names, self.skips, self.features = names, skips, features
        self._memo: dict[tuple, int] = {}

    @classmethod
    def for_query(cls, q: Any, use_cache: bool = True) -> PlanChoice | None:
        """The candidates for query ``q``, or None when no shipped model ranks graph plans or every plan
        is the same IR; kept in the compile cache (``use_cache``)."""
        from ircc import env
        from ircc.cache import CompileCache, cache_key
        from ircc.costmodel import learned
        from ircc.ir.text import print_module

        m = learned.model()
        if m is None or not m.covers("graph"):
            return None
        use_cache = use_cache and not env.cache_disabled()
        key = cache_key(print_module(build_query(q.pattern, q.induced, q.op, q.limit)), _CACHE_FORMAT, {}, "")
        payload = CompileCache().load(key) if use_cache else None
        if payload is None:
            payload = cls._build(q)
            if use_cache:
                CompileCache().store(key, payload)
        if len(payload["names"]) < 2:
            return None
        return cls(payload["names"], [tuple(s) for s in payload["skips"]], payload["features"])

    @staticmethod
    def _build(q: Any) -> dict[str, Any]:
        from ircc.costmodel.features import ir_features
        from ircc.graph.query import default_pipeline
        from ircc.ir.text import print_module
        from ircc.options import Options
        from ircc.passes.pipeline import Pipeline, parse_pipeline_spec

        names, skips, features, seen = [], [], [], set()
        opts = Options(cost="static", verify=False)
        for skip in PLAN_SKIPS:
            module = build_query(q.pattern, q.induced, q.op, q.limit)
            Pipeline(parse_pipeline_spec(default_pipeline(1, "llvm", skip)), opts).run(module, record=False)
            text = print_module(module)
            if text in seen:  # a skipped pass that changed nothing for this pattern
                continue
            seen.add(text)
            names.append(plan_name(skip))
            skips.append(skip)
            features.append(ir_features(module))
        return {"names": names, "skips": skips, "features": features}

    def choose(self, G: Any) -> int:
        """The index of the plan the model ranks fastest on data graph ``G``."""
        from ircc.costmodel import learned
        from ircc.costmodel.variants import graph_figures

        figures = graph_figures(G)
        key = tuple(figures.values())
        if key not in self._memo:
            m = learned.model()
            scores = m.scores("graph", figures, self.features, [plan_knobs(s) for s in self.skips])
            self._memo[key] = int(np.argmin(scores))
        return self._memo[key]


__all__ = ["MIN_EDGES", "PLAN_SKIPS", "PlanChoice"]
