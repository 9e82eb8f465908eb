"""
Interleaved timing for the benchmarks: every candidate runs once per round, in turn.

On a shared machine the load changes from one second to the next; timing A five times and
then B five times puts that drift into the comparison. Running A B C, A B C, ... and comparing
the runs of the same round cancels most of it. Ratios are reported as median [min-max] over
the rounds, the spread saying how far a figure can be trusted.
"""
import statistics
import time

__all__ = ["interleaved", "spread", "ratio"]


def interleaved(candidates, rounds, *, warmup=True):
    """
    Seconds of each candidate in each round: ``{name: [s1, s2, ...]}``.

    ``candidates`` maps a name to a callable taking no argument; its result is kept in
    ``results[name]`` (last round) so that callers can check that all give the same answer.
    With ``warmup``, each runs once untimed first (imports, connections, caches of the OS).
    """
    results = {}
    if warmup:
        for name, run in candidates.items():
            results[name] = run()
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, run in candidates.items():
            start = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - start)
    interleaved.results = results
    return times


def spread(values, digits=3):
    """``median [min-max]`` of a list of numbers."""
    return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def ratio(numerators, denominators, digits=2):
    """Round-by-round ratios ``numerator / denominator`` as ``median [min-max]``."""
    return spread([a / b for a, b in zip(numerators, denominators, strict=True)], digits)
