"""Two sides of a bench measured in short alternating rounds within one run (A B A B …), so that
both see the same machine: the same disk cache, the same neighbours, the same clock speed."""

from __future__ import annotations

import statistics
from collections.abc import Callable


def alternate(ours: Callable[[int], float], theirs: Callable[[int], float],
              rounds: int) -> list[tuple[float, float]]:
    """(our rate, their rate) for each round ``0 … rounds - 1``, ours first then theirs."""
    return [(ours(number), theirs(number)) for number in range(rounds)]


def report(label: str, pairs: list[tuple[float, float]], *, ours: str, theirs: str, unit: str,
           goal: float) -> float:
    """Each pair with its ratio, then the medians and the median of the ratios (returned)."""
    print(label)
    for number, (mine, other) in enumerate(pairs, start=1):
        print(f"  manche {number:2d} : {ours} {mine:8.1f} {unit}, {theirs} {other:8.1f} {unit}, "
              f"ratio {mine / other:5.2f}")
    ratio = statistics.median(mine / other for mine, other in pairs)
    print(f"  médianes : {ours} {statistics.median(p[0] for p in pairs):8.1f} {unit}, "
          f"{theirs} {statistics.median(p[1] for p in pairs):8.1f} {unit} ; "
          f"médiane des ratios {ratio:5.2f} (objectif ≥ {goal})")
    return ratio
