"""Statements of the Python frontend: one ``func.func`` per specialization, in structured control flow.

Variables live in SSA form: an ``if`` yields the variables its branches change (``scf.if`` results),
a loop carries the variables its body changes that exist before it (``scf.for`` / ``scf.while`` /
``scf.parallel`` iteration values). ``break``, ``continue`` and an early ``return`` set flag variables
(``$brk<n>``, ``$cont<n>``, ``$ret`` with the value in ``$rv``); the statements after one that may
exit run under ``scf.if`` on the flags, and a loop with ``break`` or ``return`` becomes ``scf.while``.
Canonicalization folds the flags away where they are constant.

Memory: an array made by ``numpy.empty`` / ``zeros`` / ``ones`` is freed (``memref.dealloc``) at the end
of the block that made it, unless the function returns it. One made inside a loop or a branch must not be
used after it (an error says so).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import DYNAMIC_INDEX, FunctionType, MemRefType
from xdsl.ir import Block, Region, SSAValue

from ircc.frontends.python_builtins import fill_loops, python_min_max
from ircc.frontends.python_exprs import ExprEmitter
from ircc.frontends.python_types import BOOL, F64, I64, Array, PyType, Scalar, Tuple, View, unify
from ircc.frontends.python_values import (
    INDEX,
    NOT_STATIC,
    Restart,
    Source,
    TupleVal,
    Val,
    Value,
    ViewVal,
    array_count,
    array_leaves,
    leaf_types,
    leaves,
    rebuild,
)

_SUPPORTED_STMT = ("assignment (also to tuples and array elements), augmented assignment, if/elif/else, "
                   "for ... in range(...) / ircc.prange(...), while, break, continue, return, pass")


@dataclass
class Loop:
    brk: str | None
    cont: str | None


@dataclass
class Result:
    """What a built function returns: its type and, per array leaf, 'new' or ('arg', k)."""

    type: PyType | None
    origins: tuple[Any, ...]


class FunctionEmitter(ExprEmitter):
    def __init__(self, module, tree: ast.FunctionDef, source: Source, globals_: dict[str, Any],
                 arg_types: tuple[PyType, ...], name: str, hints: dict[str, PyType], *, parallel: bool,
                 fastmath: bool):
        self.module, self.tree, self.source, self.globals = module, tree, source, globals_
        self.arg_types, self.name, self.hints = arg_types, name, hints
        self.parallel, self.fastmath = parallel, fastmath
        self.env: dict[str, Value] = {}
        self.undefined: dict[str, str] = {}
        self.lower: dict[SSAValue, int] = {}
        self.loops: list[Loop] = []
        self.regions: list[list[tuple[SSAValue, ast.AST]]] = []
        self.loop_count = 0
        self.result: Result | None = None

    # -- the function ---------------------------------------------------------------------
    def build(self) -> func.FuncOp:
        tree = self.tree
        args = tree.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or args.defaults:
            raise self.error(tree, "compiled functions take plain positional parameters only "
                                   "(no *args, **kwargs, keyword-only parameters or defaults)")
        params = [a.arg for a in args.args]
        entry = Block(arg_types=[lt for t in self.arg_types for lt in leaf_types(t)])
        self.block, self.node, self.loc = entry, tree, self.source.location(tree)
        self.regions.append([])
        it, k = iter(entry.args), 0
        for p, t in zip(params, self.arg_types):
            ssa = [next(it) for _ in leaf_types(t)]
            for s in ssa:
                s.name_hint = p if len(ssa) == 1 else None
            roots = []
            for _ in range(array_count(t)):
                roots.append(frozenset({("arg", k)}))
                k += 1
            self.bind(p, rebuild(t, ssa, roots), tree)
        returns = [n for n in _walk_function(tree.body) if isinstance(n, ast.Return)]
        self.returns_value = any(r.value is not None and not _is_none(r.value) for r in returns)
        tail = tree.body[-1] if tree.body else None
        self.flagged = any(r is not tail for r in returns)
        if self.returns_value and not _always_returns(tree.body):
            raise self.error(tree.body[-1], f"function {tree.name} may reach its end without returning a value "
                                            f"(Python would return None); add a return")
        if self.flagged:
            self.env["$ret"] = self.const(False, BOOL)
            if self.returns_value and "$rv" in self.hints:
                self.env["$rv"] = self.placeholder(self.hints["$rv"])
        self.stmts(tree.body)
        if self.result is None:  # no tail return ran: the end of the function (flagged or no return)
            value = self.env.get("$rv") if self.returns_value else None
            self.finish_return(value, tree.body[-1] if tree.body else tree)
        result_types = leaf_types(self.result.type) if self.result.type is not None else []
        fn = func.FuncOp(self.name, FunctionType.from_lists(entry.arg_types, result_types), Region(entry))
        fn.location = self.source.location(tree)
        for op in fn.walk():  # block arguments take the location of the op that owns the block
            for region in op.regions:
                for blk in region.blocks:
                    for arg in blk.args:
                        arg.location = op.location
        return fn

    def finish_return(self, value: Value | None, node: ast.AST) -> None:
        top = self.regions[0]
        origins: list[Any] = []
        kept: set[SSAValue] = set()
        if value is not None:
            if isinstance(value, ViewVal) or (isinstance(value, TupleVal) and _has_view(value.type)):
                raise self.error(node, "returning a row of an array (a[i]) is not supported; return the array")
            for leaf in array_leaves(value):
                roots = set(leaf.roots) - {"dummy"}
                if len(roots) != 1:
                    raise self.error(node, "the returned array is a different one on different paths "
                                           "(an argument on one, a new array on another)",
                                     note="return one kind of array: always a new one, or always an argument")
                root = roots.pop()
                if isinstance(root, tuple):
                    origins.append(root)
                else:
                    origins.append("new")
                    kept.add(root)
        for alloc, _ in top:
            if alloc not in kept:
                self.add(memref.DeallocOp.get(alloc))
        self.add(func.ReturnOp(*(leaves(value) if value is not None else [])))
        self.result = Result(value.type if value is not None else None, tuple(origins))

    # -- variables ------------------------------------------------------------------------
    def bind(self, name: str, value: Value, node: ast.AST) -> None:
        hint = self.hints.get(name)
        if hint is None:
            self.hints[name] = value.type
        else:
            t = unify(hint, value.type)
            if t is None:
                raise self.error(node, f"variable '{name}' is a {hint} elsewhere in this function but is "
                                       f"assigned a {value.type} here; a variable keeps one type in compiled "
                                       f"code (use another name)")
            if t != hint:
                raise Restart(name, t)
            value = self.coerce(value, hint, node, f"variable '{name}'")
        self.env[name] = value
        self.undefined.pop(name, None)

    def lookup_global(self, node: ast.Name) -> Any:
        if node.id in self.globals:
            return self.globals[node.id]
        import builtins

        if hasattr(builtins, node.id):
            return getattr(builtins, node.id)
        raise self.error(node, f"name '{node.id}' is not defined")

    def static_object(self, node: ast.expr) -> Any:
        """The Python object a global name or attribute chain (``math.pi``, ``np.sqrt``) names."""
        if isinstance(node, ast.Name):
            if node.id in self.env or node.id in self.undefined:
                return NOT_STATIC
            return self.lookup_global(node)
        if isinstance(node, ast.Attribute):
            base = self.static_object(node.value)
            if base is NOT_STATIC:
                return NOT_STATIC
            if not hasattr(base, node.attr):
                raise self.error(node, f"{getattr(base, '__name__', base)!s} has no attribute '{node.attr}'")
            return getattr(base, node.attr)
        return NOT_STATIC

    def global_value(self, node: ast.AST, obj: Any) -> Value:
        import numpy as np

        if isinstance(obj, (bool, np.bool_)):
            return self.const(bool(obj), BOOL)
        if isinstance(obj, (int, np.integer)):
            return self.const(int(obj), I64)
        if isinstance(obj, (float, np.floating)):
            return self.const(float(obj), F64)
        if isinstance(obj, tuple) and all(isinstance(x, (int, float, bool)) for x in obj):
            items = tuple(self.global_value(node, x) for x in obj)
            return TupleVal(Tuple(tuple(v.type for v in items)), items)
        what = "an array" if isinstance(obj, np.ndarray) else f"a {type(obj).__name__}"
        raise self.error(node, f"global '{ast.unparse(node)}' is {what}; compiled code reads global numbers "
                               f"(frozen at compile time) and calls functions",
                         note="pass arrays as arguments")

    # -- statements -----------------------------------------------------------------------
    def stmts(self, body: list[ast.stmt]) -> None:
        for k, s in enumerate(body):
            self.stmt(s)
            if self.result is not None or self.is_dead():
                return
            if k + 1 < len(body) and self.may_exit(s):
                live = self.live_condition()
                if live is None:
                    continue
                rest = body[k + 1:]
                self.branches(live, lambda rest=rest: self.stmts(rest), None, rest[0], "statements after it")
                return

    def stmt(self, node: ast.stmt) -> None:
        method = getattr(self, f"stmt_{type(node).__name__}", None)
        if method is None:
            raise self.error(node, f"{_describe_stmt(node)} is not supported in compiled code",
                             note=f"supported: {_SUPPORTED_STMT}")
        saved = self.node, self.loc
        self.node, self.loc = node, self.source.location(node)
        try:
            method(node)
        finally:
            self.node, self.loc = saved

    def stmt_Pass(self, node: ast.Pass) -> None:
        pass

    def stmt_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):  # a docstring
            return
        self.expr(node.value)

    def stmt_Assign(self, node: ast.Assign) -> None:
        value = self.expr(node.value)
        for target in node.targets:
            self.assign(target, value, node)

    def stmt_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is None:
            return
        self.assign(node.target, self.expr(node.value), node)

    def assign(self, target: ast.expr, value: Value, node: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value, target)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, TupleVal):
                raise self.error(target, f"cannot unpack a {value.type} into {len(target.elts)} names")
            if len(value.items) != len(target.elts) or any(isinstance(e, ast.Starred) for e in target.elts):
                raise self.error(target, f"cannot unpack a tuple of {len(value.items)} into "
                                         f"{len(target.elts)} names")
            for t, v in zip(target.elts, value.items):
                self.assign(t, v, node)
        elif isinstance(target, ast.Subscript):
            self.store(target, value)
        else:
            raise self.error(target, f"cannot assign to {type(target).__name__.lower()} in compiled code",
                             note="assign to names, tuples of names and array elements a[i, j]")

    def store(self, target: ast.Subscript, value: Value) -> None:
        base = self.expr(target.value)
        if isinstance(base, TupleVal):
            raise self.error(target, "tuples cannot be changed")
        array, indices = self.subscript(target, base)
        root = array.base if isinstance(array, ViewVal) else array
        if len(indices) != root.type.ndim:
            raise self.error(target, "assigning to a whole row (a[i] = ...) is not supported; assign elements "
                                     "a[i, j] in a loop")
        if not (isinstance(value, Val) and isinstance(value.type, Scalar)):
            raise self.error(target, f"cannot store a {value.type} into an element of a {root.type}")
        v = self.convert(value, root.type.dtype)
        self.add(memref.StoreOp.get(v.ssa, root.ssa, indices))

    def stmt_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target
        if isinstance(target, ast.Name):
            current = self.expr(ast.copy_location(ast.Name(target.id, ast.Load()), target))
            self.bind(target.id, self.binop(node.op, current, self.expr(node.value), node), target)
        elif isinstance(target, ast.Subscript):
            base = self.expr(target.value)
            if isinstance(base, TupleVal):
                raise self.error(target, "tuples cannot be changed")
            array, indices = self.subscript(target, base)
            root = array.base if isinstance(array, ViewVal) else array
            if len(indices) != root.type.ndim:
                raise self.error(target, "augmented assignment to a whole row is not supported")
            current = Val(root.type.dtype, self.value(memref.LoadOp.get(root.ssa, indices)))
            new = self.binop(node.op, current, self.expr(node.value), node)
            self.add(memref.StoreOp.get(self.convert(new, root.type.dtype).ssa, root.ssa, indices))
        else:
            raise self.error(target, "augmented assignment to this target is not supported")

    # -- if / exits -----------------------------------------------------------------------
    def stmt_If(self, node: ast.If) -> None:
        cond = self.truthy(self._as_scalar(self.expr(node.test), node.test))
        c = self.const_of(cond)
        if c is not None:
            self.stmts(node.body if c else node.orelse)
            return
        orelse = node.orelse
        self.branches(cond, lambda: self.stmts(node.body), (lambda: self.stmts(orelse)) if orelse else None,
                      node, "this if")

    def stmt_Break(self, node: ast.Break) -> None:
        if not self.loops or self.loops[-1].brk is None:
            raise self.error(node, "break outside a loop, or in a prange loop (which cannot stop early)")
        self.env[self.loops[-1].brk] = self.const(True, BOOL)

    def stmt_Continue(self, node: ast.Continue) -> None:
        if not self.loops or self.loops[-1].cont is None:
            raise self.error(node, "continue outside a loop")
        self.env[self.loops[-1].cont] = self.const(True, BOOL)

    def stmt_Return(self, node: ast.Return) -> None:
        value = None if node.value is None or _is_none(node.value) else self.expr(node.value)
        if self.returns_value and value is None:
            raise self.error(node, "return without a value in a function that returns values elsewhere")
        if not self.flagged:
            self.finish_return(value, node)
            return
        if value is not None:
            hint = self.hints.get("$rv")
            t = unify(hint, value.type)
            if t is None:
                raise self.error(node, f"this returns a {value.type}, another return a {hint}")
            if t != hint:
                raise Restart("$rv", t)
            self.env["$rv"] = self.coerce(value, t, node, "the return value")
        self.env["$ret"] = self.const(True, BOOL)

    def active_flags(self) -> list[str]:
        names = []
        if self.loops:
            names += [n for n in (self.loops[-1].brk, self.loops[-1].cont) if n is not None]
        if self.flagged:
            names.append("$ret")
        return [n for n in names if n in self.env]

    def is_dead(self) -> bool:
        return any(self.const_of(self.env[n]) is True for n in self.active_flags())

    def live_condition(self) -> Val | None:
        """``not (break or continue or returned)`` over the flags that may be set, or None."""
        live: Val | None = None
        for n in self.active_flags():
            flag = self.env[n]
            if self.const_of(flag) is False:
                continue
            term = self.logical_not(flag)  # type: ignore[arg-type]
            live = term if live is None else Val(BOOL, self.value(arith.AndIOp(live.ssa, term.ssa)))
        return live

    def may_exit(self, node: ast.stmt) -> bool:
        if any(isinstance(n, ast.Return) for n in _walk_function([node])):
            return True
        return bool(self.loops) and _breaks_here(node)

    # -- regions ---------------------------------------------------------------------------
    def close_region(self, allocs: list[tuple[SSAValue, ast.AST]], out: list[Value], where: str) -> None:
        """Free the arrays made in a region that ends; an error if one of them is used after it."""
        escaping = set()
        for v in out:
            for leaf in array_leaves(v):
                escaping |= set(leaf.roots)
        for alloc, made in allocs:
            if alloc in escaping:
                raise self.error(made, f"this array is made inside {where} and used after it; "
                                       f"ircc frees arrays at the end of the block that makes them",
                                 note="make the array before the loop or branch and fill it inside")
            self.add(memref.DeallocOp.get(alloc))

    def branches(self, cond: Val, then_fn, else_fn, node: ast.AST, where: str) -> None:
        """An ``scf.if`` running ``then_fn`` / ``else_fn``; the variables they change become its results."""
        before, undef_before, outer = dict(self.env), dict(self.undefined), self.block
        arms = []
        for fn in (then_fn, else_fn):
            self.env, self.undefined, self.block = dict(before), dict(undef_before), Block()
            self.regions.append([])
            if fn is not None:
                fn()
            arms.append((self.block, self.env, self.undefined, self.is_dead(), self.regions.pop()))
        self.block = outer
        names: list[str] = []
        for _, env, _, _, _ in arms:
            names += [n for n, v in env.items() if before.get(n) is not v and n not in names]
        merged: list[tuple[str, PyType]] = []
        undefined = dict(undef_before)
        for _, _, und, _, _ in arms:
            undefined.update({n: r for n, r in und.items() if n not in before})
        line = self.source.first_line + node.lineno - 1
        for n in names:
            present = [(env.get(n), dead) for _, env, _, dead, _ in arms]
            if any(v is None and not dead for v, dead in present):
                undefined[n] = f"it is assigned only on some paths through the if at line {line}"
                continue
            types = [v.type for v, _ in present if v is not None]
            t = types[0]
            for other in types[1:]:
                t = unify(t, other)
                if t is None:
                    raise self.error(node, f"'{n}' is a {types[0]} on one path and a {other} on another")
            merged.append((n, t))
        values_per_arm = []
        for blk, env, _, _, allocs in arms:
            self.block = blk
            vals = [self.coerce(env[n], t, node, f"variable '{n}'") if env.get(n) is not None
                    else self.placeholder(t) for n, t in merged]
            self.close_region(allocs, vals, where)
            self.add(scf.YieldOp(*[s for v in vals for s in leaves(v)]))
            values_per_arm.append(vals)
        self.block = outer
        result_types = [lt for _, t in merged for lt in leaf_types(t)]
        if_op = self.add(scf.IfOp(cond.ssa, result_types, Region(arms[0][0]), Region(arms[1][0])))
        self.env = dict(before)
        self.undefined = undefined
        self._bind_results(merged, list(if_op.results), values_per_arm)

    def _bind_results(self, names: list[tuple[str, PyType]], results: list[SSAValue],
                      incoming: list[list[Value]]) -> None:
        it = iter(results)
        for i, (n, t) in enumerate(names):
            ssa = [next(it) for _ in leaf_types(t)]
            roots: list[frozenset] = []
            for j in range(len(array_leaves(incoming[0][i]))):
                roots.append(frozenset().union(*(array_leaves(vals[i])[j].roots for vals in incoming)))
            self.env[n] = rebuild(t, ssa, roots)
            self.undefined.pop(n, None)

    # -- loops -------------------------------------------------------------------------------
    def stmt_For(self, node: ast.For) -> None:
        from ircc.frontends.python import is_prange

        if node.orelse:
            raise self.error(node.orelse[0], "for ... else is not supported in compiled code")
        it = node.iter
        fn = self.static_object(it.func) if isinstance(it, ast.Call) else NOT_STATIC
        import builtins

        if not (fn is builtins.range or is_prange(fn)):
            raise self.error(it, "compiled for loops iterate over range(...) or ircc.prange(...) only",
                             note="loop over indices: for i in range(len(a)): ... a[i] ...")
        if it.keywords or not 1 <= len(it.args) <= 3:
            raise self.error(it, "range() takes 1 to 3 positional arguments")
        if not isinstance(node.target, ast.Name):
            raise self.error(node.target, "the loop variable must be a single name")
        bounds = [self.integer(a, "a range() argument") for a in it.args]
        if len(bounds) == 1:
            bounds = [self.const(0, I64), bounds[0]]
        start, stop = bounds[0], bounds[1]
        step = bounds[2] if len(bounds) == 3 else self.const(1, I64)
        if self.const_of(step) == 0:
            raise self.error(it.args[2], "range() step must not be zero")
        exits = _loop_exits(node.body)
        trips = [self.const_of(v) for v in (start, stop, step)]
        if None not in trips:
            self.define_first_pass(node, len(range(*trips)) > 0)
        if is_prange(fn) and self.parallel and not self.in_parallel():
            if exits["break"] or exits["return"]:
                raise self.error(node, "a prange loop cannot break or return (its iterations run in parallel)",
                                 note="use range() for a loop that stops early")
            self.parallel_for(node, start, stop, step)
        elif exits["break"] or exits["return"]:
            self.while_for(node, start, stop, step, exits)
        else:
            self.counted_for(node, start, stop, step, exits)

    def in_parallel(self) -> bool:
        return getattr(self, "_parallel_depth", 0) > 0

    def define_first_pass(self, loop: ast.For | ast.While, runs_once: bool) -> None:
        """Variables first assigned in a loop that surely runs once and read after it: give them a value
        before the loop, so they are carried out of it (``while True: x = ...; break`` then ``x``)."""
        if not runs_once:
            return
        inside = {id(n) for n in ast.walk(loop)}
        read_elsewhere = {n.id for n in _walk_function(self.tree.body)
                          if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in inside}
        missing = None
        for n in _assigned(loop.body):
            if n in self.env or n not in read_elsewhere:
                continue
            if n in self.hints:
                self.env[n] = self.placeholder(self.hints[n])
                self.undefined.pop(n, None)
            else:
                missing = n
        if missing is not None:
            self._restart_after_loop = missing

    def carried(self, body: list[ast.stmt], extra: list[str]) -> list[tuple[str, PyType]]:
        names = _assigned(body)
        if any(isinstance(n, ast.Return) for n in _walk_function(body)):
            names += ["$ret", "$rv"]
        out = []
        for n in names + extra:
            if n in self.env and n not in [c for c, _ in out]:
                out.append((n, self.env[n].type))
        return out

    def _loop_scope(self, body_block: Block, carried: list[tuple[str, PyType]], args: list[SSAValue]) -> dict:
        """Enter a loop body: carried variables bound to ``args``; returns what to restore."""
        saved = {"env": self.env, "undefined": self.undefined, "block": self.block}
        self.env, self.undefined, self.block = dict(self.env), dict(self.undefined), body_block
        it = iter(args)
        for n, t in carried:
            ssa = [next(it) for _ in leaf_types(t)]
            roots = [leaf.roots for leaf in array_leaves(saved["env"][n])]
            self.env[n] = rebuild(t, ssa, roots)
        self.regions.append([])
        return saved

    def _loop_yield(self, carried: list[tuple[str, PyType]], node: ast.AST) -> list[SSAValue]:
        vals = [self.coerce(self.env[n], t, node, f"variable '{n}'") for n, t in carried]
        self.close_region(self.regions.pop(), vals, "this loop")
        return [s for v in vals for s in leaves(v)]

    def _loop_exit(self, saved: dict, carried: list[tuple[str, PyType]], results: list[SSAValue],
                   body: list[ast.stmt], node: ast.AST) -> None:
        outer_env = saved["env"]
        line = self.source.first_line + node.lineno - 1
        undefined = saved["undefined"]
        for n in _assigned(body):
            if n not in outer_env:
                undefined[n] = f"it is assigned only inside the loop at line {line}"
        self.env, self.undefined, self.block = dict(outer_env), undefined, saved["block"]
        incoming = [[outer_env[n] for n, _ in carried]]
        self._bind_results(carried, results, incoming)

    def _trip_count(self, start: Val, stop: Val, step: Val) -> Val:
        """max(0, ceil((stop - start) / step)) for a step of any sign (0 trips for a zero step)."""
        c = self.const_of(step)
        sub = lambda a, b: Val(I64, self.value(arith.SubiOp(a.ssa, b.ssa)))  # noqa: E731
        if c is not None:
            span, width = (sub(stop, start), step) if c > 0 else (sub(start, stop), self.const(-c, I64))
            trips = self.value(arith.CeilDivSIOp(span.ssa, width.ssa))
        else:
            zero = self.const(0, I64)
            positive = self.value(arith.CmpiOp(step.ssa, zero.ssa, "sgt"))
            span = self.value(arith.SelectOp(positive, sub(stop, start).ssa, sub(start, stop).ssa))
            width = self.value(arith.SelectOp(positive, step.ssa, sub(zero, step).ssa))
            is_zero = self.value(arith.CmpiOp(width, zero.ssa, "eq"))
            safe = self.value(arith.SelectOp(is_zero, self.const(1, I64).ssa, width))
            trips = self.value(arith.CeilDivSIOp(span, safe))
            trips = self.value(arith.SelectOp(is_zero, zero.ssa, trips))
        return Val(I64, self.value(arith.MaxSIOp(trips, self.const(0, I64).ssa)))

    def _bind_target(self, node: ast.For, iv: Val, start: Val, stop: Val, step: Val) -> None:
        c, s0, s1 = self.const_of(step), self.const_of(start), self.const_of(stop)
        if c is not None and c > 0 and s0 is not None:
            self.lower[iv.ssa] = s0
        elif c is not None and c < 0 and s1 is not None:
            self.lower[iv.ssa] = s1 + 1
        self.bind(node.target.id, iv, node.target)  # type: ignore[attr-defined]

    def counted_for(self, node: ast.For, start: Val, stop: Val, step: Val, exits: dict) -> None:
        c = self.const_of(step)
        normalized = not (c is not None and c > 0)
        lb, ub, st = (self.const(0, I64), self._trip_count(start, stop, step), self.const(1, I64)) \
            if normalized else (start, stop, step)
        self.loop_count += 1
        cont = f"$cont{self.loop_count}" if exits["continue"] else None
        carried = self.carried(node.body, [node.target.id])  # type: ignore[attr-defined]
        body = Block(arg_types=[I64.ir] + [lt for _, t in carried for lt in leaf_types(t)])
        saved = self._loop_scope(body, carried, list(body.args[1:]))
        iv = Val(I64, body.args[0])
        if normalized:
            iv = Val(I64, self.value(arith.AddiOp(start.ssa, self.value(arith.MuliOp(iv.ssa, step.ssa)))))
        self._bind_target(node, iv, start, stop, step)
        self.loops.append(Loop(None, cont))
        if cont:
            self.env[cont] = self.const(False, BOOL)
        self.stmts(node.body)
        self.loops.pop()
        self.add(scf.YieldOp(*self._loop_yield(carried, node)))
        init = [s for n, _ in carried for s in leaves(saved["env"][n])]
        loop = scf.ForOp(lb.ssa, ub.ssa, st.ssa, init, Region(body))
        saved["block"].add_op(loop)
        loop.location = self.source.location(node)
        self._loop_exit(saved, carried, list(loop.results), node.body, node)
        self._check_restart()

    def while_for(self, node: ast.For, start: Val, stop: Val, step: Val, exits: dict) -> None:
        """A for loop that may break or return: ``scf.while`` over a counter, checking the flags."""
        c = self.const_of(step)
        direct = c is not None and c > 0
        first, bound = (start, stop) if direct else (self.const(0, I64), self._trip_count(start, stop, step))
        self.loop_count += 1
        brk = f"$brk{self.loop_count}"
        cont = f"$cont{self.loop_count}" if exits["continue"] else None
        self.env[brk] = self.const(False, BOOL)

        def test() -> Val:
            counter = Val(I64, self._counter)
            return Val(BOOL, self.value(arith.CmpiOp(counter.ssa, bound.ssa, "slt")))

        def body_start(counter: SSAValue) -> None:
            iv = Val(I64, counter)
            if not direct:
                iv = Val(I64, self.value(arith.AddiOp(start.ssa, self.value(arith.MuliOp(counter, step.ssa)))))
            self._bind_target(node, iv, start, stop, step)

        self._while(node, node.body, test, brk, cont, first, body_start, (step if direct else self.const(1, I64)))

    def stmt_While(self, node: ast.While) -> None:
        if node.orelse:
            raise self.error(node.orelse[0], "while ... else is not supported in compiled code")
        exits = _loop_exits(node.body)
        self.loop_count += 1
        brk = f"$brk{self.loop_count}" if exits["break"] else None
        cont = f"$cont{self.loop_count}" if exits["continue"] else None
        if brk:
            self.env[brk] = self.const(False, BOOL)
        self.define_first_pass(node, isinstance(node.test, ast.Constant) and bool(node.test.value))

        def test() -> Val:
            return self.truthy(self._as_scalar(self.expr(node.test), node.test))

        self._while(node, node.body, test, brk, cont, None, None, None)

    def _while(self, node: ast.AST, body_stmts: list[ast.stmt], test, brk: str | None, cont: str | None,
               counter0: Val | None, body_start, increment: Val | None) -> None:
        carried = self.carried(body_stmts, [brk] if brk else [])
        if isinstance(node, ast.For):
            carried = self.carried(body_stmts, [node.target.id] + ([brk] if brk else []))
        counter_types = [I64.ir] if counter0 is not None else []
        types = counter_types + [lt for _, t in carried for lt in leaf_types(t)]
        before, after = Block(arg_types=types), Block(arg_types=types)
        # before: the condition, with the flags
        saved = self._loop_scope(before, carried, list(before.args[len(counter_types):]))
        self.regions.pop()
        self._counter = before.args[0] if counter0 is not None else None
        cond = test()
        flags = [n for n in ([brk] if brk else []) + (["$ret"] if self.flagged and "$ret" in self.env else [])]
        for n in flags:
            if any(n == c for c, _ in carried):
                cond = Val(BOOL, self.value(arith.AndIOp(cond.ssa, self.logical_not(self.env[n]).ssa)))
        self.add(scf.ConditionOp(cond.ssa, *before.args))
        self.env, self.undefined, self.block = saved["env"], saved["undefined"], saved["block"]
        # after: the body
        saved = self._loop_scope(after, carried, list(after.args[len(counter_types):]))
        if body_start is not None:
            body_start(after.args[0])
        self.loops.append(Loop(brk, cont))
        if cont:
            self.env[cont] = self.const(False, BOOL)
        self.stmts(body_stmts)
        self.loops.pop()
        yielded = self._loop_yield(carried, node)
        if counter0 is not None:
            yielded = [self.value(arith.AddiOp(after.args[0], increment.ssa))] + yielded
        self.add(scf.YieldOp(*yielded))
        init = ([counter0.ssa] if counter0 is not None else []) + \
            [s for n, _ in carried for s in leaves(saved["env"][n])]
        loop = scf.WhileOp(init, types, Region(before), Region(after))
        saved["block"].add_op(loop)
        loop.location = self.source.location(node)
        self._loop_exit(saved, carried, list(loop.results)[len(counter_types):], body_stmts, node)
        self._check_restart()

    def _check_restart(self) -> None:
        name = getattr(self, "_restart_after_loop", None)
        if name is not None:  # its type is known now: emit again with a value before the loop
            raise Restart(name, self.hints[name])

    # -- prange -----------------------------------------------------------------------------
    def parallel_for(self, node: ast.For, start: Val, stop: Val, step: Val) -> None:
        c = self.const_of(step)
        if c is None or c <= 0:
            raise self.error(node.iter, "a prange loop needs a positive constant step")
        names = [n for n in _assigned(node.body) if n in self.env and n != node.target.id]  # type: ignore
        reductions = [(n, _reduction_kind(self, node, n), self.env[n].type) for n in names]
        for n, _, t in reductions:
            if not isinstance(t, Scalar):
                raise self.error(node, f"'{n}' ({t}) is changed in a prange loop; only numbers can be reductions")
        body = Block(arg_types=[INDEX])
        saved = self._loop_scope(body, [], [])
        iv = Val(I64, self.value(arith.IndexCastOp(body.args[0], I64.ir)))
        self._bind_target(node, iv, start, stop, step)
        for n, kind, t in reductions:
            self.env[n] = _identity(self, kind, t)
        self._parallel_depth = getattr(self, "_parallel_depth", 0) + 1
        self.loops.append(Loop(None, None))
        self.stmts(node.body)
        self.loops.pop()
        self._parallel_depth -= 1
        partials = [self.coerce(self.env[n], t, node, f"reduction '{n}'") for n, _, t in reductions]
        self.close_region(self.regions.pop(), partials, "this prange loop")
        combine_regions = []
        for _, kind, t in reductions:
            blk = Block(arg_types=[t.ir, t.ir])
            self.block = blk
            out = _combine(self, kind, Val(t, blk.args[0]), Val(t, blk.args[1]))
            self.add(scf.ReduceReturnOp(out.ssa))
            combine_regions.append(Region(blk))
        self.block = body
        self.add(scf.ReduceOp([p.ssa for p in partials], combine_regions))
        self.block = saved["block"]
        lb = self.value(arith.IndexCastOp(start.ssa, INDEX))
        ub = self.value(arith.IndexCastOp(stop.ssa, INDEX))
        loop = scf.ParallelOp([lb], [ub], [self.index_const(int(c))], Region(body),
                              [saved["env"][n].ssa for n, _, _ in reductions])
        self.add(loop)
        carried = [(n, t) for n, _, t in reductions]
        self._loop_exit(saved, carried, list(loop.results), node.body, node)

    # -- memory / calls ------------------------------------------------------------------------
    def allocate(self, sizes: list[Val], dtype: Scalar, fill: int | None, node: ast.AST) -> Val:
        dyn = [self.value(arith.IndexCastOp(s.ssa, INDEX)) for s in sizes]
        alloc = self.value(memref.AllocOp.get(dtype.ir, shape=[DYNAMIC_INDEX] * len(sizes), dynamic_sizes=dyn))
        self.regions[-1].append((alloc, node))
        array = Val(Array(dtype, len(sizes)), alloc, frozenset({alloc}))
        if fill is not None:
            fill_loops(self, array, sizes, self.const(fill, dtype))
        return array

    def call_function(self, dispatcher, args: list[Value], node: ast.Call) -> Value:
        for a, n in zip(args, node.args):
            if isinstance(a, ViewVal) or (isinstance(a, TupleVal) and _has_view(a.type)):
                raise self.error(n, "passing a row of an array (a[i]) to a function is not supported; "
                                    "pass the array and the index")
        types = tuple(a.type for a in args)
        callee = self.module.function_for(dispatcher, types, node, self.source)
        arg_leaves = [s for a in args for s in leaves(a)]
        result_types = leaf_types(callee.result.type) if callee.result.type is not None else []
        call = self.add(func.CallOp(callee.name, arg_leaves, result_types))
        if callee.result.type is None:
            return self.const(0, I64)  # the value of a call that returns None; not meant to be used
        arg_arrays = [leaf for a in args for leaf in array_leaves(a)]
        ssa = list(call.results)
        array_ssa = [s for s in ssa if isinstance(s.type, MemRefType)]
        roots = []
        for s, origin in zip(array_ssa, callee.result.origins):
            if origin == "new":
                self.regions[-1].append((s, node))
                roots.append(frozenset({s}))
            else:
                roots.append(arg_arrays[origin[1]].roots)
        return rebuild(callee.result.type, ssa, roots)


# -- helpers -------------------------------------------------------------------------------
def _identity(em: FunctionEmitter, kind: str, t: Scalar) -> Val:
    if kind == "+":
        return em.const(-0.0 if t.is_float else 0, t)
    if kind == "*":
        return em.const(1, t)
    if kind in ("|", "^"):
        return em.const(0, t)
    if kind == "&":
        return em.const(True if t.is_bool else -1, t)
    if t.is_float:
        return em.const(float("inf") if kind == "min" else float("-inf"), t)
    info = {"int64": (-2**63, 2**63 - 1), "int32": (-2**31, 2**31 - 1), "bool": (0, 1)}[t.name]
    return em.const(info[1] if kind == "min" else info[0], t)


def _combine(em: FunctionEmitter, kind: str, a: Val, b: Val) -> Val:
    if kind in ("min", "max"):
        return python_min_max(em, kind, a, b)
    op = {"+": ast.Add(), "*": ast.Mult(), "|": ast.BitOr(), "&": ast.BitAnd(), "^": ast.BitXor()}[kind]
    return em.convert(em.arith(op, a, b, em.node), a.type)  # type: ignore[arg-type]


_REDUCE_OPS = {ast.Add: "+", ast.Sub: "+", ast.Mult: "*", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}


def _reduction_kind(em: FunctionEmitter, loop: ast.For, name: str) -> str:
    """How ``name`` is reduced in a prange body (``+=``, ``*=``, ``x = min(x, ...)``, ...), or an error."""
    kinds: set[str] = set()
    allowed_loads = 0
    for n in _walk_function(loop.body):
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and n.target.id == name:
            if type(n.op) not in _REDUCE_OPS:
                raise em.error(n, f"'{name}' is updated with an operator a parallel reduction cannot use",
                               note="prange reductions: +=, -=, *=, |=, &=, ^=, x = min(x, ...), x = max(x, ...)")
            kinds.add(_REDUCE_OPS[type(n.op)])
        elif isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets):
            v = n.value
            if isinstance(v, ast.BinOp) and isinstance(v.left, ast.Name) and v.left.id == name \
                    and type(v.op) in _REDUCE_OPS:
                kinds.add(_REDUCE_OPS[type(v.op)])
                allowed_loads += 1
            elif isinstance(v, ast.Call) and len(v.args) == 2 and any(
                    isinstance(a, ast.Name) and a.id == name for a in v.args):
                import builtins

                fn = em.static_object(v.func)
                if fn not in (builtins.min, builtins.max):
                    raise em.error(n, f"'{name}' is assigned in a prange loop but not as a reduction")
                kinds.add(fn.__name__)
                allowed_loads += 1
            else:
                raise em.error(n, f"'{name}' is assigned in a prange loop but not as a reduction: iterations run "
                                  f"in parallel and cannot pass values to each other",
                               note="prange reductions: +=, -=, *=, |=, &=, ^=, x = min(x, ...), x = max(x, ...); "
                                    "use a variable made inside the loop for per-iteration values")
    loads = sum(1 for n in _walk_function(loop.body) if isinstance(n, ast.Name) and n.id == name
                and isinstance(n.ctx, ast.Load))
    if loads > allowed_loads:
        raise em.error(loop, f"the reduction variable '{name}' is read inside the prange loop; its value there "
                             f"is a partial result", note="only update it (x += ...), read it after the loop")
    if len(kinds) != 1:
        raise em.error(loop, f"'{name}' is reduced with different operators ({', '.join(sorted(kinds))}) "
                             f"in one prange loop")
    return kinds.pop()


def _walk_function(body: list[ast.stmt]):
    """Every node of ``body``, not entering nested function definitions."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(n))))


