"""The ``ircc`` command: good and bad input through ``ircc.cli.main`` and through a real process.

Bad input must give ``error: ...`` (with ``file:line:col``, the line and a caret for malformed MLIR),
exit status 1 and no Python traceback. Tests marked ``xfail(strict=True)`` pin known bugs: when one
is fixed the test passes, fails as XPASS, and its marker should go.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ircc
from ircc.backends import all_targets
from ircc.cli import OUTPUT_KINDS, main
from ircc.ir.text import parse_module
from ircc.passes import pass_summaries
from tests.conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.usefixtures("cache_dir")  # IRCC_CACHE_DIR -> a fresh tmp dir per test

SAXPY = EXAMPLES / "mlir" / "saxpy.mlir"
MATSUM = EXAMPLES / "mlir" / "matsum.mlir"

UNDEFINED_VALUE = """\
func.func @f(%x: f64) -> f64 {
  %y = arith.addf %x, %q : f64
  func.return %y : f64
}
"""

POWERS = """\
func.func @pow5(%x: f64) -> f64 {
  %n = arith.constant 5 : i32
  %y = math.fpowi %x, %n : f64, i32
  func.return %y : f64
}
"""

SCALE = """\
func.func @scale(%a: f64, %n: i32) -> f64 {
  %f = arith.sitofp %n : i32 to f64
  %r = arith.mulf %a, %f : f64
  func.return %r : f64
}
"""


def known_bug(where_and_what: str) -> pytest.MarkDecorator:
    """Mark a test of what ircc should do that fails until the bug described is fixed."""
    return pytest.mark.xfail(strict=True, reason=where_and_what)


def ircc_main(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """Run ``ircc ARGV`` in this process; return (exit status, stdout, stderr)."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def ircc_process(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``ircc ARGV`` as its own process (the console script next to this interpreter)."""
    script = Path(sys.executable).parent / "ircc"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "ircc.cli"]
    return subprocess.run(command + [str(a) for a in argv], capture_output=True, text=True, timeout=120,
                          check=False)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ---- malformed input ---------------------------------------------------------------------------


def test_malformed_mlir_points_at_the_use(capsys, tmp_path):
    bad = write(tmp_path / "bad.mlir", UNDEFINED_VALUE)
    status, out, err = ircc_main(capsys, bad)
    assert status == 1
    assert out == ""
    assert err.splitlines() == [
        f"{bad}:2:23: error: use of undefined value %q",
        "  %y = arith.addf %x, %q : f64",
        "                      ^^",
    ]


def test_malformed_mlir_in_a_process_has_no_traceback(tmp_path):
    bad = write(tmp_path / "bad.mlir", UNDEFINED_VALUE)
    proc = ircc_process(bad, "-p", "cse")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"{bad}:2:23: error: use of undefined value %q\n")
    assert proc.stdout == ""


def test_type_mismatch_is_a_source_error(capsys, tmp_path):
    bad = write(tmp_path / "bad.mlir", UNDEFINED_VALUE.replace("%x, %q : f64", "%x, %x : f32"))
    status, _, err = ircc_main(capsys, bad)
    assert status == 1
    assert err.startswith(f"{bad}:2:19: error: ")
    assert "f32" in err and "f64" in err


def test_undefined_value_ignores_comments(capsys, tmp_path):
    bad = write(tmp_path / "bad.mlir", "// %q is the input squared\n" + UNDEFINED_VALUE)
    status, _, err = ircc_main(capsys, bad)
    assert status == 1
    assert err.startswith(f"{bad}:3:23: error: use of undefined value %q")


def test_verifier_error_points_at_the_op(capsys, tmp_path):
    bad = write(tmp_path / "bad.mlir", "func.func @f(%x: f64) -> f32 {\n  func.return %x : f64\n}\n")
    status, _, err = ircc_main(capsys, bad)
    assert status == 1
    lines = err.splitlines()
    assert lines[0].startswith(f"{bad}:2:3: error: 'func.return' op does not verify: ")
    assert lines[1:3] == ["  func.return %x : f64", "  ^^^^^^^^^^^"]


