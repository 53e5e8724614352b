"""Every example script runs to the end (the demo has its own make target)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES

SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if p.name != "demo.py")


def test_there_are_examples():
    assert any(p.name == "python_jit.py" for p in SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
