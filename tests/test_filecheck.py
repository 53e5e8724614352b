"""Run every ``tests/filecheck/**/*.mlir`` test: one pytest test per file, like ``lit`` would.

Each file holds ``// RUN:`` lines (a trailing ``\\`` continues a line). In them ``%s`` is the file,
``%S`` its directory, ``%t`` a fresh temporary path and ``%%`` a percent sign; the commands
``ircc`` and ``filecheck`` are this interpreter's scripts and ``not CMD`` succeeds when CMD fails
(exit status 1-127, not a signal). Each line runs in ``bash -o pipefail -c``, in the file's directory.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent / "filecheck"
FILES = sorted(ROOT.rglob("*.mlir"))
BIN = Path(sys.executable).parent

_RUN = re.compile(r"^\s*//\s*RUN:(?P<cmd>.*)$")
_SUBSTITUTION = re.compile(r"%[sSt%]")
# A command name at a command position: the start, after a pipe, ;, &&, ||, ( or after `not`.
_COMMAND = re.compile(r"(?:^|(?<=[|;&(])|(?<=\bnot\s))(?P<ws>\s*)(?P<cmd>not|ircc|filecheck)(?=\s|$)")
_NOT = "__filecheck_not"
_PREAMBLE = f'{_NOT}() {{ "$@"; local rc=$?; [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]; }}\n'


def _script(name: str, module: str) -> str:
    """The console script ``name`` next to the interpreter, else ``python -m module``."""
    path = BIN / name
    if path.exists():
        return shlex.quote(str(path))
    return f"{shlex.quote(sys.executable)} -m {module}"


COMMANDS = {"ircc": _script("ircc", "ircc.cli"), "filecheck": _script("filecheck", "filecheck"), "not": _NOT}


def run_lines(path: Path) -> list[str]:
    """The commands of the ``// RUN:`` lines of ``path``, continuation lines joined."""
    commands: list[str] = []
    pending = ""
    for line in path.read_text().splitlines():
        m = _RUN.match(line)
        if not m:
            continue
        cmd = m.group("cmd").strip()
        if cmd.endswith("\\"):
            pending += cmd[:-1] + " "
            continue
        commands.append(pending + cmd)
        pending = ""
    if pending:
        commands.append(pending)
    return commands


def substitute(command: str, path: Path, tmp: Path) -> str:
    """Replace ``%s``/``%S``/``%t``/``%%`` and the ``ircc``/``filecheck``/``not`` commands."""
    values = {"%s": shlex.quote(str(path)), "%S": shlex.quote(str(path.parent)),
              "%t": shlex.quote(str(tmp)), "%%": "%"}
    command = _SUBSTITUTION.sub(lambda m: values[m.group(0)], command)
    return _COMMAND.sub(lambda m: m.group("ws") + COMMANDS[m.group("cmd")], command)


def test_substitution() -> None:
    path = Path("/d/f.mlir")
    got = substitute("not ircc %s 2>&1 | filecheck %s --check-prefix=X", path, Path("/t"))
    ircc, filecheck = COMMANDS["ircc"], COMMANDS["filecheck"]
    assert got == f"{_NOT} {ircc} /d/f.mlir 2>&1 | {filecheck} /d/f.mlir --check-prefix=X"
    # words that only contain a command name stay
    assert substitute("echo ircc-x notircc %%s", path, Path("/t")) == "echo ircc-x notircc %s"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_filecheck(path: Path, tmp_path: Path) -> None:
    commands = run_lines(path)
    assert commands, f"{path}: no // RUN: lines"
    env = dict(os.environ, IRCC_CACHE_DIR=str(tmp_path / "cache"))
    for i, command in enumerate(commands):
        script = substitute(command, path, tmp_path / f"t{i}")
        proc = subprocess.run(["bash", "-o", "pipefail", "-c", _PREAMBLE + script], cwd=path.parent, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            pytest.fail(f"{path.relative_to(ROOT.parent.parent)}: RUN line {i + 1} failed "
                        f"(exit status {proc.returncode})\n"
                        f"  RUN: {command}\n  command: {script}\n"
                        f"--- stdout ---\n{proc.stdout}--- stderr ---\n{proc.stderr}", pytrace=False)
