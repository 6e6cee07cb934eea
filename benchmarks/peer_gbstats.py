"""Peer comparison with GrowthBook's stats engine, gbstats 0.8.0: values and speed on the same statistics.

gbstats pins its own pandas, numpy, scipy and pydantic, so it runs in its own virtualenv, never ours. The
script finds it in ``--venv`` (default: ``<system temp dir>/deliveryops-gbstats-0.8.0``) and creates it
there when it is missing or holds another version: ``python -m venv DIR`` then, when uv is installed,
``python -m uv pip install --python DIR/bin/python gbstats==0.8.0`` (else ``DIR/bin/pip install
gbstats==0.8.0``). The steps:

1. build realistic cases as sufficient statistics from seeded unit-level data: means, proportions, a ratio
   metric, CUPED pre-period data on a mean and on a proportion, 2 and 3 variations, small and large n, a
   negative-mean metric, a lower-is-better metric and a case with zero variance in one arm;
2. send them as JSON to a small runner executed by the peer venv's Python, which calls gbstats' own test
   classes (``TwoSidedTTest``, ``SequentialTwoSidedTTest``, ``EffectBayesianABTest`` on
   ``SampleMeanStatistic`` / ``ProportionStatistic`` / ``RatioStatistic`` / ``RegressionAdjustedStatistic``)
   and ``gbstats.utils.check_srm``, and answers in JSON;
3. run the same cases through ``deliveryops.analytics.experiments`` (no multiple-testing correction);
4. print a side-by-side table (case, method, quantity, ours, gbstats, |difference|, verdict) and the time
   of both on a larger batch (median of ``--runs`` runs).

Verdicts: ``equal`` when |ours − gbstats| ≤ 1e-6; ``explained: <cause>`` when gbstats' value is *rebuilt*
to 1e-6 from the same statistics by applying the named, documented rule of gbstats 0.8.0 (the rebuild is
computed here, not asserted); otherwise ``UNEXPLAINED``. The causes are listed in
``docs/experiment-statistics.md`` ("Compared with GrowthBook's gbstats 0.8.0").

Usage::

    .venv/bin/python benchmarks/peer_gbstats.py                  # table, timing (median of 5 runs)
    .venv/bin/python benchmarks/peer_gbstats.py --only-differences --runs 3 --batch 2000
    .venv/bin/python benchmarks/peer_gbstats.py --venv /tmp/gbstats-venv
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special

from deliveryops.analytics.experiments import (
    AnalysisOptions,
    ArmStats,
    Correction,
    LiftResult,
    Method,
    MetricInput,
    MetricKind,
    analyse,
    analyse_many,
    sample_ratio_mismatch,
)

GBSTATS_VERSION = "0.8.0"
DEFAULT_VENV = Path(tempfile.gettempdir()) / f"deliveryops-gbstats-{GBSTATS_VERSION}"
TOLERANCE = 1e-6
PRIOR_VARIANCE = 0.09  # GrowthBook's default proper prior: N(0, 0.3²) on the relative lift

# --------------------------------------------------------------------------------------------
# the peer's side: runs with the gbstats venv's Python, reads JSON on stdin, writes JSON on stdout

RUNNER = r"""
import json, sys, time
from gbstats.models.statistics import (ProportionStatistic, RatioStatistic, RegressionAdjustedStatistic,
                                       SampleMeanStatistic)
from gbstats.frequentist.tests import (FrequentistConfig, SequentialConfig, SequentialTwoSidedTTest,
                                       TwoSidedTTest)
from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig, GaussianPrior
from gbstats.utils import check_srm


def base(kind, n, total, squares):
    if kind == "proportion":
        return ProportionStatistic(n=n, sum=total)
    return SampleMeanStatistic(n=n, sum=total, sum_squares=squares)


