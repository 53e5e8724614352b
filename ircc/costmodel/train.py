"""``ircc costmodel train`` / ``eval``: models over a collected dataset, and how well they rank variants.

Models (each predicts a score per variant; lower is faster):

* ``lgbm-ens``: what the passes use: the two rankers below, each z-scored within the group, averaged. The
  ranker by places orders pairs well but is blind to how far apart they are; the one by time ratios picks
  near-best variants but ties the far-off ones. Averaged, their held-out regret and pairwise accuracy both beat
  either alone. (The regression head was the ranker's partner before: it vetoed the ranker's worst picks on
  earlier datasets, but its scale across groups cost the graph plans most: 16% regret against 4%.);
* ``lgbm-rank``: LightGBM with the LambdaRank objective, one query per group of equivalent variants; the
  relevance is the place from the slowest (the faster a variant, the higher);
* ``lgbm-rank-mag``: the same with relevance by the time ratio to the group's fastest: 10 for the fastest,
  0 at ``MAG_CAP`` times slower or more, linear in the log between;
* ``lgbm-reg``: LightGBM regression on log time (the regression head: it gives times, so MAPE);
* ``seq``: a small torch model over the IR's tokens (embedding, convolution, pooling) beside the input's
  figures, regressing log time (the seed paper's model over MLIR text); needs the ``costmodel`` extra;
* ``op-count``: the baseline: the IR's trip-weighted op count times the input's size;
* ``noise``: pass 1's times ranking pass 2's: the ceiling any model can reach on these measurements.

Columns: the IR features (``features.feature_names``, log1p), the input's figures (log1p of the union of every
family's names, absent ones NaN), the knobs named apart from the IR (the backend, the planner passes a graph
plan leaves out, the BLAS a matmul calls), estimates of the work (the IR's ops per dynamic-depth bucket times
the input's size at that depth: ``estimates``, which carry over to kernels the model has not seen), the family,
and each estimate and each memory-traffic feature (``RELATIVE_IR``: cache and TLB misses, loop entries)
relative to its group's mean (``with_relative``).

Evaluation (``evaluate``):

* ``held-out kernels``: ``FOLDS``-fold cross-validation whose folds hold whole kernels (a family with fewer
  than ``FOLDS`` kernels -- SpGEMM's one -- holds out whole inputs instead): no variant of a test group, nor
  of its kernel, is seen in training;
* ``leave-one-family-out``: trained on the other families, tested on one.

Metrics over the test groups: ``mape`` (the regression head's), ``kendall_tau`` (mean over groups),
``pairwise_acc`` (pairs whose measured gap exceeds both variants' noise), ``top1`` (the predicted fastest is
the fastest), ``regret_gmean`` / ``regret_max`` (time of the predicted fastest over the fastest, minus one).
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ircc.costmodel.features import CATEGORIES, DYN_BUCKETS, feature_names
from ircc.costmodel.variants import FAMILIES

FOLDS = 5
DEPTHS = DYN_BUCKETS
METRICS = ("mape", "kendall_tau", "pairwise_acc", "top1", "regret_gmean", "regret_max")
MODELS = ("lgbm-ens", "lgbm-rank", "lgbm-rank-mag", "lgbm-reg", "seq", "op-count", "noise")
#: lgbm-rank-mag's relevance: 0 for a variant this many times slower than its group's fastest
MAG_CAP = 4.0
#: the input figures of every family, in column order
INPUT_KEYS = ("m", "n", "nnz", "flops", "nnz_per_row", "flops_per_row", "max_row_flops", "cv_row_flops",
              "max_row_nnz", "flops_per_n", "vertices", "edges", "mean_degree", "max_degree", "cv_degree",
              "wedges", "deg2_sum", "deg3_sum", "points", "outputs", "variables", "k", "threads")
#: the estimated work columns: trip-weighted ops of these categories, each dynamic-depth bucket scaled by
#: the input's size at that depth (``level_sizes``)
ESTIMATES = {"all": None, "load": ("load_",), "store": ("store_",), "arith": ("int", "float", "div"),
             "math": ("math",), "control": ("branch", "while", "call", "atomic", "alloc_in_loop"),
             "op_ns": ("op_ns",), "load_unit": ("load_unit",), "load_strided": ("load_strided", "load_indirect"),
             "store_unit": ("store_unit",), "store_strided": ("store_strided", "store_indirect"),
             "invariant": ("load_invariant", "store_invariant")}
LGBM_PARAMS = {"learning_rate": 0.08, "num_leaves": 15, "min_data_in_leaf": 3, "feature_fraction": 0.9,
               "bagging_fraction": 0.9, "bagging_freq": 1, "lambda_l2": 1.0, "verbose": -1, "num_threads": 1,
               "seed": 0, "deterministic": True}
ROUNDS = 300


#: IR features also given relative to the group's mean (tilings differ in these, not in their op counts)
RELATIVE_IR = ("miss_l1", "miss_l2", "miss_l3", "miss_tlb1", "miss_tlb2", "w_loop_entries", "w_inner_entries")

#: choices a variant makes that its IR does not show
KNOBS = ("numba", "skip_orient", "skip_reuse", "skip_count_last", "skip_choose", "blas_mkl")


def columns() -> list[str]:
    return ([f"ir:{n}" for n in feature_names()] + [f"in:{k}" for k in INPUT_KEYS] + [f"knob:{k}" for k in KNOBS]
            + [f"est:{e}" for e in ESTIMATES] + [f"family:{f}" for f in FAMILIES] + [f"rel:{e}" for e in ESTIMATES]
            + [f"rel:{n}" for n in RELATIVE_IR])


def level_sizes(family: str, inputs: dict[str, float]) -> list[float]:
    """How many times a loop nest at dynamic depth 0, 1, 2, 3+ runs, from the input's figures: a graph's
    vertices, then its degree sums (each level a neighbour list deeper: sum d, sum d^2, sum d^3); a SpGEMM's
    rows, A's entries, the flops; a matmul's rows, m k, m n k; a pointwise kernel's points."""
    g = inputs.get
    if family == "graph":
        return [1.0, g("vertices", 1.0), 2 * g("edges", 1.0), g("deg2_sum", 1.0), g("deg3_sum", 1.0)][:DEPTHS]
    if family.startswith("spgemm"):
        return [1.0, g("m", 1.0), g("nnz", 1.0), g("flops", 1.0)]
    if family == "matmul":  # loops i, k, j
        return [1.0, g("m", 1.0), g("m", 1.0) * g("k", 1.0), g("flops", 1.0)]
    if "points" in inputs:
        return [1.0] + [g("points", 1.0)] * (DEPTHS - 1)
    return [1.0] * DEPTHS


