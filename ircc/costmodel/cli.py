"""``ircc costmodel collect | train | eval``: the learned cost model's data, training and evaluation.

    ircc costmodel collect [--out DATASET] [--budget SECONDS] [--families spgemm,graph,...] [--quick]
    ircc costmodel train [--data DATASET] [--out MODEL_DIR] [--budget SECONDS] [--ship]
    ircc costmodel eval [--data DATASET] [--json PATH] [--models lgbm-rank,...] [--seq-budget SECONDS]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from ircc.errors import IrccError

DEFAULT_DATA = "ircc-costmodel/dataset.jsonl"
DEFAULT_MODEL = "ircc-costmodel/model"


def build_costmodel_parser() -> argparse.ArgumentParser:
    from ircc.costmodel.train import MODELS
    from ircc.costmodel.variants import FAMILIES

    p = argparse.ArgumentParser(prog="ircc costmodel",
                                description="The learned cost model: collect timings of equivalent variants, "
                                            "train on them, evaluate how well models rank them.")
    sub = p.add_subparsers(dest="command", required=True, metavar="{collect,train,eval}")
    c = sub.add_parser("collect", help="time variants that ircc's own choices generate; write a dataset",
                       description="Compile groups of equivalent variants (SpGEMM strategies, graph plans, "
                                   "llvm vs numba, e-graph extractions, matmul strategies, SpGEMM on every core, "
                                   "loop orders, tile sizes), "
                                   "time each (process CPU time on one thread, wall clock for parallel ones; two "
                                   "shuffled passes, noisy ones measured again, the least kept) and write a "
                                   "JSON-lines dataset with this machine's fingerprint.")
    c.add_argument("--out", default=DEFAULT_DATA, metavar="PATH", help=f"the dataset to write (default {DEFAULT_DATA})")
    c.add_argument("--budget", type=float, default=180.0, metavar="SECONDS",
                   help="stop after about this long, compiling included (default 180)")
    c.add_argument("--families", default=",".join(FAMILIES), metavar="F[,F]",
                   help=f"variant families (default all: {','.join(FAMILIES)})")
    c.add_argument("--seed", type=int, default=0, help="seed of the generated inputs and of the shuffles")
    c.add_argument("--quick", action="store_true", help="small inputs only (a smoke run)")
    c.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    t = sub.add_parser("train", help="train the ranking model and the regression head on a dataset",
                       description="Train LightGBM's LambdaRank model and a regression head (the passes ask "
                                   "both, averaged) on every group of a dataset and write them to a model "
                                   "directory.")
    t.add_argument("--data", default=DEFAULT_DATA, metavar="PATH[,PATH]",
                   help=f"the dataset, or datasets of one machine joined (default {DEFAULT_DATA})")
    t.add_argument("--out", default=DEFAULT_MODEL, metavar="DIR", help=f"the model directory (default {DEFAULT_MODEL})")
    t.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                   help="stop boosting after about this long (default: every round; a few seconds)")
    t.add_argument("--ship", action="store_true",
                   help="write into the package's models for this machine's class instead (what cost='learned' "
                        "loads)")
    e = sub.add_parser("eval", help="evaluate the models on held-out kernels and left-out families",
                       description="Cross-validate every model with whole kernels held out, and train on all "
                                   "families but one; print the metrics (and --json them).")
    e.add_argument("--data", default=DEFAULT_DATA, metavar="PATH[,PATH]",
                   help=f"the dataset, or datasets of one machine joined (default {DEFAULT_DATA})")
    e.add_argument("--json", default=None, metavar="PATH", help="also write the metrics as JSON")
    e.add_argument("--models", default=",".join(MODELS), metavar="M[,M]",
                   help=f"models to evaluate (default all: {','.join(MODELS)})")
    e.add_argument("--seq-budget", type=float, default=20.0, metavar="SECONDS",
                   help="training time of the sequence model per fold (default 20)")
    return p


def run_costmodel(argv: list[str]) -> int:
    ns = build_costmodel_parser().parse_args(argv)
    if ns.command == "collect":
        return _collect(ns)
    if ns.command == "train":
        return _train(ns)
    return _eval(ns)


def _collect(ns: argparse.Namespace) -> int:
    from ircc.costmodel.collect import collect

    if ns.budget <= 0:
        raise IrccError(f"--budget must be positive, not {ns.budget}")
    families = tuple(f.strip() for f in ns.families.split(",") if f.strip())
    done = collect(ns.out, budget_s=ns.budget, families=families, seed=ns.seed, quick=ns.quick,
                   progress=ns.progress)
    print(f"wrote {done.path}: {done.groups} groups, {done.variants} variants in {done.seconds:.0f} s")
    return 0


def _train(ns: argparse.Namespace) -> int:
    from ircc.costmodel.collect import load
    from ircc.costmodel.learned import shipped_dir
    from ircc.costmodel.train import prepare, train_and_save

    header, records = load(ns.data)
    d = prepare(records)
    out = shipped_dir(header["machine_class"]) if ns.ship else Path(ns.out)
    if ns.budget is not None and ns.budget <= 0:
        raise IrccError(f"costmodel train: --budget {ns.budget:g}: give a positive number of seconds")
    train_and_save(d, out, header, records, budget_s=ns.budget)
    print(f"wrote {out}: trained on {len(d.group_names)} groups, {len(d.y)} variants "
          f"(machine class {header['machine_class']})")
    return 0


def fmt(x: float) -> str:
    """A metric for a table: three decimals, '-' where there is none."""
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def _eval(ns: argparse.Namespace) -> int:
    from ircc.costmodel.collect import load
    from ircc.costmodel.train import METRICS, MODELS, evaluate, prepare

    models = tuple(m.strip() for m in ns.models.split(",") if m.strip())
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise IrccError(f"unknown model {', '.join(unknown)}; models are: {', '.join(MODELS)}")
    header, records = load(ns.data)
    d = prepare(records)
    result = evaluate(d, models, ns.seq_budget)
    print(f"{ns.data}: {len(d.group_names)} groups, {len(d.y)} variants, machine class {header['machine_class']}")
    for split, title in (("held_out_kernels", "held-out kernels"), ("leave_one_family_out", "leave one family out")):
        print(f"\n{title}:")
        print(f"  {'model':13s} " + " ".join(f"{m:>12s}" for m in METRICS))
        for model, m in result[split].items():
            print(f"  {model:13s} " + " ".join(f"{fmt(m[k]):>12s}" for k in METRICS))
    if ns.json:
        held = result["held_out_kernels"]
        primary = held.get("lgbm-ens") or held.get("lgbm-rank") or next(iter(held.values()))  # what passes use
        summary = {k: primary[k] for k in METRICS}
        reg = held.get("lgbm-reg")
        if reg is not None:
            summary["mape"] = reg["mape"]  # the ranking scores are no times: the regression head's
        summary |= {"machine_class": header["machine_class"], "groups": len(d.group_names),
                    "variants": int(len(d.y)), "models": result}
        Path(ns.json).parent.mkdir(parents=True, exist_ok=True)
        Path(ns.json).write_text(json.dumps(summary, indent=1, default=float) + "\n")
        print(f"\nwrote {ns.json}", file=sys.stderr)
    return 0