# ---- unknown names and files -------------------------------------------------------------------


def test_unknown_pass_lists_the_valid_names(capsys):
    status, out, err = ircc_main(capsys, SAXPY, "-p", "canonicalize,no-such-pass")
    assert status == 1 and out == ""
    assert err.startswith("error: unknown pass 'no-such-pass'; valid pass names are: ")
    for name in pass_summaries():
        assert name in err


def test_unknown_pass_in_a_process_has_no_traceback():
    proc = ircc_process(SAXPY, "-p", "no-such-pass")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "unknown pass 'no-such-pass'" in proc.stderr and "expand-powi" in proc.stderr


def test_unknown_target_lists_the_valid_names(capsys):
    status, _, err = ircc_main(capsys, SAXPY, "-t", "no-such-target")
    assert status == 1
    assert err.startswith("error: unknown target 'no-such-target'; valid target names are: ")
    for name in all_targets():
        assert name in err


def test_unknown_output_suffix(capsys, tmp_path):
    status, _, err = ircc_main(capsys, SAXPY, "-o", tmp_path / "out.txt")
    assert status == 1
    assert "unknown suffix '.txt'" in err
    for suffix in OUTPUT_KINDS:
        assert suffix in err
    assert not (tmp_path / "out.txt").exists()


def test_missing_input_file(capsys, tmp_path):
    status, out, err = ircc_main(capsys, tmp_path / "absent.mlir")
    assert status == 1 and out == ""
    assert "cannot read" in err and "absent.mlir" in err and "No such file" in err


def test_missing_input_file_says_error(capsys, tmp_path):
    _, _, err = ircc_main(capsys, tmp_path / "absent.mlir")
    assert err.startswith("error: cannot read")


def test_no_input_file(capsys):
    status, _, err = ircc_main(capsys)
    assert status == 1
    assert err.startswith("error: no input file")


def test_bad_pass_option(capsys):
    status, _, err = ircc_main(capsys, SAXPY, "-p", "expand-powi{max-exponent=many}")
    assert status == 1
    assert err.startswith("error: pass 'expand-powi': bad options")


def test_malformed_pipeline(capsys):
    status, _, err = ircc_main(capsys, SAXPY, "-p", "cse{")
    assert status == 1
    assert err.startswith("error: malformed pipeline 'cse{'")


# ---- listings ----------------------------------------------------------------------------------


def test_list_passes(capsys):
    status, out, _ = ircc_main(capsys, "--list-passes")
    assert status == 0
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == list(pass_summaries())
    assert "expand-powi" in listed and "convert-scf-parallel-to-for" in listed


def test_list_targets(capsys):
    status, out, _ = ircc_main(capsys, "--list-targets")
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == list(all_targets())


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"ircc {ircc.__version__}"


# ---- pipelines and debugging switches ----------------------------------------------------------


def test_pipeline_with_options(capsys, tmp_path):
    src = write(tmp_path / "pow.mlir", POWERS)
    status, out, _ = ircc_main(capsys, src, "-p", "expand-powi")
    assert status == 0
    assert "math.fpowi" not in out and out.count("arith.mulf") == 3
    status, out, _ = ircc_main(capsys, src, "-p", "expand-powi{max-exponent=4}")
    assert status == 0
    assert "math.fpowi" in out and "arith.mulf" not in out


def test_dump_dir(capsys, tmp_path):
    dump = tmp_path / "dump"
    status, out, _ = ircc_main(capsys, SAXPY, "-p", "convert-scf-parallel-to-for,cse", "--dump-dir", dump)
    assert status == 0
    names = sorted(p.name for p in dump.iterdir())
    assert names == ["00-input.mlir", "01-convert-scf-parallel-to-for.mlir", "02-cse.mlir"]
    for name in names:
        parse_module((dump / name).read_text(), name)  # each stage is re-parsable
    assert '"scf.parallel"' in (dump / "00-input.mlir").read_text()
    assert "scf.for" in (dump / "01-convert-scf-parallel-to-for.mlir").read_text()
    assert (dump / "02-cse.mlir").read_text() == out


