"""Running the same operation in several real processes at once, released together by a barrier,
so that races happen the way they would between server workers."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

TIMEOUT_SECONDS = 120


def _run(target: Callable[..., Any], barrier: Any, results: Any, index: int, args: tuple) -> None:
    try:
        barrier.wait(timeout=TIMEOUT_SECONDS)
        results.put((index, target(*args)))
    except BaseException as exc:  # report every failure to the parent rather than dying silently
        results.put((index, f"error: {type(exc).__name__}: {exc}"))


def race(target: Callable[..., Any], arguments: list[tuple]) -> list[Any]:
    """Call target(*args) for each args in its own process, all starting at the same moment."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(arguments))
    results = context.Queue()
    processes = [
        context.Process(target=_run, args=(target, barrier, results, i, args), daemon=True)
        for i, args in enumerate(arguments)
    ]
    for process in processes:
        process.start()
    collected = dict(results.get(timeout=TIMEOUT_SECONDS) for _ in processes)
    for process in processes:
        process.join(timeout=TIMEOUT_SECONDS)
    return [collected[i] for i in range(len(arguments))]