def estimates(family: str, inputs: dict[str, float], features: dict[str, float]) -> list[float]:
    """log1p of each ``ESTIMATES`` work figure: the IR's ops per dynamic depth times ``level_sizes``."""
    sizes = level_sizes(family, inputs)
    out = []
    for prefixes in ESTIMATES.values():
        total = 0.0
        for d in range(DEPTHS):
            for cat in CATEGORIES:
                if (cat != "op_ns") if prefixes is None else cat.startswith(prefixes):  # "all": the op counts
                    total += features.get(f"dyn{d}_{cat}", 0.0) * sizes[d]
        out.append(math.log1p(total))
    return out


def row_vector(family: str, inputs: dict[str, float], features: dict[str, float],
               knobs: dict[str, float] | None = None) -> np.ndarray:
    """One variant's model input (see the module docstring) but the ``rel:`` columns (``with_relative``)."""
    ir = [math.log1p(max(0.0, features.get(n, 0.0))) for n in feature_names()]
    ins = [math.log1p(max(0.0, inputs[k])) if k in inputs else math.nan for k in INPUT_KEYS]
    kn = [float((knobs or {}).get(k, 0.0)) for k in KNOBS]
    return np.array(ir + ins + kn + estimates(family, inputs, features) + [float(family == f) for f in FAMILIES])


