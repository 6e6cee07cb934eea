"""The statistics file reader: the documented examples, daily summation, and every error with its line and column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from deliveryops.analytics.experiments import ArmStats, MetricKind
from deliveryops.errors import ValidationFailedError
from deliveryops.experiments.stats_csv import read_statistics

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


def test_the_cumulative_example_reads_every_metric_kind() -> None:
    statistics = read_statistics((EXAMPLES / "experiment-checkout.csv").read_bytes(), name="experiment-checkout.csv")
    assert statistics.variations == ("control", "one-page", "express")
    assert [(m.name, m.kind, m.role, m.higher_is_better) for m in statistics.metrics] == [
        ("revenue_per_user", MetricKind.MEAN, "primary", True),
        ("conversion", MetricKind.PROPORTION, "primary", True),
        ("pages_per_session", MetricKind.RATIO, "secondary", True),
        ("page_load_ms", MetricKind.MEAN, "guardrail", False),
    ]
    assert statistics.metrics[0].arms[0] == ArmStats(
        "control", 5000, 149409.77, 5768874.1329, pre_sum=148807.21, pre_sum_squares=6692288.2499, pre_cross_sum=5808892.3365
    )
    assert statistics.metrics[1].arms[0] == ArmStats("control", 5000, 517, 517)
    assert statistics.metrics[2].arms[0].has_ratio
    assert (statistics.days, statistics.daily) == ((), False)


def test_the_daily_example_is_summed_into_cumulative_statistics() -> None:
    statistics = read_statistics((EXAMPLES / "experiment-daily.csv").read_bytes(), name="experiment-daily.csv")
    assert statistics.daily is True
    assert [day.day for day in statistics.days] == [date(2026, 11, day) for day in range(2, 9)]
    first, last = statistics.days[0].metrics[0], statistics.metrics[0]
    assert first.arms[0] == ArmStats("control", 415, 81, 81)
    assert last.arms[0].n == 2767
    assert last.arms[0].sum == 580


SMALL_DAILY = """date,metric,variation,n,sum,sum_squares
2026-01-02,rev,A,10,5,4
2026-01-01,rev,B,10,5,4
2026-01-01,rev,A,10,5,4
2026-01-02,rev,B,12,6,5
"""


def test_daily_rows_are_summed_in_date_order_whatever_the_row_order() -> None:
    statistics = read_statistics(SMALL_DAILY, name="s.csv", daily=True)
    assert statistics.metrics[0].arms == (ArmStats("A", 20, 10, 8), ArmStats("B", 22, 11, 9))
    assert statistics.days[0].metrics[0].arms == (ArmStats("A", 10, 5, 4), ArmStats("B", 10, 5, 4))
    cumulative = read_statistics(SMALL_DAILY, name="s.csv")
    assert cumulative.metrics[0].arms == (ArmStats("A", 10, 5, 4), ArmStats("B", 12, 6, 5))


def test_headers_are_read_loosely_and_defaults_apply() -> None:
    text = "Metric,Variation,N,Sum,Sum Squares,Higher-Is-Better\nlatency,A,4,8,20,no\nlatency,B,4,9,25,no\n"
    statistics = read_statistics(text.encode("utf-8-sig"), name="s.csv")
    metric = statistics.metrics[0]
    assert (metric.kind, metric.role, metric.higher_is_better) == (MetricKind.MEAN, "primary", False)


def problems(text: str | bytes, **options: bool) -> tuple[str, dict[str, str]]:
    with pytest.raises(ValidationFailedError) as caught:
        read_statistics(text, name="s.csv", **options)
    return caught.value.message, caught.value.fields


def test_every_bad_cell_is_reported_with_its_line_and_column() -> None:
    text = (
        "metric,kind,variation,n,sum,sum_squares,role\n"
        "rev,mean,A,10,5,,primary\n"
        "rev,mean,B,x,5,3,primary\n"
        "conv,proportion,A,10,12,,primary\n"
        "conv,proportion,B,10,2,,boss\n"
        "conv,odd,B,10,2,2,primary\n"
    )
    message, fields = problems(text)
    assert message == "s.csv: 5 problems; first: line 2, column sum_squares: a mean metric needs sum_squares"
    assert fields == {
        "line 2, column sum_squares": "a mean metric needs sum_squares",
        "line 3, column n": 'expected a whole number of units, 0 or more, got "x"',
        "line 4, column sum": "conversions must be between 0 and n (10), got 12",
        "line 5, column role": 'expected primary, secondary or guardrail, got "boss"',
        "line 6, column kind": 'expected mean, proportion or ratio, got "odd"',
    }


def test_header_problems() -> None:
    assert problems("metric,variation,sum\n") == (
        "s.csv: line 1, column n: this column is required",
        {"line 1, column n": "this column is required"},
    )
    message, fields = problems("metric,variation,n,sum,colour\n")
    assert fields == {
        "line 1, column colour": "unknown column; expected some of date, metric, kind, variation, n, sum, "
        "sum_squares, denominator_sum, denominator_sum_squares, cross_sum, pre_sum, pre_sum_squares, "
        "pre_cross_sum, role, higher_is_better, period"
    }
    assert message.startswith("s.csv: line 1, column colour: unknown column")
    assert problems("") == ("s.csv: the file is empty; expected a header row with metric, variation, n, sum", {"file": "empty"})
    assert problems("metric,variation,n,sum,sum_squares\n") == (
        "s.csv: the file has a header but no rows",
        {"file": "the file has a header but no rows"},
    )


def test_file_level_problems() -> None:
    assert problems("metric,variation,n,sum,sum_squares\nrev,A,10,5,4\n")[1] == {
        "column variation": "an experiment needs a control and at least one variation; found 1"
    }
    missing = (
        "date,metric,variation,n,sum,sum_squares\n2026-01-01,rev,A,10,5,4\n2026-01-01,rev,B,10,5,4\n2026-01-02,rev,A,10,5,4\n"
    )
    assert problems(missing)[1] == {"line 4, column variation": 'metric "rev" on 2026-01-02 has no row for variation B'}
    duplicate = "metric,variation,n,sum,sum_squares\nrev,A,10,5,4\nrev,B,10,5,4\nrev,A,10,5,4\n"
    assert problems(duplicate)[1] == {
        "line 4, column variation": 'duplicate row for metric "rev", variation "A" (first on line 2)'
    }
    mixed = "metric,kind,variation,n,sum,sum_squares\nrev,mean,A,10,5,4\nrev,proportion,B,10,5,5\n"
    assert problems(mixed)[1] == {"line 3, column kind": 'metric "rev" has kind mean on line 2'}
    assert problems("metric,variation,n,sum,sum_squares,period\nrev,A,10,5,4,daily\nrev,B,10,5,4,daily\n")[1] == {
        "line 1, column date": "daily statistics need a date column"
    }
    assert problems("metric,variation,n,sum,sum_squares\nrev,A,10,5\n")[1] == {
        "line 2": "expected 5 cells like the header, got 4"
    }


def test_impossible_sums_and_partial_statistics() -> None:
    assert problems("metric,variation,n,sum,sum_squares\nrev,A,10,50,4\nrev,B,10,5,4\n")[1] == {
        "line 2, column sum_squares": "sum_squares (4) is smaller than sum²/n (250), which no real values can give"
    }
    ratio = "metric,kind,variation,n,sum,sum_squares,denominator_sum\nr,ratio,A,10,5,4,3\nr,ratio,B,10,5,4,3\n"
    assert problems(ratio)[1] == {
        "line 2, column denominator_sum_squares": "a ratio metric needs denominator_sum_squares",
        "line 2, column cross_sum": "a ratio metric needs cross_sum",
        "line 3, column denominator_sum_squares": "a ratio metric needs denominator_sum_squares",
        "line 3, column cross_sum": "a ratio metric needs cross_sum",
    }
    pre = "metric,variation,n,sum,sum_squares,pre_sum\nrev,A,10,5,4,3\nrev,B,10,5,4,3\n"
    assert problems(pre)[1]["line 2, column pre_sum_squares"] == (
        "pre-period statistics need all of pre_sum, pre_sum_squares, pre_cross_sum"
    )
    assert problems("metric,variation,n,sum,sum_squares\nrev,A,10,inf,4\nrev,B,10,5,4\n")[1] == {
        "line 2, column sum": 'expected a finite number, got "inf"'
    }


def test_bytes_that_are_not_utf8_are_refused() -> None:
    assert problems(b"metric\xff") == (
        's.csv: line 1: the file is not UTF-8 text; save it as "CSV UTF-8" and try again',
        {"line 1": "not UTF-8 text"},
    )


def test_period_column_and_option_must_agree() -> None:
    text = (
        "date,metric,variation,n,sum,sum_squares,period\n2026-01-01,rev,A,10,5,4,cumulative\n2026-01-01,rev,B,10,5,4,cumulative\n"
    )
    assert read_statistics(text, name="s.csv").daily is False
    assert problems(text, daily=True)[1] == {"column period": "the file says cumulative but daily was asked for"}