def statistic(case, arm):
    n = arm["n"]
    if case["kind"] == "ratio":
        return RatioStatistic(n=n, m_statistic=SampleMeanStatistic(n=n, sum=arm["sum"], sum_squares=arm["sum_squares"]),
                              d_statistic=SampleMeanStatistic(n=n, sum=arm["denominator_sum"],
                                                              sum_squares=arm["denominator_sum_squares"]),
                              m_d_sum_of_products=arm["cross_sum"])
    post = base(case["kind"], n, arm["sum"], arm["sum_squares"])
    if not case["cuped"]:
        return post
    # A 0/1 covariate of a binomial metric is a binomial statistic in GrowthBook (covariate_metric_type).
    pre_kind = "proportion" if case["kind"] == "proportion" and arm["pre_sum"] == arm["pre_sum_squares"] else "mean"
    return RegressionAdjustedStatistic(n=n, post_statistic=post,
                                       pre_statistic=base(pre_kind, n, arm["pre_sum"], arm["pre_sum_squares"]),
                                       post_pre_sum_of_products=arm["pre_cross_sum"], theta=0)


def test_for(case, method, index):
    a, b = statistic(case, case["arms"][0]), statistic(case, case["arms"][index])
    kind = "relative" if method["relative"] else "absolute"
    if method["method"] == "frequentist":
        return TwoSidedTTest(a, b, FrequentistConfig(difference_type=kind, alpha=method["alpha"]))
    if method["method"] == "sequential":
        return SequentialTwoSidedTTest(a, b, SequentialConfig(difference_type=kind, alpha=method["alpha"],
                                                              sequential_tuning_parameter=method["tuning"]))
    prior = GaussianPrior(mean=0.0, variance=method["prior_variance"], proper=method["prior_proper"])
    return EffectBayesianABTest(a, b, EffectBayesianConfig(difference_type=kind, alpha=method["alpha"],
                                                           inverse=not case["higher_is_better"],
                                                           prior_effect=prior, prior_type="relative"))


def run(case, method, index):
    result = test_for(case, method, index).compute_result()
    out = {"lift": result.expected, "ci_low": result.ci[0], "ci_high": result.ci[1],
           "error": result.error_message}
    if method["method"] == "bayesian":
        # gbstats' risk is [risk of keeping the control, risk of shipping the variation].
        out.update(chance_to_win=result.chance_to_win, risk=result.risk[1], risk_control=result.risk[0])
    else:
        out["p_value"] = result.p_value
    return out


request = json.load(sys.stdin)
answer = {"results": [], "srm": [], "timing": {}}
for case in request["cases"]:
    for method in request["methods"]:
        for index in range(1, len(case["arms"])):
            answer["results"].append(run(case, method, index))
for users, weights in request["srm"]:
    answer["srm"].append(float(check_srm(users, weights)))
for method in request["methods"]:
    if method["name"] not in request["timed_methods"]:
        continue
    runs = []
    for _ in range(request["runs"]):
        start = time.perf_counter()
        for case in request["batch"]:
            test_for(case, method, 1).compute_result()
        runs.append(time.perf_counter() - start)
    answer["timing"][method["name"]] = runs