def with_relative(X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``X`` (``row_vector`` rows) with the ``rel:`` columns: each work estimate minus its group's mean, i.e.
    how much more or less work a variant does than the others computing the same thing (a 5% difference in
    ops is lost among thresholds on the absolute figure; LightGBM splits on it directly); then the same of the
    ``RELATIVE_IR`` features."""
    first = len(feature_names()) + len(INPUT_KEYS) + len(KNOBS)
    ir = [feature_names().index(n) for n in RELATIVE_IR]
    est = np.hstack([X[:, first:first + len(ESTIMATES)], X[:, ir]])
    rel = np.zeros_like(est)
    for g in np.unique(groups):
        at = groups == g
        rel[at] = est[at] - est[at].mean(axis=0)
    return np.hstack([X, rel])


def group_matrix(family: str, inputs: dict[str, float], features: list[dict[str, float]],
                 knobs: list[dict[str, float]] | None = None) -> np.ndarray:
    """The model input of one group's variants (what a pass asks the model about together)."""
    X = np.stack([row_vector(family, inputs, f, k) for f, k in zip(features, knobs or [None] * len(features))])
    return with_relative(X, np.zeros(len(X), dtype=np.int64))


@dataclass
class Data:
    X: np.ndarray
    y: np.ndarray  # log seconds
    time: np.ndarray
    pass1: np.ndarray
    pass2: np.ndarray
    noise: np.ndarray
    groups: np.ndarray  # group index per row
    units: np.ndarray  # split unit per row (kernel, or instance where a family has few kernels)
    family: np.ndarray
    tokens: list[str]
    group_names: list[str]


def prepare(records: list[dict[str, Any]]) -> Data:
    from ircc.errors import IrccError

    recs = [r for r in records if r.get("time", 0) > 0]
    by_group: dict[str, list[dict]] = defaultdict(list)
    for r in recs:
        by_group[r["group"]].append(r)
    recs = [r for g in by_group.values() if len(g) > 1 for r in g]
    if not recs:
        raise IrccError("the dataset has no group of two or more timed variants (collect longer)")
    names = sorted({r["group"] for r in recs})
    index = {g: i for i, g in enumerate(names)}
    kernels_per_family: dict[str, set] = defaultdict(set)
    for r in recs:
        kernels_per_family[r["family"]].add(r["kernel"])
    units = [r["kernel"] if len(kernels_per_family[r["family"]]) >= FOLDS else r["group"] for r in recs]
    groups = np.array([index[r["group"]] for r in recs])
    X = np.stack([row_vector(r["family"], r["inputs"], r["features"], r.get("knobs")) for r in recs])
    return Data(X=with_relative(X, groups),
                y=np.log(np.array([r["time"] for r in recs])), time=np.array([r["time"] for r in recs]),
                pass1=np.array([r["time_pass1"] for r in recs]), pass2=np.array([r["time_pass2"] for r in recs]),
                noise=np.array([r.get("noise", 0.0) for r in recs]), groups=groups,
                units=np.array([f"{r['family']}/{u}" for r, u in zip(recs, units)]),
                family=np.array([r["family"] for r in recs]), tokens=[r.get("tokens", "") for r in recs],
                group_names=names)


# -- models ------------------------------------------------------------------------------------------------
def _relevance(d: Data, rows: np.ndarray) -> np.ndarray:
    """Per row, its place from the slowest (0) within its group: LambdaRank's labels."""
    rel = np.zeros(len(rows), dtype=np.int32)
    for g in np.unique(d.groups[rows]):
        at = np.flatnonzero(d.groups[rows] == g)
        order = np.argsort(-d.time[rows][at])  # slowest first
        rel[at[order]] = np.arange(len(at))
    return np.minimum(rel, 30)


def _magnitude_relevance(d: Data, rows: np.ndarray) -> np.ndarray:
    """Per row, 10 for its group's fastest down to 0 for ``MAG_CAP`` times slower, linear in the log of the
    ratio: ``lgbm-rank-mag``'s labels (a 2% gap is near a tie, a 3x one is not)."""
    rel = np.zeros(len(rows), dtype=np.int32)
    for g in np.unique(d.groups[rows]):
        at = np.flatnonzero(d.groups[rows] == g)
        t = d.time[rows][at]
        rel[at] = np.clip(np.round(10 * (1 - np.log(t / t.min()) / math.log(MAG_CAP))), 0, 10)
    return rel


def _sorted_by_group(d: Data, rows: np.ndarray) -> np.ndarray:
    return rows[np.argsort(d.groups[rows], kind="stable")]


def fit_lgbm(d: Data, rows: np.ndarray, objective: str, rounds: int = ROUNDS, budget_s: float | None = None):
    """LightGBM's ranker (``objective="rank"``: relevance by place, ``"rank-mag"``: by time ratio) or regression
    head (``"regression"``) on ``rows``; ``budget_s`` stops boosting after that many seconds (fewer rounds)."""
    import lightgbm as lgb

    rows = _sorted_by_group(d, rows)
    params = dict(LGBM_PARAMS)
    if objective in ("rank", "rank-mag"):
        params |= {"objective": "lambdarank", "lambdarank_truncation_level": 10, "label_gain": list(range(64))}
        _, sizes = np.unique(d.groups[rows], return_counts=True)
        label = _relevance(d, rows) if objective == "rank" else _magnitude_relevance(d, rows)
        ds = lgb.Dataset(d.X[rows], label=label, group=sizes, feature_name=_safe_columns())
    else:
        params |= {"objective": "regression"}
        ds = lgb.Dataset(d.X[rows], label=d.y[rows], feature_name=_safe_columns())
    callbacks = []
    if budget_s is not None:
        deadline = time.monotonic() + budget_s

        def stop_at_deadline(env: Any) -> None:
            if time.monotonic() > deadline:
                raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list or [])

        callbacks.append(stop_at_deadline)
    return lgb.train(params, ds, num_boost_round=rounds, callbacks=callbacks)