def _breaks_here(node: ast.stmt) -> bool:
    """Whether ``node`` holds a break or continue of the loop around it (not of a loop inside it)."""
    if isinstance(node, (ast.For, ast.While)):
        return False
    stack: list[ast.AST] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Break, ast.Continue)):
            return True
        if isinstance(n, (ast.For, ast.While, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return False


def _loop_exits(body: list[ast.stmt]) -> dict[str, bool]:
    found = {"break": False, "continue": False, "return": False}
    stack: list[ast.AST] = list(body)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Break):
            found["break"] = True
        elif isinstance(n, ast.Continue):
            found["continue"] = True
        elif isinstance(n, ast.Return):
            found["return"] = True
        if isinstance(n, (ast.For, ast.While)):
            found["return"] |= any(isinstance(m, ast.Return) for m in _walk_function(n.body))
            continue
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return found


def _assigned(body: list[ast.stmt]) -> list[str]:
    """Names assigned anywhere in ``body`` (in order of first assignment)."""
    out: list[str] = []

    def add_target(t: ast.AST) -> None:
        if isinstance(t, ast.Name):
            if t.id not in out:
                out.append(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                add_target(e)

    for n in _walk_function(body):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                add_target(t)
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign, ast.For)):
            add_target(n.target)
    return out


def _always_returns(body: list[ast.stmt]) -> bool:
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return):
        return True
    if isinstance(last, ast.If):
        return _always_returns(last.body) and _always_returns(last.orelse)
    if isinstance(last, ast.While) and isinstance(last.test, ast.Constant) and last.test.value is True:
        return not _loop_exits(last.body)["break"]
    return any(isinstance(s, ast.Return) for s in body[:-1]) and False


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _has_view(t: PyType) -> bool:
    if isinstance(t, View):
        return True
    return isinstance(t, Tuple) and any(_has_view(i) for i in t.items)


def _describe_stmt(node: ast.stmt) -> str:
    names = {"Raise": "raise", "Try": "try", "With": "with", "Assert": "assert", "Import": "import",
             "ImportFrom": "import", "Global": "global", "Nonlocal": "nonlocal", "Delete": "del",
             "FunctionDef": "a nested function definition", "ClassDef": "a class definition",
             "AsyncFunctionDef": "async def", "Match": "match"}
    return names.get(type(node).__name__, f"a {type(node).__name__} statement")