def dumps(err: str) -> list[str]:
    """The ``// -----// IR Dump <when> <pass> //----- //`` headers in ``err``, as '<when> <pass>'."""
    prefix, suffix = "// -----// IR Dump ", " //----- //"
    return [line[len(prefix):-len(suffix)] for line in err.splitlines() if line.startswith(prefix)]


PIPELINE = "convert-scf-parallel-to-for,cse"


def test_print_ir_after_all(capsys):
    status, out, err = ircc_main(capsys, SAXPY, "-p", PIPELINE, "--print-ir-after-all")
    assert status == 0
    assert dumps(err) == ["After convert-scf-parallel-to-for", "After cse"]
    assert out.strip() in err  # the last dump is the output


def test_print_ir_after_one_pass(capsys):
    status, _, err = ircc_main(capsys, SAXPY, "-p", PIPELINE, "--print-ir-after=cse")
    assert status == 0
    assert dumps(err) == ["After cse"]


def test_print_ir_before_one_pass(capsys):
    status, _, err = ircc_main(capsys, SAXPY, "-p", PIPELINE, "--print-ir-before=cse")
    assert status == 0
    assert dumps(err) == ["Before cse"]
    assert "scf.for" in err and "scf.parallel" not in err  # the IR after the pass before cse


def test_print_ir_after_change(capsys):
    # convert-scf-parallel-to-for changes saxpy, cse then finds nothing to do
    status, _, err = ircc_main(capsys, SAXPY, "-p", PIPELINE, "--print-ir-after-change")
    assert status == 0
    assert dumps(err) == ["After convert-scf-parallel-to-for"]


def test_time_passes(capsys):
    status, out, err = ircc_main(capsys, SAXPY, "-p", PIPELINE, "--time-passes")
    assert status == 0
    assert "scf.for" in out
    assert "pass execution timing report" in err
    rows = [line.split()[-1] for line in err.splitlines() if "%" in line]
    assert rows == ["convert-scf-parallel-to-for", "cse", "total"]


def test_emit_stops_after_a_pass(capsys, tmp_path):
    src = write(tmp_path / "pow.mlir", POWERS)
    status, out, _ = ircc_main(capsys, src, "-p", "expand-powi,canonicalize", "--emit=input")
    assert status == 0 and "math.fpowi" in out
    status, out, _ = ircc_main(capsys, src, "-p", "expand-powi,canonicalize", "--emit=expand-powi")
    assert status == 0 and "math.fpowi" not in out and "arith.mulf" in out
    status, _, err = ircc_main(capsys, src, "-p", "expand-powi", "--emit=cse")
    assert status == 1 and "--emit=cse: no such stage" in err


def test_emit_llvm_to_stdout(capsys):
    status, out, _ = ircc_main(capsys, SAXPY, "--emit=llvm")
    assert status == 0
    assert out.startswith("; ModuleID")


# ---- outputs -----------------------------------------------------------------------------------


def test_output_mlir(capsys, tmp_path):
    dest = tmp_path / "out.mlir"
    status, out, _ = ircc_main(capsys, SAXPY, "-p", PIPELINE, "-o", dest)
    assert status == 0 and out == ""
    module = parse_module(dest.read_text(), str(dest))
    assert "scf.for" in dest.read_text() and module.ops.first is not None


def test_output_llvm_ir(capsys, tmp_path):
    import llvmlite.binding as llvm

    dest = tmp_path / "out.ll"
    status, _, _ = ircc_main(capsys, SAXPY, "-t", "llvm", "-o", dest)
    assert status == 0
    parsed = llvm.parse_assembly(dest.read_text())
    parsed.verify()
    assert "saxpy" in {f.name for f in parsed.functions}


def test_output_suffix_must_match_the_target(capsys, tmp_path):
    status, _, err = ircc_main(capsys, SAXPY, "-t", "numba", "-o", tmp_path / "out.ll")
    assert status == 1 and "error:" in err


