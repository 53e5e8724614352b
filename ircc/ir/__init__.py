"""The IR: context, parsing and printing (a thin facade over xDSL)."""

from ircc.ir.context import make_context
from ircc.ir.text import parse_module, print_module

__all__ = ["make_context", "parse_module", "print_module"]
