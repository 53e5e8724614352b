"""Printing and parsing MLIR text, with errors that point at the source."""

from __future__ import annotations

import io
import re

from xdsl.dialects.builtin import ModuleOp
from xdsl.printer import Printer
from xdsl.utils.exceptions import ParseError, VerifyException

from ircc.errors import SourceError
from ircc.ir.context import make_context


def print_module(module: ModuleOp, *, debuginfo: bool | None = None) -> str:
    """Print ``module`` as MLIR text in xDSL's generic-where-needed custom syntax.

    Source locations (``loc(...)``) are printed when ``debuginfo`` is True, or when it is None and the
    module carries ``ircc.debuginfo`` (set by frontends whose input is a source file, like Python's).
    """
    if debuginfo is None:
        debuginfo = "ircc.debuginfo" in module.attributes
    out = io.StringIO()
    Printer(stream=out, print_debuginfo=debuginfo).print_op(module)
    out.write("\n")
    return out.getvalue()


def _span_error(err: ParseError, filename: str, text: str) -> SourceError:
    span = err.span
    loc = span.get_location()
    lines = text.splitlines()
    msg = err.msg.strip().splitlines()[0] if err.msg.strip() else "parse error"
    line_no, col, length = loc.line, loc.col, max(1, span.end - span.start)
    undefined = re.match(r"values used but not defined: \[(%[^\],]+)", msg)
    if undefined:  # xDSL reports these at the end of the region: point at the first use in that region
        name = undefined.group(1)
        start = _region_start(lines, line_no)
        for i in range(start, min(line_no, len(lines)) + 1):
            code = lines[i - 1].split("//", 1)[0]
            m = re.search(re.escape(name) + r"(?![\w$.])", code)
            if m and not re.match(r"\s*" + re.escape(name) + r"\s*=", code[m.start():]):
                line_no, col, length = i, m.start() + 1, len(name)
                msg = f"use of undefined value {name}"
                break
    line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    return SourceError(filename, line_no, col, msg, line, length=length)


def _region_start(lines: list[str], end_line: int) -> int:
    """The line of the function (or top-level op) whose region ends at ``end_line``."""
    for i in range(min(end_line, len(lines)), 0, -1):
        if re.match(r"\s*(func\.func|\"func\.func\"|builtin\.module|module)\b", lines[i - 1]):
            return i
    return 1


def parse_module(text: str, filename: str = "<string>", *, verify: bool = True) -> ModuleOp:
    """Parse MLIR text into a verified ``builtin.module``.

    A top-level list of ops without an enclosing module is wrapped in one, as mlir-opt does.

    Raises:
        SourceError: ``file:line:col: error: ...`` with the source line and a caret, for
            malformed text or IR that does not verify.
    """
    from xdsl.parser import Parser

    try:
        module = Parser(make_context(), text, filename).parse_module()
    except ParseError as err:
        raise _span_error(err, filename, text) from None
    if verify:
        verify_module(module, filename, text)
    return module


def verify_module(module: ModuleOp, filename: str = "<ir>", text: str | None = None) -> None:
    """Verify ``module``; a failure becomes a ``SourceError`` at the offending op when ``text`` (the
    source it was parsed from) lets us find it."""
    try:
        module.verify()
    except VerifyException as err:
        msg = str(err).strip().splitlines()[0] if str(err).strip() else "verification failed"
        where = _locate_failing_op(module, text) if text is not None else None
        if where is None:
            raise SourceError(filename, 0, 0, f"IR does not verify: {msg}") from None
        line_no, col, name = where
        lines = text.splitlines()
        raise SourceError(filename, line_no, col, f"'{name}' op does not verify: {msg}", lines[line_no - 1],
                          length=len(name)) from None


def _may_be_implicit(op) -> bool:
    """An operand-less ``scf.yield`` ending an ``scf.for`` / ``scf.if`` body is left out of the custom syntax."""
    from xdsl.dialects import scf

    parent = op.parent_op()
    return isinstance(op, scf.YieldOp) and not op.operands and isinstance(parent, (scf.ForOp, scf.IfOp))


def _locate_failing_op(module: ModuleOp, text: str) -> tuple[int, int, str] | None:
    """The line and column of the first op that fails its own verification (ops are printed and
    parsed in walk order, so the k-th op of a name is its k-th occurrence in the text)."""
    seen: dict[str, int] = {}
    failing = None
    for op in module.walk():
        if _may_be_implicit(op):
            continue  # custom syntax omits these terminators: they are not in the text to count
        seen[op.name] = seen.get(op.name, 0) + 1
        try:
            op.verify(verify_nested_ops=False)
        except VerifyException:
            failing = (op.name, seen[op.name])
            break
        except Exception:  # noqa: BLE001 - a verifier that crashes: keep looking for a clean report
            continue
    if failing is None:
        return None
    name, k = failing
    pattern = re.compile(r'(?<![\w.])"?' + re.escape(name) + r'(?![\w.])')
    count = 0
    for i, line in enumerate(text.splitlines(), 1):
        code = line.split("//", 1)[0]
        for m in pattern.finditer(code):
            count += 1
            if count == k:
                return i, m.start() + 1, name
    return None