def test_output_object(capsys, tmp_path):
    dest = tmp_path / "saxpy.o"
    status, _, err = ircc_main(capsys, SAXPY, "-o", dest)
    assert status == 0
    assert f"wrote {dest}" in err
    if sys.platform.startswith("linux"):
        assert dest.read_bytes()[:4] == b"\x7fELF"
    assert "void _ircc_packed_saxpy(void **args);" in dest.with_suffix(".h").read_text()


def memref_descriptor(array: np.ndarray) -> ctypes.Structure:
    """MLIR's descriptor of ``array``: {allocated, aligned, offset, sizes[rank], strides[rank]}."""
    rank = array.ndim
    sizes = ctypes.c_int64 * rank

    class Descriptor(ctypes.Structure):
        _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p), ("offset", ctypes.c_int64),
                    ("sizes", sizes), ("strides", sizes)]

    strides = [s // array.itemsize for s in array.strides]
    return Descriptor(array.ctypes.data, array.ctypes.data, 0, sizes(*array.shape), sizes(*strides))


def packed_args(*values: ctypes._SimpleCData | ctypes.Structure) -> ctypes.Array:
    """``void **args``: args[i] points to value i (keep ``values`` alive for the call)."""
    return (ctypes.c_void_p * len(values))(*(ctypes.cast(ctypes.pointer(v), ctypes.c_void_p) for v in values))


def test_output_shared_library_runs(capsys, tmp_path):
    dest = tmp_path / "saxpy.so"
    status, _, _ = ircc_main(capsys, SAXPY, "-o", dest)
    assert status == 0
    header = dest.with_suffix(".h").read_text()
    assert "typedef struct { void *allocated; void *aligned; int64_t offset; int64_t sizes[1]; " \
           "int64_t strides[1]; } ircc_memref1_t;" in header
    lib = ctypes.CDLL(str(dest))
    x = np.arange(1000, dtype=np.float64)
    y = np.ones(1000)
    a = ctypes.c_double(2.0)
    dx, dy = memref_descriptor(x), memref_descriptor(y)
    lib._ircc_packed_saxpy(packed_args(a, dx, dy))
    np.testing.assert_array_equal(y, 2.0 * np.arange(1000) + 1.0)


def test_output_shared_library_returns_a_result(capsys, tmp_path):
    src = write(tmp_path / "scale.mlir", SCALE)
    dest = tmp_path / "scale.so"
    assert ircc_main(capsys, src, "-o", dest)[0] == 0
    lib = ctypes.CDLL(str(dest))
    a, n, result = ctypes.c_double(1.5), ctypes.c_int32(4), ctypes.c_double(0.0)
    lib._ircc_packed_scale(packed_args(a, n, result))  # one pointer per result after the arguments
    assert result.value == 6.0


def test_output_numba_python(capsys, tmp_path):
    dest = tmp_path / "saxpy.py"
    status, _, _ = ircc_main(capsys, SAXPY, "-t", "numba", "-o", dest)
    assert status == 0
    text = dest.read_text()
    compile(text, str(dest), "exec")  # valid Python
    assert "def f_saxpy(" in text and "prange" in text


# ---- ircc run ----------------------------------------------------------------------------------


def test_run_with_numbers_and_arrays(capsys, tmp_path):
    np.save(tmp_path / "x.npy", np.arange(4.0))
    np.save(tmp_path / "y.npy", np.ones(4))
    status, out, _ = ircc_main(capsys, "run", SAXPY, "2.0", tmp_path / "x.npy", tmp_path / "y.npy")
    assert status == 0
    assert "argument 2 after the call: float64 array of shape (4,)\n[1. 3. 5. 7.]" in out
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), np.ones(4))  # the file is not changed


def test_run_scalars(capsys, tmp_path):
    src = write(tmp_path / "scale.mlir", SCALE)
    status, out, _ = ircc_main(capsys, "run", src, "1.5", "0x10")
    assert status == 0
    assert out == "result 0: 24.0\n"


