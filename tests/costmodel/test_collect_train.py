"""Collection, training and evaluation on a small dataset: the records, the metrics, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ircc.cli import main
from ircc.costmodel.collect import collect, load
from ircc.costmodel.train import METRICS, evaluate, metrics, prepare, train_and_save
from ircc.errors import IrccError


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("costmodel") / "data.jsonl"
    done = collect(path, budget_s=60, families=("spgemm", "backend"), quick=True, progress=False, max_groups=10)
    assert done.groups == 10 and done.variants > done.groups
    return path


def test_the_dataset_has_a_fingerprint_and_timed_groups(dataset) -> None:
    header, records = load(dataset)
    assert header["kind"] == "header" and header["fingerprint"]["cores"] >= 1 and header["machine_class"]
    assert {r["family"] for r in records} == {"spgemm", "backend"}
    for r in records:
        assert r["time"] > 0 and r["time_pass1"] > 0 and r["time_pass2"] > 0 and r["noise"] >= 0
        assert r["time"] == min(r[k] for k in ("time_pass1", "time_pass2", "time_pass3") if k in r)
        assert r["clock"] == "process" and ("time_pass3" in r) == (r["noise"] > 0.1 and r["first_call"] <= 0.25)
        assert r["features"]["ops"] > 0 and r["tokens"].split()[0] in ("builtin.module", "func.func")
    spgemm = [r for r in records if r["family"] == "spgemm"]
    assert {r["variant"] for r in spgemm} == {"spa", "hash", "esc", "heap", "hybrid"}
    assert spgemm[0]["inputs"]["flops"] > 0


def test_metrics_of_a_perfect_and_a_reversed_ranking(dataset) -> None:
    d = prepare(load(dataset)[1])
    rows = np.arange(len(d.y))
    perfect = metrics(d, rows, d.y)
    assert perfect["kendall_tau"] == pytest.approx(1.0) and perfect["top1"] == 1.0
    assert perfect["regret_gmean"] == 0.0 and perfect["pairwise_acc"] == 1.0
    worst = metrics(d, rows, -d.y)
    assert worst["kendall_tau"] == pytest.approx(-1.0) and worst["pairwise_acc"] == 0.0 and worst["regret_max"] > 0


def test_evaluation_holds_out_whole_units_and_reports_every_metric(dataset) -> None:
    d = prepare(load(dataset)[1])
    result = evaluate(d, ("lgbm-ens", "lgbm-rank", "lgbm-reg", "op-count", "noise"))
    for model in ("lgbm-ens", "lgbm-rank", "lgbm-reg", "op-count", "noise"):
        m = result["held_out_kernels"][model]
        assert set(METRICS) <= set(m) and 0 <= m["top1"] <= 1 and m["regret_gmean"] >= 0
    assert result["held_out_kernels"]["lgbm-reg"]["mape"] >= 0
    assert set(result["leave_one_family_out"]) == {"lgbm-ens", "lgbm-rank", "lgbm-reg", "op-count", "noise"}


def test_rank_labels_by_place_and_by_time_ratio() -> None:
    from ircc.costmodel.train import MAG_CAP, Data, _magnitude_relevance, _relevance

    times = np.array([1.0, 1.02, 2.0, 3 * MAG_CAP, 5.0, 5.0])
    d = Data(X=np.zeros((6, 1)), y=np.log(times), time=times, pass1=times, pass2=times, noise=np.zeros(6),
             groups=np.array([0, 0, 0, 0, 1, 1]), units=np.zeros(6), family=np.array(["x"] * 6), tokens=[""] * 6,
             group_names=["a", "b"])
    rows = np.arange(6)
    assert _relevance(d, rows).tolist()[:4] == [3, 2, 1, 0]  # places: a 2% gap counts as much as a 12x one
    assert _magnitude_relevance(d, rows).tolist() == [10, 10, 5, 0, 10, 10]  # by ratio: near-ties stay near


def test_train_writes_a_model_that_loads_and_scores(dataset, tmp_path) -> None:
    from ircc.costmodel.learned import LearnedModel

    header, records = load(dataset)
    out = train_and_save(prepare(records), tmp_path / "model", header)
    m = LearnedModel(out)
    group = [r for r in records if r["group"] == records[0]["group"]]
    scores = m.scores(group[0]["family"], group[0]["inputs"], [r["features"] for r in group])
    assert scores.shape == (len(group),) and np.all(np.isfinite(scores))
    assert m.covers(group[0]["family"]) and m.seconds(group[0]["family"], group[0]["inputs"], group[0]["features"]) > 0


def test_cli_eval_json_and_errors(dataset, tmp_path, capsys) -> None:
    out = tmp_path / "eval.json"
    assert main(["costmodel", "eval", "--data", str(dataset), "--models", "lgbm-ens,lgbm-reg,noise",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert all(name in printed for name in METRICS)
    summary = json.loads(out.read_text())
    assert set(METRICS) <= set(summary) and summary["machine_class"]
    assert main(["costmodel", "eval", "--data", str(tmp_path / "missing.jsonl")]) == 1
    assert "costmodel collect --out" in capsys.readouterr().err
    assert main(["costmodel", "collect", "--families", "spgemm,nope", "--out", str(tmp_path / "x.jsonl")]) == 1
    assert "unknown family nope" in capsys.readouterr().err
    assert main(["costmodel", "eval", "--data", str(dataset), "--models", "magic"]) == 1
    assert main(["costmodel", "train", "--data", str(dataset), "--out", str(tmp_path / "m"), "--budget", "5"]) == 0
    assert (tmp_path / "m" / "rank.txt").exists() and "trained on 10 groups" in capsys.readouterr().out
    assert main(["costmodel", "train", "--data", str(dataset), "--budget", "0"]) == 1
    assert "give a positive number of seconds" in capsys.readouterr().err


def test_a_model_trained_on_other_columns_is_not_used(dataset, tmp_path, monkeypatch) -> None:
    """A shipped model whose columns differ from this version's features falls back to the static table."""
    from ircc.costmodel import learned

    header, records = load(dataset)
    out = train_and_save(prepare(records), tmp_path / "models" / "some-class", header, records)
    monkeypatch.setattr(learned, "MODELS_DIR", tmp_path / "models")
    learned._load.cache_clear()
    try:
        m = learned.model("some-class")
        assert m is not None and learned.has_model("some-class")
        assert set(m.meta["variants"]["spgemm"]) == {"spa", "hash", "esc", "heap", "hybrid"}  # kept for choosing
        meta = json.loads((out / "meta.json").read_text())
        meta["columns"] = meta["columns"][:-1]
        (out / "meta.json").write_text(json.dumps(meta))
        learned._load.cache_clear()
        assert learned.model("some-class") is None
    finally:
        learned._load.cache_clear()


