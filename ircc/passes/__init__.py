"""Passes by name (a lazy registry, name -> pass class), as ``xdsl-opt -p`` spells them.

ircc's own passes live one per file in this package; xDSL's canonicalize, cse, dce and
licm are reused as they are.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.passes import ModulePass

from ircc.errors import UnknownNameError


def _xdsl(module: str, cls: str) -> Callable[[], type[ModulePass]]:
    def load() -> type[ModulePass]:
        import importlib

        return getattr(importlib.import_module(module), cls)

    return load


def _ircc(module: str, cls: str) -> Callable[[], type[ModulePass]]:
    return _xdsl(f"ircc.passes.{module}", cls)


#: pass name -> (loader, one-line summary). A test checks each key equals the class's ``name``.
PASSES: dict[str, tuple[Callable[[], type[ModulePass]], str]] = {
    "canonicalize": (_xdsl("xdsl.transforms.canonicalize", "CanonicalizePass"),
                     "xDSL: fold constants and apply each op's canonicalization patterns"),
    "cse": (_xdsl("xdsl.transforms.common_subexpression_elimination", "CommonSubexpressionElimination"),
            "xDSL: eliminate common subexpressions (pure ops)"),
    "dce": (_xdsl("xdsl.transforms.dead_code_elimination", "DeadCodeElimination"),
            "xDSL: remove ops whose results are unused and that have no effects"),
    "licm": (_xdsl("xdsl.transforms.loop_invariant_code_motion", "LoopInvariantCodeMotionPass"),
             "xDSL: hoist loop-invariant pure ops out of scf loops"),
    "expand-powi": (_ircc("expand_powi", "ExpandPowi"),
                    "rewrite x**n with a constant integer n as a chain of multiplications"),
    "eqsat": (_ircc("eqsat", "EqSat"),
              "equality saturation (egglog) on float arithmetic, DAG-aware extraction by the op-cost table "
              "(cost=static|learned|default: the compile's cost option); fastmath=true adds the rules that change "
              "rounding"),
    "convert-linalg-to-loops": (_xdsl("xdsl.transforms.convert_linalg_to_loops", "ConvertLinalgToLoopsPass"),
                                "xDSL: lower linalg ops on memrefs to scf.for loop nests"),
    "convert-linalg-to-parallel-loops": (_ircc("convert_linalg_to_parallel_loops", "ConvertLinalgToParallelLoops"),
                                         "linalg ops to loop nests, the outermost an scf.parallel where its dimension "
                                         "is parallel and the nest is big enough (min-work)"),
    "lower-affine": (_xdsl("xdsl.transforms.lower_affine", "LowerAffinePass"),
                     "xDSL: lower affine ops (affine.apply, affine.for, ...) to arith and scf"),
    "linalg-fuse-elementwise": (_ircc("linalg_fuse_elementwise", "LinalgFuseElementwise"),
                                "compute an elementwise linalg.generic inside the generics that read its buffer "
                                "(copies become indexing; chains and reductions one loop nest)"),
    "linalg-interchange": (_ircc("linalg_interchange", "LinalgInterchange"),
                           "move the loop with the most unit-stride accesses innermost in each linalg.generic "
                           "(a reduction only when its combiner may be reassociated)"),
    "linalg-tile": (_ircc("linalg_tile", "LinalgTile"),
                    "choose tile sizes for each linalg.generic's loops (cache blocking; convert-linalg-to-parallel-"
                    "loops tiles the nest): sizes=... forces them, else cost=static|learned|default decides"),
    "lower-matmul": (_ircc("lower_matmul", "LowerMatmul"),
                     "linalg.matmul to a BLAS call (transposes as flags) or an (i, k, j) loop nest, "
                     "per the cost estimate; strategy=auto|blas|loops, cost=static|learned|default (the compile's "
                     "cost option)"),
    "lower-nn": (_ircc("lower_nn", "LowerNN"),
                 "lower the nn dialect to loops: nn.attention as one scf.parallel nest over (batch, head, query row), "
                 "no score matrix in memory; scheme=passes|online"),
    "convert-scf-parallel-to-for": (_ircc("convert_scf_parallel_to_for", "ConvertScfParallelToFor"),
                                    "serialize scf.parallel into nested scf.for (no threads)"),
    "lower-piuma": (_ircc("lower_piuma", "LowerPiuma"),
                    "top-level parallel loops to piuma.launch regions (iterations cyclic over the simulated "
                    "machine's threads); other top-level loops run on thread 0"),
    "lower-sparse": (_ircc("lower_sparse", "LowerSparse"),
                     "lower the sparse dialect to loops over memrefs; algorithm=spa (SpGEMM strategy)"),
    "graph-order": (_ircc("graph_order", "GraphOrder"),
                    "graph patterns: the matching order, core (minimum vertex cover) first"),
    "graph-symmetry": (_ircc("graph_symmetry", "GraphSymmetry"),
                       "graph patterns: automorphisms and the symmetry-breaking conditions that count each "
                       "subgraph once"),
    "graph-plan": (_ircc("graph_plan", "GraphPlan"),
                   "graph patterns: graph.pattern to a loop nest over candidate sets (from scratch per level)"),
    "graph-reuse": (_ircc("graph_reuse", "GraphReuse"),
                    "graph plans: hoist and share set algebra, continue from the loop's set, bounds first"),
    "graph-count-last": (_ircc("graph_count_last", "GraphCountLast"),
                         "graph plans: a last loop that only counts becomes graph.size"),
    "graph-choose": (_ircc("graph_choose", "GraphChoose"),
                     "graph plans: trailing vertices from one set counted as C(|S|, r); two by inclusion-exclusion"),
    "graph-orient": (_ircc("graph_orient", "GraphOrient"),
                     "graph plans: plans reading only N(v) above v (cliques) run on the degree-ordered orientation"),
    "lower-graph": (_ircc("lower_graph", "LowerGraph"),
                    "lower graph-dialect plans to loops over memrefs (merges, galloping, dynamic root chunks)"),
}


def _plugin_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    from ircc.plugins import plugin_entries

    return plugin_entries("pass")


def pass_loaders() -> dict[str, Callable[[], type[ModulePass]]]:
    """name -> loader of the pass class, built-in and plugin passes together."""
    out = {name: loader for name, (loader, _) in PASSES.items()}
    out.update(_plugin_passes())
    return out


def pass_summaries() -> dict[str, str]:
    out = {name: summary for name, (_, summary) in PASSES.items()}
    out.update({name: "from a plugin" for name in _plugin_passes()})
    return dict(sorted(out.items()))


def get_pass_class(name: str) -> type[ModulePass]:
    loaders = pass_loaders()
    if name not in loaders:
        raise UnknownNameError("pass", name, list(loaders))
    return loaders[name]()
