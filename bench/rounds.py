"""Two sides of a bench (or more) measured in short alternating rounds within one run
(A B A B …), so that both see the same machine: the same disk cache, the same neighbours, the
same clock speed."""

from __future__ import annotations

import statistics
from collections.abc import Callable


def alternate(ours: Callable[[int], float], *theirs: Callable[[int], float],
              rounds: int) -> list[tuple[float, ...]]:
    """(our rate, their rates…) for each round ``0 … rounds - 1``, ours first then theirs."""
    return [(ours(number), *(side(number) for side in theirs)) for number in range(rounds)]


def report(label: str, pairs: list[tuple[float, ...]], *, ours: str, theirs: str, unit: str,
           goal: float, beside: str | None = None, ceiling: bool = False) -> float:
    """Each round's rates with our ratio to the baseline (``theirs``, the second side), then the
    medians and the median of the ratios (returned). ``beside`` names a third side, whose
    ratio is printed for information; with ``ceiling``, the third side is the baseline plus work
    ours cannot skip, and its own ratio to the baseline is the most ours could reach."""
    names = [ours, theirs, *([beside] if beside else [])]
    print(label)
    for number, rates in enumerate(pairs, start=1):
        sides = ", ".join(f"{name} {rate:8.1f} {unit}" for name, rate in
                          zip(names, rates, strict=True))
        print(f"  manche {number:2d} : {sides}, ratio {rates[0] / rates[1]:5.2f}")
    ratio = statistics.median(rates[0] / rates[1] for rates in pairs)
    medians = ", ".join(f"{name} {statistics.median(r[n] for r in pairs):8.1f} {unit}"
                        for n, name in enumerate(names))
    print(f"  médianes : {medians} ; médiane des ratios {ratio:5.2f} (objectif ≥ {goal})")
    if beside:
        print(f"  face à {beside} : médiane des ratios "
              f"{statistics.median(r[0] / r[2] for r in pairs):5.2f}")
    if beside and ceiling:
        print(f"  plafond : {beside} face à {theirs}, médiane des ratios "
              f"{statistics.median(r[2] / r[1] for r in pairs):5.2f} (le plus que {ours} "
              "puisse atteindre)")
    return ratio
