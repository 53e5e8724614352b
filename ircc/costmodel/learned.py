"""The shipped learned cost model: loaded on first use, for this machine's class only.

``ircc costmodel train --ship`` writes ``models/<machine class>/`` (LightGBM's two rankers as text -- by place
and by time ratio, ``lgbm-ens`` -- its regression head, ``meta.json``). ``model()`` loads the one for this
machine (``fingerprint.machine_class``), or returns None when there is none: callers then use the static table
(``cost="learned"`` falls back).

```
m = model()
if m is not None:
    best = min(variants, key=lambda v: m.score("spgemm", inputs, v.features))
```
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

MODELS_DIR = Path(__file__).parent / "models"


def shipped_dir(machine_class: str) -> Path:
    return MODELS_DIR / machine_class


class LearnedModel:
    def __init__(self, path: Path):
        import lightgbm as lgb

        self.path = path
        self.meta = json.loads((path / "meta.json").read_text())
        self.rank = lgb.Booster(model_file=str(path / "rank.txt"))
        mag, reg = path / "rank_magnitude.txt", path / "regression.txt"
        self.rank_mag = lgb.Booster(model_file=str(mag)) if mag.exists() else None
        self.regression = lgb.Booster(model_file=str(reg)) if reg.exists() else None

    def scores(self, family: str, inputs: dict[str, float], features: list[dict[str, float]],
               knobs: list[dict[str, float]] | None = None) -> np.ndarray:
        """One score per variant (lower: faster), comparable within one call: the two rankers together
        (``train.ensemble``)."""
        from ircc.costmodel.train import ensemble, group_matrix

        X = group_matrix(family, inputs, features, knobs)
        if self.rank_mag is None:
            return -self.rank.predict(X)
        return ensemble(-self.rank.predict(X), -self.rank_mag.predict(X), np.zeros(len(X), dtype=np.int64))

    def seconds(self, family: str, inputs: dict[str, float], features: dict[str, float]) -> float | None:
        """The regression head's time for one variant (None without one)."""
        from ircc.costmodel.train import group_matrix

        if self.regression is None:
            return None
        return float(np.exp(self.regression.predict(group_matrix(family, inputs, [features]))[0]))

    def covers(self, family: str) -> bool:
        return family in self.meta.get("families", [])

    def best_module(self, family: str, modules: list[Any]) -> int | None:
        """The index of the module (candidate IR, each lowered as the family's variants were) the model ranks
        fastest; None when one is missing (a candidate that could not be built)."""
        from ircc.costmodel.features import ir_features

        if any(m is None for m in modules):
            return None
        return int(self.scores(family, {}, [ir_features(m) for m in modules]).argmin())


@functools.cache
def _load(machine_class: str) -> LearnedModel | None:
    from ircc.costmodel.train import columns

    path = shipped_dir(machine_class)
    if not (path / "rank.txt").exists():
        return None
    try:
        m = LearnedModel(path)
    except ImportError:  # LightGBM is a dependency; a broken install falls back to the static table
        return None
    if m.meta.get("columns") != columns():  # trained on other features: retrain (ircc costmodel train --ship)
        return None
    return m


def model(machine_class: str | None = None) -> LearnedModel | None:
    """The shipped model for ``machine_class`` (default: this machine's), or None."""
    return _load(machine_class or _this_class())


@functools.cache
def _this_class() -> str:
    """This machine's class (read once: /proc/cpuinfo and sysfs)."""
    from ircc.costmodel.fingerprint import machine_class

    return machine_class()


def has_model(machine_class: str | None = None) -> bool:
    """Whether a model ships for ``machine_class`` (default: this machine's); loads nothing."""
    return (shipped_dir(machine_class or _this_class()) / "rank.txt").exists()


def best_variant(family: str, inputs: dict[str, float], names: tuple[str, ...] | None = None,
                 knobs: dict[str, float] | None = None) -> str | None:
    """The variant of ``family`` the shipped model ranks fastest for ``inputs``, among ``names`` (default all
    it knows); None without a model that knows the family's variants. For families whose variants' IR does
    not depend on the input (SpGEMM's strategies), whose features the model keeps; ``knobs`` override the
    kept ones (the BLAS a matmul calls)."""
    m = model()
    if m is None:
        return None
    known = m.meta.get("variants", {}).get(family, {})
    names = tuple(n for n in (names or tuple(known)) if n in known)
    if len(names) < 2:
        return None
    scores = m.scores(family, inputs, [known[n]["features"] for n in names],
                      [known[n]["knobs"] | (knobs or {}) for n in names])
    return names[int(np.argmin(scores))]


def available() -> dict[str, Any]:
    """The machine classes models ship for."""
    return {p.name: json.loads((p / "meta.json").read_text()) for p in sorted(MODELS_DIR.glob("*"))
            if (p / "meta.json").exists()}