def test_run_entry_and_save(capsys, tmp_path):
    m = np.arange(6.0).reshape(2, 3)
    np.save(tmp_path / "m.npy", m)
    status, out, _ = ircc_main(capsys, "run", MATSUM, "--entry", "matsum", tmp_path / "m.npy")
    assert status == 0 and out.startswith("result 0: 15.0\n")
    status, out, _ = ircc_main(capsys, "run", MATSUM, "--entry", "rowsums", tmp_path / "m.npy",
                               "--save", tmp_path / "saved")
    assert status == 0
    np.testing.assert_array_equal(np.load(tmp_path / "saved" / "result0.npy"), m.sum(axis=1))


@pytest.mark.parametrize(("args", "message"), [
    (["2.0", "x.npy"], ("@saxpy takes 3 argument(s) (float64, float64 array of shape (?), "
                        "float64 array of shape (?)); got 2")),
    (["x.npy", "x.npy", "x.npy"], "argument 0 of @saxpy: 'x.npy' is not a number of type float64"),
    (["2", "3", "x.npy"], "argument 1 of @saxpy is a float64 array of shape (?): pass a .npy file, not '3'"),
    (["2", "m.npy", "x.npy"], ("argument 1: m.npy has shape (2, 3); "
                               "@saxpy expects a float64 array of shape (?)")),
    (["2", "absent.npy", "x.npy"], "argument 1: cannot load absent.npy"),
], ids=["count", "number", "array", "rank", "missing-file"])
def test_run_bad_arguments(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    np.save("x.npy", np.arange(4.0))
    np.save("m.npy", np.zeros((2, 3)))
    status, out, err = ircc_main(capsys, "run", SAXPY, *args)
    assert status == 1 and out == ""
    assert err.startswith(f"error: {message}")


def test_run_needs_an_entry_among_several(capsys, tmp_path):
    np.save(tmp_path / "m.npy", np.zeros((2, 3)))
    status, _, err = ircc_main(capsys, "run", MATSUM, tmp_path / "m.npy")
    assert status == 1
    assert "2 functions (matsum, rowsums)" in err
    status, _, err = ircc_main(capsys, "run", MATSUM, "--entry", "nope", tmp_path / "m.npy")
    assert status == 1
    assert "no function @nope in the module; functions are: matsum, rowsums" in err


def test_run_entry_hint_names_the_flag(capsys, tmp_path):
    np.save(tmp_path / "m.npy", np.zeros((2, 3)))
    _, _, err = ircc_main(capsys, "run", MATSUM, tmp_path / "m.npy")
    assert "--entry" in err


def test_run_save_writes_arguments(capsys, tmp_path):
    np.save(tmp_path / "x.npy", np.arange(4.0))
    np.save(tmp_path / "y.npy", np.ones(4))
    saved = tmp_path / "saved"
    ircc_main(capsys, "run", SAXPY, "2.0", tmp_path / "x.npy", tmp_path / "y.npy", "--save", saved)
    assert len(list(saved.glob("*.npy"))) >= 1


# ---- generated docs ----------------------------------------------------------------------------


def test_docs_are_up_to_date(tmp_path):
    from ircc import docgen

    assert docgen.main([str(tmp_path)]) == 0
    stale = [name for name in sorted(p.name for p in tmp_path.iterdir())
             if not (ROOT / "docs" / name).exists()
             or (ROOT / "docs" / name).read_text() != (tmp_path / name).read_text()]
    assert not stale, f"docs/{', docs/'.join(stale)} out of date: run `python -m ircc.docgen docs`"


def test_verify_error_after_an_implicit_yield(capsys, tmp_path):
    """An scf.for whose yield the custom syntax leaves out does not shift the location of a later bad op."""
    src = tmp_path / "bad.mlir"
    src.write_text('func.func @f(%n: index) {\n  %c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index\n'
                   '  scf.for %i = %c0 to %n step %c1 {\n  }\n  "scf.yield"() : () -> ()\n  func.return\n}\n')
    status, out, err = ircc_main(capsys, src)
    assert status == 1
    assert err.startswith(f"{src}:6:3: error: 'scf.yield' op does not verify")