def _safe_columns() -> list[str]:
    return [c.replace(":", "__") for c in columns()]


def op_count_score(d: Data, rows: np.ndarray) -> np.ndarray:
    """The baseline: total trip-weighted ops of the IR (every category alike), times the input's size."""
    cols = columns()
    weighted = [i for i, c in enumerate(cols) if c.startswith("ir:w_") and c != "ir:w_op_ns"]
    size = [i for i, c in enumerate(cols) if c in ("in:flops", "in:edges", "in:points")]
    ops = np.log(np.expm1(d.X[rows][:, weighted]).sum(axis=1) + 1.0)
    return ops + np.nansum(d.X[rows][:, size], axis=1)


class SeqModel:
    """Tokens -> embedding -> two convolutions -> mean and max pooling, with the input's figures -> MLP ->
    log time."""

    def __init__(self, vocab: dict[str, int], width: int, max_len: int = 768):
        import torch
        from torch import nn

        self.vocab, self.max_len = vocab, max_len
        torch.manual_seed(0)
        self.embed = nn.Embedding(len(vocab) + 2, 32, padding_idx=0)
        self.conv = nn.Sequential(nn.Conv1d(32, 48, 5, padding=2), nn.ReLU(), nn.Conv1d(48, 48, 5, padding=2),
                                  nn.ReLU())
        self.head = nn.Sequential(nn.Linear(96 + width, 64), nn.ReLU(), nn.Linear(64, 1))
        self.params = [*self.embed.parameters(), *self.conv.parameters(), *self.head.parameters()]
        self.mean = self.std = None

    def encode(self, tokens: list[str]):
        import torch

        ids = np.zeros((len(tokens), self.max_len), dtype=np.int64)
        for i, t in enumerate(tokens):
            seq = [self.vocab.get(w, 1) for w in t.split()][: self.max_len]
            ids[i, : len(seq)] = seq
        return torch.from_numpy(ids)

    def forward(self, ids, extra):
        import torch

        e = self.embed(ids).transpose(1, 2)
        h = self.conv(e)
        mask = (ids > 0).unsqueeze(1).float()
        mean = (h * mask).sum(2) / mask.sum(2).clamp(min=1)
        mx = (h - 1e4 * (1 - mask)).max(2).values
        return self.head(torch.cat([mean, mx, extra], 1)).squeeze(1)

    def fit(self, d: Data, rows: np.ndarray, budget_s: float = 30.0) -> SeqModel:
        import torch

        extra = np.nan_to_num(d.X[rows][:, len(feature_names()):])
        self.mean, self.std = extra.mean(0), extra.std(0) + 1e-6
        ids = self.encode([d.tokens[i] for i in rows])
        x = torch.tensor((extra - self.mean) / self.std, dtype=torch.float32)
        y = torch.tensor(d.y[rows], dtype=torch.float32)
        opt = torch.optim.Adam(self.params, lr=3e-3)
        t0, g = time.monotonic(), torch.Generator().manual_seed(0)
        for _ in range(400):
            perm = torch.randperm(len(rows), generator=g)
            for b in range(0, len(rows), 64):
                at = perm[b:b + 64]
                loss = torch.mean((self.forward(ids[at], x[at]) - y[at]) ** 2)
                opt.zero_grad()
                loss.backward()
                opt.step()
            if time.monotonic() - t0 > budget_s:
                break
        return self

    def predict(self, d: Data, rows: np.ndarray) -> np.ndarray:
        import torch

        extra = np.nan_to_num(d.X[rows][:, len(feature_names()):])
        with torch.no_grad():
            x = torch.tensor((extra - self.mean) / self.std, dtype=torch.float32)
            return self.forward(self.encode([d.tokens[i] for i in rows]), x).numpy()


