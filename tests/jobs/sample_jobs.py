"""Jobs declared for the job API's tests (a worker process started by a test imports this module)."""

from __future__ import annotations

import time
from datetime import timedelta

from deliveryops.jobs import JobContext, job, periodic


@job("tests.add", title="Add {a} and {b}")
def add(context: JobContext, *, a: int, b: int = 0) -> str:
    """Succeeds at once with the sum."""
    context.progress(1, 1, "added")
    return f"{a} + {b} = {a + b}"


@job("tests.flaky", title="Flaky until attempt {succeed_on}", retries=2, retry_delay=timedelta(0))
def flaky(context: JobContext, *, succeed_on: int) -> str:
    """Fails until its ``succeed_on``-th attempt."""
    if context.attempt < succeed_on:
        raise RuntimeError(f"attempt {context.attempt} broke")
    return f"succeeded on attempt {context.attempt}"


@job("tests.steps", title="Steps for {key}", lock="steps:{key}", retries=2, retry_delay=timedelta(0))
def steps(context: JobContext, *, key: str, count: int = 3, hang_on_first_attempt: bool = False) -> str:
    """Reports ``count`` steps; on its first attempt it can hang (reporting progress) until it is killed."""
    for step in range(1, count + 1):
        context.progress(step - 1, count, f"step {step}")
        while hang_on_first_attempt and context.attempt == 1:
            context.progress(step - 1, count, "hanging")
            time.sleep(0.05)
    context.progress(count, count, "done")
    return f"{key}: {count} steps on attempt {context.attempt}"


@periodic("tests.every_minute", title="Every minute", every=timedelta(minutes=1))
def every_minute(context: JobContext) -> str:
    """A periodic job."""
    return "ticked"
