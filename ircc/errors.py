"""User-facing errors. Each says what is wrong, where, and what to do.

``IrccError`` and its subclasses are the only exceptions the CLI turns into a plain
``error:`` message with exit status 1; anything else is an internal bug and keeps
its traceback.
"""

from __future__ import annotations


class IrccError(Exception):
    """An error in the user's input or options (never an ircc bug)."""


class SourceError(IrccError):
    """An error at a place in a source text: ``file:line:col: error: msg``, the line and a caret."""

    def __init__(self, filename: str, line: int, col: int, msg: str, source_line: str = "",
                 length: int = 1, note: str = ""):
        self.filename, self.line, self.col, self.msg = filename, line, col, msg
        self.source_line, self.length, self.note = source_line, max(1, length), note
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.filename}:{self.line}:{self.col}: error: {self.msg}"
        if self.source_line:
            caret = " " * (self.col - 1) + "^" * min(self.length, max(1, len(self.source_line) - self.col + 1))
            text += f"\n{self.source_line}\n{caret}"
        if self.note:
            text += f"\nnote: {self.note}"
        return text


class PassFailure(IrccError):
    """A pass raised or produced IR that does not verify; the IR before it was saved."""


class UnknownNameError(IrccError):
    """An unknown pass, target or frontend; the message lists the valid names."""

    def __init__(self, kind: str, name: str, valid: list[str]):
        self.kind, self.name, self.valid = kind, name, sorted(valid)
        super().__init__(f"unknown {kind} '{name}'; valid {kind} names are: {', '.join(self.valid)}")


class BackendError(IrccError):
    """The backend cannot compile this IR (an op it does not accept, a type it cannot pass)."""


class ArgumentError(IrccError, TypeError):
    """A kernel was called with arguments it cannot take (wrong count, dtype, rank or length)."""