json.dump(answer, sys.stdout)
"""


def ensure_venv(venv: Path) -> Path:
    """The peer venv's Python, creating the venv with gbstats 0.8.0 when missing or different."""
    python = venv / "bin" / "python"
    if python.exists():
        check = subprocess.run(
            [str(python), "-c", "from importlib.metadata import version; print(version('gbstats'))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode == 0 and check.stdout.strip() == GBSTATS_VERSION:
            return python
        print(
            f"{venv}: gbstats {GBSTATS_VERSION} not there ({(check.stdout or check.stderr).strip()[-120:]}); reinstalling",
            file=sys.stderr,
        )
    print(f"creating {venv} with gbstats=={GBSTATS_VERSION}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    has_uv = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True, check=False).returncode == 0
    if has_uv:
        command = [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            f"gbstats=={GBSTATS_VERSION}",
        ]
    else:
        command = [str(python), "-m", "pip", "install", "--quiet", f"gbstats=={GBSTATS_VERSION}"]
    subprocess.run(command, check=True)
    return python


# --------------------------------------------------------------------------------------------
# cases


@dataclass(frozen=True)
class Case:
    name: str
    kind: MetricKind
    arms: tuple[ArmStats, ...]
    cuped: bool = False
    higher_is_better: bool = True

    def metric(self) -> MetricInput:
        return MetricInput(self.name, self.kind, self.arms, higher_is_better=self.higher_is_better)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "cuped": self.cuped,
            "higher_is_better": self.higher_is_better,
            "arms": [
                {
                    key: getattr(arm, key)
                    for key in (
                        "n",
                        "sum",
                        "sum_squares",
                        "denominator_sum",
                        "denominator_sum_squares",
                        "cross_sum",
                        "pre_sum",
                        "pre_sum_squares",
                        "pre_cross_sum",
                    )
                }
                for arm in self.arms
            ],
        }


def sums(name: str, x: np.ndarray, *, pre: np.ndarray | None = None, denominator: np.ndarray | None = None) -> ArmStats:
    def total(values: np.ndarray | None) -> float | None:
        return None if values is None else float(values.sum())

    return ArmStats(
        name,
        len(x),
        float(x.sum()),
        float((x * x).sum()),
        denominator_sum=total(denominator),
        denominator_sum_squares=None if denominator is None else float((denominator * denominator).sum()),
        cross_sum=None if denominator is None else float((x * denominator).sum()),
        pre_sum=total(pre),
        pre_sum_squares=None if pre is None else float((pre * pre).sum()),
        pre_cross_sum=None if pre is None else float((x * pre).sum()),
    )


def build_cases(seed: int = 7) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases: list[Case] = []
    # Revenue per user, large n, skewed (many zeros).
    arms = []
    for name, n, lift in (("control", 5000, 1.0), ("treatment", 5000, 1.04)):
        buys = rng.random(n) < 0.3
        arms.append(sums(name, np.where(buys, rng.gamma(2.0, 50.0 * lift, n), 0.0)))
    cases.append(Case("revenue, mean, n 5000", MetricKind.MEAN, tuple(arms)))
    # Conversion, large n, 2 arms.
    cases.append(
        Case(
            "checkout conversion, n 20000",
            MetricKind.PROPORTION,
            tuple(sums(name, (rng.random(20000) < p).astype(float)) for name, p in (("control", 0.10), ("treatment", 0.106))),
        )
    )
    # Conversion, small n, 3 arms.
    cases.append(
        Case(
            "signup, 3 arms, n ≈ 300",
            MetricKind.PROPORTION,
            tuple(
                sums(name, (rng.random(n) < p).astype(float))
                for name, n, p in (("control", 310, 0.2), ("short form", 295, 0.26), ("no form", 305, 0.17))
            ),
        )
    )
    # Ratio metric: pages per session.
    arms = []
    for name, n, rate in (("control", 3000, 4.0), ("treatment", 3100, 4.15)):
        sessions = rng.poisson(3.0, n) + 1.0
        arms.append(sums(name, rng.poisson(sessions * rate).astype(float), denominator=sessions))
    cases.append(Case("pages per session, ratio", MetricKind.RATIO, tuple(arms)))
    # CUPED on a mean, 3 arms.
    arms = []
    for name, n, shift in (("control", 4000, 0.0), ("one-page", 4100, 1.2), ("express", 3950, 0.5)):
        pre = rng.gamma(2.0, 15.0, n)
        arms.append(sums(name, 0.6 * pre + rng.normal(12.0 + shift, 9.0, n), pre=pre))
    cases.append(Case("revenue, CUPED, 3 arms", MetricKind.MEAN, tuple(arms), cuped=True))
    # CUPED on a proportion with a 0/1 pre-period covariate.
    arms = []
    for name, n, boost in (("control", 6000, 0.0), ("treatment", 6000, 0.03)):
        pre = (rng.random(n) < 0.3).astype(float)
        post = (rng.random(n) < 0.12 + 0.25 * pre + boost).astype(float)
        arms.append(sums(name, post, pre=pre))
    cases.append(Case("retained, proportion, CUPED", MetricKind.PROPORTION, tuple(arms), cuped=True))
    # Small n mean.
    cases.append(
        Case(
            "order value, n 25/30",
            MetricKind.MEAN,
            (sums("control", rng.normal(40.0, 12.0, 25)), sums("treatment", rng.normal(47.0, 15.0, 30))),
        )
    )
    # Negative-mean metric (profit after refunds), where an increase is −10 → −8.
    cases.append(
        Case(
            "profit, negative mean",
            MetricKind.MEAN,
            (sums("control", rng.normal(-10.0, 6.0, 800)), sums("treatment", rng.normal(-8.5, 6.0, 820))),
        )
    )
    # Lower is better, strong effect (tiny p-value).
    cases.append(
        Case(
            "latency ms, lower is better",
            MetricKind.MEAN,
            (sums("control", rng.gamma(9.0, 25.0, 8000)), sums("treatment", rng.gamma(9.0, 23.5, 8000))),
            higher_is_better=False,
        )
    )
    # Zero variance in one arm: every control unit scored exactly 5.
    cases.append(
        Case(
            "score, zero variance in control",
            MetricKind.MEAN,
            (sums("control", np.full(40, 5.0)), sums("treatment", rng.normal(5.6, 1.0, 42))),
        )
    )
    return cases


@dataclass(frozen=True)
class MethodSpec:
    name: str
    method: Method
    relative: bool
    alpha: float = 0.05
    tuning: float = 5000.0
    prior_proper: bool = False
    prior_variance: float = PRIOR_VARIANCE

    def options(self, *, cuped: bool) -> AnalysisOptions:
        return AnalysisOptions(
            method=self.method,
            alpha=self.alpha,
            relative=self.relative,
            cuped=cuped,
            correction=Correction.NONE,
            sequential_tuning=self.tuning,
            prior_proper=self.prior_proper,
            prior_variance=self.prior_variance,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "method": self.method.value,
            "relative": self.relative,
            "alpha": self.alpha,
            "tuning": self.tuning,
            "prior_proper": self.prior_proper,
            "prior_variance": self.prior_variance,
        }


METHODS = (
    MethodSpec("freq rel", Method.FREQUENTIST, True),
    MethodSpec("freq abs", Method.FREQUENTIST, False),
    MethodSpec("seq rel", Method.SEQUENTIAL, True),
    MethodSpec("seq abs n*=20000", Method.SEQUENTIAL, False, tuning=20000.0),
    MethodSpec("bayes rel flat", Method.BAYESIAN, True),
    MethodSpec("bayes rel prior", Method.BAYESIAN, True, prior_proper=True),
    MethodSpec("bayes abs prior", Method.BAYESIAN, False, prior_proper=True),
)
TIMED = ("freq rel", "seq rel", "bayes rel prior")

# --------------------------------------------------------------------------------------------
# gbstats 0.8.0's rules where they differ from ours, rebuilt from the same statistics (numpy/scipy only)


@dataclass
class Moments:
    """One arm's moments as gbstats 0.8.0 computes them (with θ when CUPED)."""

    n: float
    mean: float  # adjusted when CUPED
    unadjusted: float
    variance: float  # adjusted when CUPED


def gb_moments(case: Case, index: int) -> tuple[Moments, Moments]:
    arms = (case.arms[0], case.arms[index])

    def plain(arm: ArmStats) -> tuple[float, float]:
        mean = arm.sum / arm.n
        if case.kind is MetricKind.PROPORTION:
            return mean, mean * (1 - mean)
        return mean, (arm.sum_squares - arm.sum**2 / arm.n) / (arm.n - 1)

    def pre_variance(arm: ArmStats) -> float:
        assert arm.pre_sum is not None
        assert arm.pre_sum_squares is not None
        if case.kind is MetricKind.PROPORTION and arm.pre_sum == arm.pre_sum_squares:
            mean = arm.pre_sum / arm.n
            return mean * (1 - mean)
        return (arm.pre_sum_squares - arm.pre_sum**2 / arm.n) / (arm.n - 1)

    if not case.cuped:
        first, second = (Moments(arm.n, plain(arm)[0], plain(arm)[0], plain(arm)[1]) for arm in arms)
        return first, second
    pooled = ArmStats(
        "pooled",
        arms[0].n + arms[1].n,
        *(
            (getattr(arms[0], key) or 0.0) + (getattr(arms[1], key) or 0.0)
            for key in (
                "sum",
                "sum_squares",
                "denominator_sum",
                "denominator_sum_squares",
                "cross_sum",
                "pre_sum",
                "pre_sum_squares",
                "pre_cross_sum",
            )
        ),
    )
    assert pooled.pre_sum is not None
    assert pooled.pre_cross_sum is not None
    covariance = (pooled.pre_cross_sum - pooled.sum * pooled.pre_sum / pooled.n) / (pooled.n - 1)
    theta = covariance / pre_variance(pooled)
    out = []
    for arm in arms:
        assert arm.pre_sum is not None
        assert arm.pre_cross_sum is not None
        mean, variance = plain(arm)
        arm_covariance = (arm.pre_cross_sum - arm.sum * arm.pre_sum / arm.n) / (arm.n - 1)
        out.append(
            Moments(
                arm.n,
                mean - theta * arm.pre_sum / arm.n,
                mean,
                variance + theta**2 * pre_variance(arm) - 2 * theta * arm_covariance,
            )
        )
    return out[0], out[1]


def gb_080(case: Case, index: int, spec: MethodSpec) -> dict[str, float]:
    """gbstats 0.8.0's result rebuilt by its rules: the lift over the signed control mean and, with CUPED, the
    relative variance by the plain delta method on the adjusted variances (0.8.0's ``frequentist_variance``)."""
    a, b = gb_moments(case, index)
    point = (b.mean - a.mean) / a.unadjusted if spec.relative else b.mean - a.mean
    if spec.relative:
        variance = b.variance / (a.unadjusted**2 * b.n) + a.variance * b.unadjusted**2 / (a.unadjusted**4 * a.n)
    else:
        variance = a.variance / a.n + b.variance / b.n
    if spec.method is Method.FREQUENTIST:
        per_a, per_b = a.variance / a.n, b.variance / b.n
        dof = (per_a + per_b) ** 2 / (per_a**2 / (a.n - 1) + per_b**2 / (b.n - 1))
        half = float(special.stdtrit(dof, 1 - spec.alpha / 2)) * math.sqrt(variance)
        p_value = 2 * (1 - float(special.stdtr(dof, abs(point) / math.sqrt(variance))))
        return {"lift": point, "ci_low": point - half, "ci_high": point + half, "p_value": p_value}
    if spec.method is Method.SEQUENTIAL:
        total = a.n + b.n
        rho2 = (-2 * math.log(spec.alpha) + math.log(-2 * math.log(spec.alpha) + 1)) / spec.tuning
        half = math.sqrt(variance * total) * math.sqrt(
            2 * (total * rho2 + 1) * math.log(math.sqrt(total * rho2 + 1) / spec.alpha) / (total**2 * rho2)
        )
        evalue = math.exp(rho2 * point**2 * total / variance / (2 * (total * rho2 + 1))) / math.sqrt(total * rho2 + 1)
        return {"lift": point, "ci_low": point - half, "ci_high": point + half, "p_value": min(1 / evalue, 1.0)}
    scale = 1.0 if spec.relative else abs(a.unadjusted)
    precision = 1 / variance + (1 / (spec.prior_variance * scale**2) if spec.prior_proper else 0.0)
    mean = point / variance / precision if spec.prior_proper else point
    sd = math.sqrt(1 / precision)
    z = mean / sd
    up = float(special.ndtr(z))
    density = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    loss, gain = sd * density - mean * float(special.ndtr(-z)), sd * density + mean * up
    if not case.higher_is_better:
        up, loss, gain = 1 - up, gain, loss
    half = float(special.ndtri(1 - spec.alpha / 2)) * sd
    return {"lift": mean, "ci_low": mean - half, "ci_high": mean + half, "chance_to_win": up, "risk": loss, "risk_control": gain}


@dataclass(frozen=True)
class Cause:
    """A documented difference: when it applies, and gbstats' value rebuilt by its rule."""

    label: str
    applies: Callable[[Case, MethodSpec], bool]
    rebuild: Callable[[Case, int, MethodSpec, LiftResult], dict[str, float | None]]


def _negative_baseline(case: Case, index: int, spec: MethodSpec, ours: LiftResult) -> dict[str, float | None]:
    # gbstats divides by the signed control mean: the relative effect and its interval change sign.
    flip: dict[str, float | None] = {
        "lift": None if ours.lift is None else -ours.lift,
        "ci_low": None if ours.ci_high is None else -ours.ci_high,
        "ci_high": None if ours.ci_low is None else -ours.ci_low,
        "p_value": ours.p_value,
        "chance_to_win": None if ours.chance_to_win is None else 1 - ours.chance_to_win,
        "risk": ours.risk_control,
        "risk_control": ours.risk,
    }
    return flip


def _zero_variance(case: Case, index: int, spec: MethodSpec, ours: LiftResult) -> dict[str, float | None]:
    # gbstats refuses any arm with zero variance: expected 0, interval [0, 0], p 1 / chance to win 0.5, risk 0.
    return {"lift": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p_value": 1.0, "chance_to_win": 0.5, "risk": 0.0, "risk_control": 0.0}


def _cuped_relative_080(case: Case, index: int, spec: MethodSpec, ours: LiftResult) -> dict[str, float | None]:
    return dict(gb_080(case, index, spec))


def _p_underflow(case: Case, index: int, spec: MethodSpec, ours: LiftResult) -> dict[str, float | None]:
    # gbstats computes 2·(1 − cdf(|t|)), which is 0 below ≈ 1e-16; we compute 2·cdf(−|t|).
    if ours.lift is None or ours.standard_error is None or ours.degrees_of_freedom is None:
        return {}
    upper = float(special.stdtr(ours.degrees_of_freedom, abs(ours.lift) / ours.standard_error))
    return {"p_value": 2 * (1 - upper)}


def _has_zero_variance_arm(case: Case, spec: MethodSpec) -> bool:
    return case.name.startswith("score, zero variance")


CAUSES = (
    Cause(
        "negative control: gbstats divides by the signed mean",
        lambda case, spec: spec.relative and case.arms[0].sum < 0,
        _negative_baseline,
    ),
    Cause("zero variance in one arm: gbstats gives no test", _has_zero_variance_arm, _zero_variance),
    Cause(
        "CUPED relative variance: 0.8.0 plain delta method", lambda case, spec: case.cuped and spec.relative, _cuped_relative_080
    ),
    Cause("gbstats' p = 2(1 − cdf) underflows to 0", lambda case, spec: spec.method is Method.FREQUENTIST, _p_underflow),
)


# --------------------------------------------------------------------------------------------
# comparison


@dataclass
class Row:
    case: str
    method: str
    variation: str
    quantity: str
    ours: float | None
    theirs: float | None
    verdict: str = ""
    difference: float | None = None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)


def quantities(spec: MethodSpec) -> tuple[str, ...]:
    if spec.method is Method.BAYESIAN:
        return ("lift", "ci_low", "ci_high", "chance_to_win", "risk", "risk_control")
    return ("lift", "ci_low", "ci_high", "p_value")


def close(a: float | None, b: float | None, tolerance: float = TOLERANCE) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance


def exact(a: float | None, b: float | None) -> bool:
    """Equal but for rounding: a rebuilt value must match gbstats' this closely to explain a difference."""
    return close(a, b, 1e-12 + 1e-9 * abs(b or 0.0))


def compare(cases: list[Case], answer: dict[str, Any]) -> list[Row]:
    theirs_iter = iter(answer["results"])
    rows: list[Row] = []
    for case in cases:
        for spec in METHODS:
            ours_results = analyse([case.metric()], options=spec.options(cuped=case.cuped)).results
            for index, ours in enumerate(ours_results, start=1):
                theirs = next(theirs_iter)
                causes = [cause for cause in CAUSES if cause.applies(case, spec)]
                for quantity in quantities(spec):
                    mine = getattr(ours, quantity)
                    other = theirs.get(quantity)
                    row = Row(case.name, spec.name, ours.variation, quantity, mine, other)
                    if mine is not None and other is not None:
                        row.difference = abs(mine - other)
                    explained = (
                        []
                        if exact(mine, other)
                        else [
                            cause.label for cause in causes if exact(cause.rebuild(case, index, spec, ours).get(quantity), other)
                        ]
                    )
                    if close(mine, other):
                        # Equal to 1e-6; a smaller difference that a cause accounts for is named too.
                        row.verdict = f"equal (rest: {explained[0]})" if explained else "equal"
                    else:
                        row.verdict = f"explained: {explained[0]}" if explained else "UNEXPLAINED"
                    rows.append(row)
    return rows


def srm_cases(cases: list[Case]) -> list[tuple[str, list[int], list[float]]]:
    out = [(case.name, [arm.n for arm in case.arms], [1.0] * len(case.arms)) for case in cases]
    out.append(("planned 80/20, observed 8,040/1,960", [8040, 1960], [0.8, 0.2]))
    out.append(("mismatch 5,000/4,700/5,300", [5000, 4700, 5300], [1.0, 1.0, 1.0]))
    out.append(("a weight-0 arm with 30 units", [5000, 5100, 30], [1.0, 1.0, 0.0]))
    return out


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value != 0 and (abs(value) < 1e-4 or abs(value) >= 1e6):
        return f"{value:.6e}"
    return f"{value:.8f}"


def print_table(rows: list[Row], *, only_differences: bool) -> None:
    print("| case | method | variation | quantity | ours | gbstats | abs diff | verdict |")
    print("|---|---|---|---|---:|---:|---:|---|")
    for row in rows:
        if only_differences and row.verdict == "equal":
            continue
        difference = "—" if row.difference is None else f"{row.difference:.1e}"
        print(
            f"| {row.case} | {row.method} | {row.variation} | {row.quantity} | {fmt(row.ours)} | {fmt(row.theirs)} "
            f"| {difference} | {row.verdict} |"
        )


def batch_cases(cases: list[Case], size: int) -> list[Case]:
    """``size`` two-arm comparisons cycling through the cases (first variation), CUPED cases included."""
    two_arm = [Case(c.name, c.kind, c.arms[:2], c.cuped, c.higher_is_better) for c in cases]
    return [two_arm[i % len(two_arm)] for i in range(size)]


def time_ours(batch: list[Case], spec: MethodSpec, runs: int) -> list[float]:
    plain = [[case.metric()] for case in batch if not case.cuped]
    cuped = [[case.metric()] for case in batch if case.cuped]
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        analyse_many(plain, options=spec.options(cuped=False))
        analyse_many(cuped, options=spec.options(cuped=True))
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--venv",
        type=Path,
        default=DEFAULT_VENV,
        help=f"the gbstats virtualenv, created there if missing (default {DEFAULT_VENV})",
    )
    parser.add_argument("--runs", type=int, default=5, help="timing runs (median reported)")
    parser.add_argument("--batch", type=int, default=2000, help="comparisons in the timed batch")
    parser.add_argument("--only-differences", action="store_true", help="print only rows that are not equal")
    parser.add_argument("--keep", type=Path, help="write the JSON exchanged with gbstats to this folder")
    args = parser.parse_args()

    python = ensure_venv(args.venv)
    cases = build_cases()
    srm = srm_cases(cases)
    batch = batch_cases(cases, args.batch)
    request = {
        "cases": [case.to_json() for case in cases],
        "methods": [spec.to_json() for spec in METHODS],
        "srm": [[users, weights] for _, users, weights in srm],
        "timed_methods": list(TIMED),
        "batch": [case.to_json() for case in batch],
        "runs": args.runs,
    }
    with tempfile.TemporaryDirectory() as folder:
        runner = Path(folder) / "gbstats_runner.py"
        runner.write_text(RUNNER, encoding="utf-8")
        done = subprocess.run(
            [str(python), str(runner)], input=json.dumps(request), capture_output=True, text=True, check=False, cwd=folder
        )
    if done.returncode != 0:
        sys.exit(f"gbstats runner failed:\n{done.stderr[-3000:]}")
    answer = json.loads(done.stdout)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        (args.keep / "request.json").write_text(json.dumps(request, indent=1), encoding="utf-8")
        (args.keep / "gbstats.json").write_text(json.dumps(answer, indent=1), encoding="utf-8")

    print(f"## Values: deliveryops vs gbstats {GBSTATS_VERSION} ({python})\n")
    rows = compare(cases, answer)
    print_table(rows, only_differences=args.only_differences)
    print("\n## Sample ratio mismatch (χ² p-value)\n")
    print("| case | units | weights | ours | gbstats | abs diff | verdict |")
    print("|---|---|---|---:|---:|---:|---|")
    for (name, users, weights), theirs in zip(srm, answer["srm"], strict=True):
        ours = sample_ratio_mismatch(users, weights).p_value
        if abs(ours - theirs) <= TOLERANCE:
            verdict = "equal"
        else:
            # gbstats keeps a weight-0 arm's units in the total and in the degrees of freedom.
            total, kept = sum(users), sum(w for w in weights if w > 0)
            chi = sum((o - total * w / kept) ** 2 / (total * w / kept) for o, w in zip(users, weights, strict=True) if w > 0)
            rebuilt = float(special.chdtrc(len(users) - 1, chi))
            verdict = (
                "explained: gbstats keeps weight-0 arms in N and df" if abs(rebuilt - theirs) <= TOLERANCE else "UNEXPLAINED"
            )
        print(
            f"| {name} | {'/'.join(map(str, users))} | {'/'.join(f'{w:g}' for w in weights)} | {fmt(ours)} "
            f"| {fmt(theirs)} | {abs(ours - theirs):.1e} | {verdict} |"
        )

    counts = Counter(row.verdict.split(" ")[0].rstrip(":") for row in rows)
    unaccounted = [row.difference for row in rows if row.verdict == "equal" and row.difference is not None]
    print(
        f"\n{len(rows)} values compared: {counts['equal']} equal to 1e-6 (largest difference not accounted for by "
        f"a cause: {max(unaccounted, default=0.0):.1e}), {counts['explained']} explained, "
        f"{counts['UNEXPLAINED']} unexplained."
    )
    for label, count in sorted(Counter(row.verdict for row in rows if row.verdict != "equal").items()):
        print(f"- {count} × {label}")

    print(f"\n## Speed: {args.batch} two-arm comparisons, median of {args.runs} runs\n")
    print("| method | ours ms | gbstats ms | gbstats ÷ ours |")
    print("|---|---:|---:|---:|")
    for spec in METHODS:
        if spec.name not in TIMED:
            continue
        ours_ms = statistics.median(time_ours(batch, spec, args.runs)) * 1000
        theirs_ms = statistics.median(answer["timing"][spec.name]) * 1000
        print(f"| {spec.name} | {ours_ms:.1f} | {theirs_ms:.1f} | {theirs_ms / ours_ms:.0f}× |")
    print(
        "\n(ours: analyse_many, one call per CUPED setting; gbstats: one test object per comparison, as its "
        "own runner does, without its pandas plumbing.)"
    )


if __name__ == "__main__":
    main()