def test_relative_columns_say_how_much_more_work_a_variant_does_than_its_group() -> None:
    from ircc.costmodel.train import ESTIMATES, RELATIVE_IR, columns, group_matrix

    few = {"dyn1_float": 10.0, "dyn1_load_unit": 2.0, "miss_l1": 100.0}
    many = {"dyn1_float": 30.0, "dyn1_load_unit": 2.0, "miss_l1": 800.0}
    X = group_matrix("backend", {"points": 1000.0}, [few, many, few])
    assert X.shape == (3, len(columns()))
    width = len(ESTIMATES) + len(RELATIVE_IR)
    rel = X[:, -width:]
    assert np.allclose(rel.sum(axis=0), 0.0)  # relative to the group's mean
    for at in (list(ESTIMATES).index("all"), len(ESTIMATES) + RELATIVE_IR.index("miss_l1")):
        assert rel[1, at] > 0 > rel[0, at] == rel[2, at]
    alone = group_matrix("backend", {"points": 1000.0}, [many])
    assert np.allclose(alone[0, -width:], 0.0)
    assert np.allclose(alone[0, :-width], X[1, :-width], equal_nan=True)  # absent inputs: NaN


def test_parallel_variants_are_timed_by_wall_clock_and_datasets_join(dataset, tmp_path, monkeypatch) -> None:
    from ircc.costmodel import variants

    monkeypatch.setattr(variants, "parallel_threads", lambda: 2)  # two threads even on a one-core runner
    path = tmp_path / "parallel.jsonl.gz"
    collect(path, budget_s=30, families=("spgemm-parallel",), quick=True, progress=False, max_groups=2)
    header, records = load(path)
    assert {r["family"] for r in records} == {"spgemm-parallel"} and len(records) == 10
    assert all(r["clock"] == "wall" and r["inputs"]["threads"] >= 2 for r in records)
    assert any(r["features"]["parallel_loops"] > 0 for r in records)
    joined_header, joined = load(f"{dataset},{path}")
    assert joined_header["families"] == ["backend", "spgemm", "spgemm-parallel"]
    assert len(joined) == len(load(dataset)[1]) + len(records)
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({**header, "machine_class": "another-machine"}) + "\n")
    with pytest.raises(IrccError, match="datasets of different machines do not mix"):
        load(f"{dataset},{other}")