def vocabulary(tokens: list[str], size: int = 400) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for t in tokens:
        for w in t.split():
            counts[w] += 1
    common = sorted(counts, key=lambda w: -counts[w])[:size]
    return {w: i + 2 for i, w in enumerate(common)}  # 0: padding, 1: unknown


def _have_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def within_groups(v: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``v`` z-scored within each group (scores of different models made comparable)."""
    out = np.zeros(len(v))
    for g in np.unique(groups):
        at = np.flatnonzero(groups == g)
        out[at] = (v[at] - v[at].mean()) / (v[at].std() + 1e-9)
    return out


def ensemble(a: np.ndarray, b: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Two models' scores (lower: faster), z-scored within groups, averaged: ``lgbm-ens`` of the two rankers."""
    return 0.5 * within_groups(a, groups) + 0.5 * within_groups(b, groups)


def predict_scores(model: str, d: Data, train: np.ndarray, test: np.ndarray, seq_budget_s: float) -> np.ndarray:
    """Scores of the test rows (lower: faster) from ``model`` trained on the train rows."""
    if model == "lgbm-ens":
        return ensemble(-fit_lgbm(d, train, "rank").predict(d.X[test]),
                        -fit_lgbm(d, train, "rank-mag").predict(d.X[test]), d.groups[test])
    if model == "lgbm-rank":
        return -fit_lgbm(d, train, "rank").predict(d.X[test])
    if model == "lgbm-rank-mag":
        return -fit_lgbm(d, train, "rank-mag").predict(d.X[test])
    if model == "lgbm-reg":
        return fit_lgbm(d, train, "regression").predict(d.X[test])
    if model == "seq":
        return SeqModel(vocabulary([d.tokens[i] for i in train]), d.X.shape[1] - len(feature_names())).fit(
            d, train, seq_budget_s).predict(d, test)
    if model == "op-count":
        return op_count_score(d, test)
    if model == "noise":
        return np.log(d.pass1[test])
    raise ValueError(model)


# -- metrics -----------------------------------------------------------------------------------------------
def _kendall(a: np.ndarray, b: np.ndarray) -> float:
    n, s, pairs = len(a), 0.0, 0
    for i in range(n):
        for j in range(i + 1, n):
            s += np.sign(a[i] - a[j]) * np.sign(b[i] - b[j])
            pairs += 1
    return s / pairs if pairs else 0.0


def group_terms(tt: np.ndarray, ss: np.ndarray, nz: np.ndarray) -> tuple[float, float, float, int, int]:
    """One group's share of the metrics, from its measured times ``tt``, scores ``ss`` and noise ``nz``:
    Kendall tau, the regret of the predicted fastest, whether it is the fastest, the pairs ranked right and
    the pairs counted (those whose gap exceeds both variants' noise)."""
    best = int(np.argmin(ss))
    right = counted = 0
    for i in range(len(tt)):
        for j in range(i + 1, len(tt)):
            gap = abs(tt[i] - tt[j]) / min(tt[i], tt[j])
            if gap > max(nz[i], nz[j]) and ss[i] != ss[j]:
                counted += 1
                right += int((tt[i] < tt[j]) == (ss[i] < ss[j]))
    return _kendall(tt, ss), tt[best] / tt.min() - 1.0, float(tt[best] == tt.min()), right, counted


def summarise(terms: list[tuple[float, float, float, int, int]]) -> dict[str, float]:
    """The metrics (all but mape) over groups' ``group_terms``."""
    taus, regrets, tops = ([t[i] for t in terms] for i in range(3))
    right, counted = sum(t[3] for t in terms), sum(t[4] for t in terms)
    return {"kendall_tau": float(np.mean(taus)) if taus else math.nan,
            "pairwise_acc": right / counted if counted else math.nan,
            "top1": float(np.mean(tops)) if tops else math.nan,
            "regret_gmean": float(np.exp(np.mean(np.log1p(regrets))) - 1.0) if regrets else math.nan,
            "regret_max": float(max(regrets)) if regrets else math.nan, "groups": float(len(terms)),
            "pairs": float(counted)}


def metrics(d: Data, rows: np.ndarray, score: np.ndarray, truth: np.ndarray | None = None,
            log_time_pred: np.ndarray | None = None) -> dict[str, float]:
    """The metrics of ``score`` (per row of ``rows``) against the measured times (``truth``: other times)."""
    t = d.time[rows] if truth is None else truth
    terms = []
    for g in np.unique(d.groups[rows]):
        at = np.flatnonzero(d.groups[rows] == g)
        if len(at) >= 2:
            terms.append(group_terms(t[at], score[at], d.noise[rows][at]))
    out = summarise(terms)
    out["mape"] = (float(np.mean(np.abs(np.exp(log_time_pred) - t) / t)) if log_time_pred is not None
                   else math.nan)
    return out


def _folds(d: Data, k: int = FOLDS) -> list[np.ndarray]:
    """Test row sets holding whole split units, about equal in size (seeded)."""
    units = np.unique(d.units)
    rng = np.random.default_rng(0)
    rng.shuffle(units)
    where = {u: i % k for i, u in enumerate(units)}
    fold = np.array([where[u] for u in d.units])
    return [np.flatnonzero(fold == i) for i in range(k) if np.any(fold == i)]


def evaluate(d: Data, models: tuple[str, ...] = MODELS, seq_budget_s: float = 20.0) -> dict[str, Any]:
    """Metrics per model on held-out kernels (cross-validated) and leaving each family out."""
    if "seq" in models and not _have_torch():
        models = tuple(m for m in models if m != "seq")
    result: dict[str, Any] = {"held_out_kernels": {}, "leave_one_family_out": {}}
    splits = {"held_out_kernels": [(np.setdiff1d(np.arange(len(d.y)), test), test) for test in _folds(d)],
              "leave_one_family_out": [(np.flatnonzero(d.family != f), np.flatnonzero(d.family == f))
                                       for f in np.unique(d.family) if len(np.unique(d.family)) > 1]}
    for split, pairs in splits.items():
        for model in models:
            per_fold_scores, tests, reg = [], [], []
            for train, test in pairs:
                s = predict_scores(model, d, train, test, seq_budget_s)
                per_fold_scores.append(s)
                tests.append(test)
                if model in ("lgbm-reg", "seq"):
                    reg.append(s)
            if not tests:
                continue
            rows, score = np.concatenate(tests), np.concatenate(per_fold_scores)
            truth = d.pass2[rows] if model == "noise" else None
            m = metrics(d, rows, score, truth, score if model in ("lgbm-reg", "seq") else None)
            if model == "noise":
                m["mape"] = float(np.mean(np.abs(d.pass1[rows] - d.pass2[rows]) / d.pass2[rows]))
            result[split][model] = m
            if split == "held_out_kernels":
                for fam in np.unique(d.family[rows]):
                    at = d.family[rows] == fam
                    result.setdefault("held_out_per_family", {}).setdefault(str(fam), {})[model] = metrics(
                        d, rows[at], score[at], truth[at] if truth is not None else None,
                        score[at] if model in ("lgbm-reg", "seq") else None)
            if split == "leave_one_family_out":
                for (_, test), s in zip(pairs, per_fold_scores):
                    fam = str(d.family[test[0]])
                    result.setdefault("per_family", {}).setdefault(fam, {})[model] = metrics(
                        d, test, s, d.pass2[test] if model == "noise" else None,
                        s if model in ("lgbm-reg", "seq") else None)
    return result


# -- the shipped model -------------------------------------------------------------------------------------
#: families whose variants' IR is the same for every input: the model keeps their features (for choosing
#: at call time without compiling every variant)
FIXED_VARIANTS = ("spgemm", "matmul", "spgemm-parallel")


def variant_features(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        if r["family"] in FIXED_VARIANTS:
            out.setdefault(r["family"], {}).setdefault(r["variant"], {"features": r["features"],
                                                                      "knobs": r.get("knobs", {})})
    return out


def learned_op_costs(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """The per-op tables fitted to the records' kernels (``op_fit``): f64 only, the sympy kernels' type."""
    from ircc.costmodel import op_costs, op_fit

    if not any(op_fit.usable(r) for r in records):
        return {}
    return {"f64": op_fit.fit(records, op_costs("f64", "static"))}


def train_and_save(d: Data, out: str | Path, header: dict[str, Any],
                   records: list[dict[str, Any]] | None = None, budget_s: float | None = None) -> Path:
    """The two rankers (``lgbm-ens``) and the regression head on all of ``d``, written to ``out`` (a directory);
    ``budget_s``: the boosting time of the three together."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    third = budget_s / 3 if budget_s is not None else None
    for objective, name in (("rank", "rank.txt"), ("rank-mag", "rank_magnitude.txt"), ("regression", "regression.txt")):
        fit_lgbm(d, np.arange(len(d.y)), objective, budget_s=third).save_model(str(out / name))
    meta = {"machine_class": header.get("machine_class"), "fingerprint": header.get("fingerprint"),
            "columns": columns(), "families": sorted(set(d.family.tolist())), "groups": len(d.group_names),
            "variant_count": int(len(d.y)), "variants": variant_features(records or []),
            "op_costs": learned_op_costs(records or []),
            "matmul_blas_mkl": sorted({float(r.get("knobs", {}).get("blas_mkl", 0.0)) for r in records or []
                                       if r["family"] == "matmul"}),
            "trained": time.strftime("%Y-%m-%dT%H:%M:%S")}
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    return out
