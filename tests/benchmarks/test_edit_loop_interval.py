"""The interval the edit-loop benchmark prints beside each median ratio."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support.benchmark_modules import load_benchmark

median_interval = load_benchmark("bench_edit_loop").median_interval


def _misses(n: int, k: int) -> float:
    """The chance that [r(k), r(n+1-k)] misses the median: 2 P(binomial(n, 1/2) < k)."""
    return 2 * sum(math.comb(n, i) for i in range(k)) / 2**n


@pytest.mark.parametrize(
    ("pairs", "k"),
    # The textbook ranks for a 95 % interval of a median (k-th lowest, k-th highest).
    [(6, 1), (8, 1), (10, 2), (20, 6), (32, 10), (80, 31)],
)
def test_the_interval_is_the_textbook_pair_of_order_statistics(pairs: int, k: int) -> None:
    ratios = [1 + i / 1000 for i in range(pairs)]
    random.Random(pairs).shuffle(ratios)
    low, high = median_interval(ratios) or (0.0, 0.0)
    ordered = sorted(ratios)
    assert (low, high) == (ordered[k - 1], ordered[pairs - k])
    # At least 95 % coverage, and the next narrower interval would not have it.
    assert _misses(pairs, k) <= 0.05 < _misses(pairs, k + 1)


@pytest.mark.parametrize("pairs", [0, 1, 5])
def test_too_few_pairs_give_no_interval(pairs: int) -> None:
    # Five pairs: the lowest and highest miss the median 2/32 = 6.25 % of the time.
    assert median_interval([1.0] * pairs) is None


@given(st.lists(st.floats(min_value=0.5, max_value=2.0), min_size=6, max_size=120))
def test_the_interval_holds_the_sample_median(ratios: list[float]) -> None:
    interval = median_interval(ratios)
    assert interval is not None
    low, high = interval
    assert low in ratios and high in ratios
    assert low <= statistics.median(ratios) <= high


def test_the_interval_holds_the_true_median_as_often_as_it_says() -> None:
    # Skewed, heavy-tailed noise like a shared machine's: the interval still
    # holds the distribution's true median in at least 95 % of samples.
    rng = random.Random(0)
    true_median = 1.04 + 0.05  # lognormal(0, 1) has median e**0 = 1
    held = 0
    samples = 2000
    for _ in range(samples):
        ratios = [1.04 + rng.lognormvariate(0.0, 1.0) * 0.05 for _ in range(20)]
        low, high = median_interval(ratios) or (math.inf, -math.inf)
        held += low <= true_median <= high
    # 0.959 expected; the bound is 95 % less three standard errors of a
    # 2,000-sample proportion near 0.95 (about 0.015).
    assert held / samples >= 0.95 - 0.015
