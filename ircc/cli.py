"""The ``ircc`` command: run pass pipelines on MLIR files, emit code, run functions.

    ircc INPUT.mlir [-p PIPELINE] [-t TARGET] [-o OUT] [--emit=STAGE] [debugging switches]
    ircc run INPUT.mlir --entry NAME [ARGS...]
    ircc costmodel collect | train | eval     (ircc/costmodel/cli.py)
    ircc --list-passes | --list-targets | --version

User errors print ``error: ...`` (with ``file:line:col``, the line and a caret for bad input) and
exit with status 1; no Python traceback reaches the user for bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ircc.errors import IrccError, SourceError

OUTPUT_KINDS = {".mlir": "mlir", ".ll": "llvm", ".o": "object", ".so": "shared", ".py": "python"}


def _add_shared_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-t", "--target", default=None,
                   help="backend: llvm, numba, interp, cpu (llvm or numba) (default: none, only run passes)")
    p.add_argument("-p", "--pipeline", default=None, help="pass pipeline, as xdsl-opt -p spells it: 'canonicalize,cse'")
    p.add_argument("--threads", type=int, default=None, help="worker threads for parallel loops (default: all cores)")
    p.add_argument("--machine", default=None, metavar="PRESET",
                   help="target piuma: the simulated machine (core, die or sled; default core)")
    p.add_argument("--fastmath", action="store_true", help="allow value-changing floating-point rewrites")
    p.add_argument("--eqsat", action=argparse.BooleanOptionalAction, default=None,
                   help="run the e-graph pass (eqsat) first; --no-eqsat removes it (default: as the input's "
                        "frontend decides: off for MLIR files)")
    p.add_argument("--no-verify", dest="verify", action="store_false", help="do not verify after every pass")
    p.add_argument("--no-cache", dest="cache", action="store_false", help="do not use the on-disk compile cache")
    p.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass (stderr)")
    p.add_argument("--print-ir-after", default="", metavar="PASS[,PASS]", help="print the IR after these passes")
    p.add_argument("--print-ir-before", default="", metavar="PASS[,PASS]", help="print the IR before these passes")
    p.add_argument("--print-ir-after-change", action="store_true", help="print the IR after passes that change it")
    p.add_argument("--dump-dir", default=None, metavar="DIR", help="write NN-<pass>.mlir after every pass")
    p.add_argument("--time-passes", action="store_true", help="print a table of wall time per pass (stderr)")


def build_parser() -> argparse.ArgumentParser:
    from ircc import __version__

    p = argparse.ArgumentParser(
        prog="ircc", description="ircc: run pass pipelines on MLIR, emit and run code.",
        epilog="Subcommands: `ircc run INPUT.mlir --entry NAME [ARGS...]` runs a function "
               "(see `ircc run --help`); `ircc costmodel collect|train|eval` builds the learned cost model "
               "(see `ircc costmodel --help`).")
    p.add_argument("input", nargs="?", help="MLIR file ('-' for standard input)")
    p.add_argument("-o", "--output", default=None,
                   help="output file; its suffix says what: .mlir, .ll, .o, .so (with a .h header), .py")
    p.add_argument("--emit", default=None, metavar="STAGE",
                   help="stop at STAGE: input, a pass name of the pipeline, or the backend source (llvm, py)")
    _add_shared_options(p)
    p.add_argument("--list-passes", action="store_true", help="list the registered passes")
    p.add_argument("--list-targets", action="store_true", help="list the registered targets")
    p.add_argument("--version", action="version", version=f"ircc {__version__}")
    return p


def build_run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ircc run", description="Run a function of an MLIR file and print its results.")
    p.add_argument("input", help="MLIR file")
    p.add_argument("--entry", default=None, help="the function to run (default: the only one)")
    p.add_argument("args", nargs="*", help="arguments: numbers, or .npy files for memrefs")
    p.add_argument("--save", default=None, metavar="DIR", help="also save memref results and arguments as .npy")
    _add_shared_options(p)
    return p


def _options(ns: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "fastmath": ns.fastmath, "verify": ns.verify, "cache": ns.cache,
        "print_ir_after_all": ns.print_ir_after_all, "print_ir_after": ns.print_ir_after,
        "print_ir_before": ns.print_ir_before, "print_ir_after_change": ns.print_ir_after_change,
        "dump_dir": ns.dump_dir, "time_passes": ns.time_passes, "pipeline": ns.pipeline or "",
        "eqsat": ns.eqsat,
    }
    if ns.threads is not None:
        opts["threads"] = ns.threads
    if ns.machine is not None:
        opts["machine"] = ns.machine
    return opts


def _read_input(path: str) -> tuple[str, str]:
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return Path(path).read_text(), path
    except OSError as err:
        raise IrccError(f"cannot read {path}: {err.strerror}") from None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "run":
            return _run(build_run_parser().parse_intermixed_args(argv[1:]))
        if argv and argv[0] == "costmodel":
            from ircc.costmodel.cli import run_costmodel

            return run_costmodel(argv[1:])
        return _compile(build_parser().parse_args(argv))
    except SourceError as err:  # already `file:line:col: error: ...` with the line and a caret
        print(err.render(), file=sys.stderr)
        return 1
    except IrccError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _compile(ns: argparse.Namespace) -> int:
    if ns.list_passes:
        from ircc.passes import pass_summaries

        for name, summary in pass_summaries().items():
            print(f"  {name:32s} {summary}")
        return 0
    if ns.list_targets:
        from ircc.backends import all_targets

        for name, desc in all_targets().items():
            print(f"  {name:10s} {desc}")
        return 0
    if ns.input is None:
        raise IrccError("no input file; usage: ircc INPUT.mlir [-p PIPELINE] [-t TARGET] [-o OUT] (see ircc --help)")
    text, filename = _read_input(ns.input)
    kind = _output_kind(ns.output)
    if ns.output in (None, "-") and ns.emit in ("llvm", "llvm-opt"):
        kind = "llvm"
    elif ns.output in (None, "-") and ns.emit in ("py", "python"):
        kind = "python"
    target = _target_for(kind, ns.target, ns.output or f"--emit={ns.emit}")

    from ircc.ir.text import parse_module

    module = parse_module(text, filename)
    opts = _options(ns)
    if target is None or ns.emit not in (None, "llvm", "llvm-opt", "py", "python"):
        return _passes_only(module, ns, opts)
    if kind in ("object", "shared"):
        return _ahead_of_time(module, ns, opts, kind)

    import ircc

    kernel = ircc.compile(module, target=target, emit=ns.emit, entry=_any_entry(module), **opts)
    if ns.emit == "llvm-opt":
        out = kernel.sources.get("llvm-opt", kernel.source)
    elif kind == "mlir":
        out = kernel.stages[-1][1]
    else:
        out = kernel.source
    _write(ns.output, out)
    return 0


#: the target each output kind needs
_KIND_TARGET = {"llvm": "llvm", "object": "llvm", "shared": "llvm", "python": "numba"}


def _target_for(kind: str, target: str | None, what: str) -> str | None:
    """The target an output needs; a -t that cannot produce it is an error, not a silent switch."""
    needed = _KIND_TARGET.get(kind)
    if needed is None:
        return target
    if target is not None and target not in (needed, "cpu"):
        raise IrccError(f"{what} needs target '{needed}', but -t {target} was given; "
                        f"use -t {needed} or another output ({', '.join(OUTPUT_KINDS)})")
    return needed


def _any_entry(module) -> str | None:
    from ircc.backends.base import public_functions

    funcs = public_functions(module)
    return funcs[0].sym_name.data if funcs else None


def _passes_only(module, ns: argparse.Namespace, opts: dict[str, Any]) -> int:
    from ircc.ir.text import print_module
    from ircc.options import Options
    from ircc.passes.pipeline import Pipeline, parse_pipeline_spec

    from ircc.driver import with_eqsat

    options = Options.from_kwargs(**{k: v for k, v in opts.items() if k != "pipeline"})
    passes = with_eqsat(parse_pipeline_spec(opts["pipeline"]), options, default_on=False)
    if ns.emit is not None:
        from ircc.driver import stop_index

        stop = stop_index(ns.emit, passes)
        if stop is not None:
            passes = passes[:stop]
    Pipeline(passes, options).run(module, record=False)
    _write(ns.output, print_module(module))
    return 0


def _ahead_of_time(module, ns: argparse.Namespace, opts: dict[str, Any], kind: str) -> int:
    from ircc.backends.llvm.aot import write_object, write_shared
    from ircc.options import Options
    from ircc.passes.pipeline import Pipeline, parse_pipeline_spec

    from ircc.driver import with_eqsat

    options = Options.from_kwargs(**{k: v for k, v in opts.items() if k != "pipeline"})
    passes = with_eqsat(parse_pipeline_spec(opts["pipeline"]), options, default_on=False)
    Pipeline(passes, options).run(module, record=False)
    out = Path(ns.output)
    header = (write_shared if kind == "shared" else write_object)(module, out, options)
    print(f"wrote {out} and {header}", file=sys.stderr)
    return 0


def _output_kind(output: str | None) -> str:
    if output is None or output == "-":
        return "mlir"
    suffix = Path(output).suffix
    if suffix not in OUTPUT_KINDS:
        raise IrccError(f"-o {output}: unknown suffix '{suffix}'; use one of {', '.join(OUTPUT_KINDS)}")
    return OUTPUT_KINDS[suffix]


def _write(output: str | None, text: str) -> None:
    if output is None or output == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        Path(output).write_text(text)
    except OSError as err:
        raise IrccError(f"cannot write {output}: {err.strerror}") from None


def _run(ns: argparse.Namespace) -> int:
    import numpy as np

    import ircc
    from ircc.cli_run import format_result, parse_arguments

    text, filename = _read_input(ns.input)
    opts = _options(ns)
    kernel = ircc.compile(text if filename != ns.input else Path(ns.input), target=ns.target or "cpu",
                          entry=ns.entry, **opts)
    signature = kernel._artifact.signatures[kernel.entry]
    args = parse_arguments(ns.args, signature)
    result = kernel(*args)
    results = result if isinstance(result, tuple) else ((result,) if result is not None else ())
    for i, r in enumerate(results):
        print(f"result {i}: {format_result(r)}")
    for i, (a, spec) in enumerate(zip(args, signature.args)):
        if spec.is_memref:
            print(f"argument {i} after the call: {format_result(a)}")
    if ns.save:
        d = Path(ns.save)
        d.mkdir(parents=True, exist_ok=True)
        for i, r in enumerate(results):
            np.save(d / f"result{i}.npy", np.asarray(r))
        for i, (a, spec) in enumerate(zip(args, signature.args)):
            if spec.is_memref:
                np.save(d / f"argument{i}.npy", a)
        print(f"saved results and memref arguments as .npy files in {d}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
