"""``eqsat``: equality saturation on float arithmetic (egglog), then the cheapest equivalent program.

For each block and float type, the ``arith`` / ``math`` ops become terms of one egglog e-graph (sharing kept: a
value used twice is one e-class; everything else is an opaque leaf). The rulesets in ``ircc.passes.eqsat_rules`` run
one iteration at a time until the e-graph saturates or a limit is hit (``node-limit`` e-nodes, ``iter-limit``
iterations, ``time-limit`` seconds of rewriting per block; an iteration whose growth would overshoot the node limit
is not started). The extractor (``eqsat_extract``) then picks, per e-class, the node that makes the whole program
cheapest, each shared subterm paid once, with the per-op costs of ``ircc.costmodel`` (``cost=static``: each op timed
alone; ``cost=learned``: fitted to whole kernels' times, ``ircc.costmodel.op_fit``; ``default``: the compile's
``cost`` option); the block is rebuilt with each e-class computed once, just before its first user. A block whose
best program is not cheaper than its current one is left as it is (counting duplicates that differ only by
commutation once: LLVM's CSE merges those itself). Fused multiply-adds are formed last, on the extracted program
alone, and kept only where they make it at least ``min-gain`` (default 10%) cheaper: under fastmath LLVM contracts
``a*b + c`` itself, and the table, which prices ops one by one, misses the latency and scheduling that decide such
small differences (measured: Robertson's kernel, 6% cheaper by the table with fmas, ran 7% slower).

With ``fastmath``, sum and product trees enter the e-graph reassociated in ranked order
(``eqsat_reassociate``: shared factors first, so ``factor`` works without associativity).

Without ``fastmath`` only the ``ieee`` ruleset runs (identities exact in IEEE arithmetic), so the result is
bit-identical; ``fastmath=true`` adds the rest. ``rules=a,b`` picks rulesets by name: ``ieee`` (exact);
``assoc``, ``factor``, ``fractions``, ``cancel``, ``powi``, ``sqrt``, ``horner``, ``explog``, ``trig``, ``fma``
(fastmath; see ``ircc/passes/eqsat_rules/``). ``fma`` runs last, on the extracted program alone.

```mlir
// ircc in.mlir -p 'eqsat{fastmath=true}'
%q = arith.divf %a, %d : f64
%r = arith.divf %b, %d : f64
// becomes (one division, two multiplications)
%0 = arith.divf %one, %d : f64
%q = arith.mulf %a, %0 : f64
%r = arith.mulf %b, %0 : f64
```

With a dump directory, ``NN-eqsat.report.txt`` holds, per block: the e-graph's size after every iteration,
why saturation stopped, the rules that matched and how often, the cost before and after; ``picture=true``
adds the e-graph as Graphviz ``NN-eqsat.blockK.dot`` (and ``.svg`` where the ``dot`` program exists).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.ir import Block
from xdsl.passes import ModulePass

from ircc.errors import IrccError
from ircc.passes.eqsat_bridge import BY_CLASS, ExprBlock, declarations, float_types, powi_chain
from ircc.passes.expand_powi import constant_exponent


@dataclass
class BlockReport:
    """What happened to one block (one float type) in the e-graph."""

    where: str
    ftype: str
    ops: int
    sizes: list[int] = field(default_factory=list)  # e-nodes after loading, then after each iteration
    stop: str = ""
    matches: Counter = field(default_factory=Counter)  # rule -> matches over all iterations
    cost_before: float = 0.0  # ns per point
    cost_after: float = 0.0
    egraph_s: float = 0.0
    extract_s: float = 0.0
    changed: bool = False
    best: float = 0.0  # the extracted program's cost (cost_after when it was used)

    def text(self) -> str:
        lines = [f"block {self.where} ({self.ftype}): {self.ops} ops",
                 f"  e-nodes per iteration: {' -> '.join(map(str, self.sizes))} ({self.stop})",
                 f"  cost: {self.cost_before:.3f} -> {self.best:.3f} ns per execution"
                 f"{'' if self.changed else ' (kept the original)'}",
                 f"  time: e-graph {self.egraph_s:.3f} s, extraction {self.extract_s:.3f} s"]
        if self.matches:
            lines.append("  rules matched (count  ruleset  rule):")
            for rule, n in self.matches.most_common():
                lines.append(f"    {n:7d}  {rule}")
        return "\n".join(lines)


def _short(rule: str) -> str:
    text = " ".join(rule.split())
    m = re.search(r":ruleset (\S+)", text)
    ruleset = m.group(1).rstrip(")") if m else "?"
    text = re.sub(r"\s*:ruleset \S+", "", text)
    return f"{ruleset:10s} {text}"


@dataclass(frozen=True)
class EqSat(ModulePass):
    """Equality saturation with egglog on float arithmetic; DAG-aware extraction by the op-cost table."""

    name = "eqsat"

    fastmath: bool = False
    rules: tuple[str, ...] = ()  # () or ("all",): every ruleset fastmath allows; ("none",): none
    node_limit: int = 20000
    iter_limit: int = 12
    time_limit: float | int = 1.0  # seconds; int too, so that time-limit=3 parses
    cost: str = "default"  # the per-op costs: static, learned, or the compile's cost option
    picture: bool = False
    min_gain: float | int = 0.1  # the least relative cost reduction for which fmas are formed

    def __post_init__(self) -> None:
        for name, value in (("node-limit", self.node_limit), ("iter-limit", self.iter_limit)):
            if value < 1:
                raise ValueError(f"{name}={value}: expected a positive integer")
        if self.time_limit <= 0:
            raise ValueError(f"time-limit={self.time_limit}: expected a positive number of seconds")
        if not 0 <= self.min_gain < 1:
            raise ValueError(f"min-gain={self.min_gain}: expected a fraction in [0, 1)")
        from ircc.costmodel import check_cost

        check_cost(self.cost)
        try:
            self.rulesets()
        except IrccError as err:
            raise ValueError(str(err).removeprefix("eqsat: ")) from None

    def rulesets(self) -> list[str]:
        from ircc.passes.eqsat_rules import all_rulesets

        known = all_rulesets()
        rules = (self.rules,) if isinstance(self.rules, str) else tuple(self.rules)
        everything = rules in ((), ("all",))
        if everything:
            names = list(known)
        elif rules == ("none",):
            return []
        else:
            names = list(rules)
        unknown = [n for n in names if n not in known]
        if unknown:
            raise IrccError(f"eqsat: unknown ruleset(s) {', '.join(unknown)}; rulesets are: {', '.join(known)}")
        if not everything:
            inexact = [n for n in names if not known[n].exact and not self.fastmath]
            if inexact:
                raise IrccError(f"eqsat: ruleset(s) {', '.join(inexact)} change results in IEEE arithmetic and run "
                                f"only with fastmath=true; exact rulesets: "
                                f"{', '.join(n for n in known if known[n].exact)}")
        return [n for n in names if known[n].exact or self.fastmath]

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        from ircc.passes.pipeline import current_pass_context

        rulesets = self.rulesets()
        reports: list[BlockReport] = []
        context = current_pass_context()
        blocks = [b for o in op.walk() for r in o.regions for b in r.blocks]
        for k, block in enumerate(blocks):
            for ftype in float_types(block):
                eb = ExprBlock.collect(block, ftype)
                if not any(o.name != "arith.constant" for o in eb.ops) or not eb.roots:
                    continue
                report = self._run_block(eb, rulesets, self.time_limit, _where(block, k), context, len(reports))
                reports.append(report)
        if context is not None:
            summary = {"blocks": len(reports),
                       "cost_before": sum(r.cost_before for r in reports),
                       "cost_after": sum(r.cost_after for r in reports),
                       "egraph_s": sum(r.egraph_s for r in reports),
                       "extract_s": sum(r.extract_s for r in reports),
                       "e_nodes": max((max(r.sizes) for r in reports if r.sizes), default=0),
                       "rules": ",".join(rulesets)}
            context.reports[self.name] = summary
            path = context.dump_path("report.txt")
            if path is not None:
                head = (f"eqsat{{fastmath={str(self.fastmath).lower()} rules={','.join(rulesets) or 'none'} "
                        f"node-limit={self.node_limit} iter-limit={self.iter_limit} "
                        f"time-limit={self.time_limit} min-gain={self.min_gain}}}: {len(reports)} block(s); cost "
                        f"{summary['cost_before']:.3f} -> {summary['cost_after']:.3f} ns per execution\n\n")
                path.write_text(head + "\n\n".join(r.text() for r in reports) + "\n")

    def _run_block(self, eb: ExprBlock, rulesets: list[str], budget: float, where: str, context,
                   number: int) -> BlockReport:
        from ircc import costmodel
        from ircc.passes.eqsat_extract import extract, program_of

        report = BlockReport(where, eb.type_name, len(eb.ops))
        costs = costmodel.egraph_op_costs(eb.type_name, self.cost)
        report.cost_before = report.cost_after = _original_cost(eb, costs) / 1000
        if len(eb.ops) > self.node_limit:
            report.stop = f"skipped: {len(eb.ops)} ops, more than the node limit ({self.node_limit}) alone"
            report.best = report.cost_before
            return report
        t0 = time.perf_counter()
        # phase 1: every ruleset but fma, iteration by iteration, on the block's own terms
        main = [n for n in rulesets if n != "fma"]
        program, loaded = eb.program(reassociate=self.fastmath)
        egraph = self._egraph(costs, main, eb.type_name, program)
        report.sizes.append(_size(egraph))
        self._saturate(egraph, main, report, budget - (time.perf_counter() - t0))
        report.egraph_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        serialized = egraph.serialize([])
        graph, roots = self._extract(serialized, costs, eb.roots)
        choice, cost, loaded_cost = extract(graph, list(dict.fromkeys(roots.values())), loaded=loaded)
        # the input as the e-graph sees it: congruent duplicates (k*y, y*k) once, as LLVM's CSE will have them
        reference = min(report.cost_before * 1000, loaded_cost)
        report.extract_s = time.perf_counter() - t1
        if self.picture and context is not None:
            _picture(serialized, context, number)
        if "fma" in rulesets:
            # phase 2: fused multiply-adds on the extracted program alone (on the saturated e-graph the rule
            # would match every sum against every product its e-classes hold)
            t2 = time.perf_counter()
            text, names, lets = program_of(graph, choice, roots)
            egraph = self._egraph(costs, ["fma"], eb.type_name, text)
            out = egraph.run_program(*egraph.parse_program("(run fma 1)"))
            _count(report, out[0].report)
            report.egraph_s += time.perf_counter() - t2
            t3 = time.perf_counter()
            fused_graph, fused_roots = self._extract(egraph.serialize([]), costs, names)
            fused_choice, fused_cost, _ = extract(fused_graph, list(dict.fromkeys(fused_roots.values())),
                                                  loaded=lets)
            report.extract_s += time.perf_counter() - t3
            if fused_cost < min(cost, reference) * (1 - self.min_gain):
                graph, roots, choice, cost = fused_graph, fused_roots, fused_choice, fused_cost
        report.cost_after = report.best = cost / 1000
        if cost < reference - 1e-6:
            report.changed = eb.rebuild(graph, choice, roots)
        if not report.changed:
            report.cost_after = report.cost_before
        return report

    @staticmethod
    def _egraph(costs: dict[str, int], rulesets: list[str], ftype: str, program: str):
        from egglog import bindings

        from ircc.passes.eqsat_rules import all_rulesets

        known = all_rulesets()
        egraph = bindings.EGraph()
        text = declarations(costs, rulesets) + "\n" + "\n".join(known[n].rules(ftype) for n in rulesets)
        egraph.run_program(*egraph.parse_program(text))
        egraph.run_program(*egraph.parse_program(program))
        return egraph

    def _saturate(self, egraph, rulesets: list[str], report: BlockReport, budget: float) -> None:
        """Run ``rulesets`` an iteration at a time; an iteration that passes the node limit is undone."""
        if not rulesets:
            report.stop = "no rules"
            return
        t0 = time.perf_counter()
        schedule = egraph.parse_program("(run-schedule " + " ".join(f"(run {n})" for n in rulesets) + ")")
        push, pop = egraph.parse_program("(push)"), egraph.parse_program("(pop)")
        last_s = 0.0
        report.stop = f"iteration limit ({self.iter_limit})"
        for _ in range(self.iter_limit):
            growth = report.sizes[-1] / report.sizes[-2] if len(report.sizes) > 1 else 1.0
            if len(report.sizes) > 1 and report.sizes[-1] * growth > 2 * self.node_limit:
                report.stop = f"the next iteration would pass the node limit ({self.node_limit})"
                return
            if time.perf_counter() - t0 + last_s * max(growth, 1.0) > budget:
                report.stop = f"time limit ({self.time_limit} s)"
                return
            t_it = time.perf_counter()
            egraph.run_program(*push)
            out = egraph.run_program(*schedule)
            last_s = time.perf_counter() - t_it
            size = _size(egraph)
            if size > self.node_limit:
                egraph.run_program(*pop)
                report.stop = f"node limit ({self.node_limit}): an iteration reaching {size} e-nodes was undone"
                return
            _count(report, out[0].report)
            report.sizes.append(size)
            if not out[0].report.updated:
                report.stop = "saturated"
                return

    @staticmethod
    def _extract(serialized, costs: dict[str, int], roots: dict[Any, str]):
        from ircc.passes.eqsat_extract import parse

        graph = parse(serialized.to_json(), costs["mul"])
        return graph, {v: graph.lets[name] for v, name in roots.items()}


def _count(report: BlockReport, run) -> None:
    for rule, n in run.num_matches_per_rule.items():
        if n:
            report.matches[_short(rule)] += n


def _size(egraph) -> int:
    """E-nodes in the e-graph (constructors are capitalized; analyses are not counted)."""
    out = egraph.run_program(*egraph.parse_program("(print-size)"))
    return sum(n for name, n in out[0].sizes if name[:1].isupper())


def _original_cost(eb: ExprBlock, costs: dict[str, int]) -> float:
    total = 0.0
    for op in eb.ops:
        spec = BY_CLASS.get(type(op))
        if spec is not None:
            total += costs[spec.cost_key]
        elif op.name == "math.fpowi":
            total += costs["mul"] * powi_chain(constant_exponent(op.rhs) or 0)
    return total


def _where(block: Block, k: int) -> str:
    parent = block.parent_op()
    fn = parent
    while fn is not None and fn.name != "func.func":
        fn = fn.parent_op()
    fname = f"@{fn.sym_name.data}" if fn is not None else "?"
    return f"#{k} in {fname}, body of {parent.name if parent is not None else '?'}"


def _picture(serialized, context, number: int) -> None:
    import shutil
    import subprocess

    path = context.dump_path(f"block{number}.dot")
    if path is None:
        return
    path.write_text(serialized.to_dot())
    dot = shutil.which("dot")
    if dot is not None:
        subprocess.run([dot, "-Tsvg", str(path), "-o", str(path.with_suffix(".svg"))], check=False,
                       capture_output=True, timeout=60)
