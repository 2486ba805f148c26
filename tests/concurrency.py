"""Running operations at the same moment, released together by a barrier: in threads of one
process, or in several real processes, so that races happen the way they would between server
workers."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from typing import Any

TIMEOUT_SECONDS = 120


def at_once(jobs: list[Callable[[], Any]], *, seconds: float = 60) -> list[Any]:
    """Run every job on a thread of its own, all starting at the same moment; what each returned,
    or the exception it raised (the test examines every outcome)."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        barrier.wait(timeout=30)
        try:
            outcomes[index] = job()
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds)
    return outcomes


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
