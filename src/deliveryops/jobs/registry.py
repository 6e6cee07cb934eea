"""Declaring jobs: ``@job`` for work enqueued on demand, ``@periodic`` for work that runs on a schedule.

A job is a plain function whose first parameter is the :class:`JobContext` and whose other parameters
are keyword-only and JSON-serialisable (ids, flags, short texts: never ORM objects, which belong to
another session). Declaring registers it by name; a worker runs any job whose module it imported
(``deliveryops.worker`` imports every module that declares jobs).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from deliveryops.settings import Settings

__all__ = [
    "JobCancelledError",
    "JobContext",
    "JobFailedError",
    "JobSpec",
    "PeriodicSpec",
    "job",
    "periodic",
    "registered",
    "spec_of",
]


class JobCancelledError(Exception):
    """Raised by :meth:`JobContext.progress` once someone has asked to cancel the job."""


class JobFailedError(Exception):
    """Raise from a job to end the attempt as failed with ``message`` in words.

    ``retry=False`` when another attempt cannot help (an expired token, a project that does not exist):
    the job ends failed at once, whatever attempts it has left; an admin may still retry it.
    """

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retry = retry


class ProgressSink(Protocol):
    """Where a job's progress goes (the ledger; a CLI progress bar too when run in the foreground)."""

    def __call__(self, done: int, total: int | None, message: str | None) -> bool:
        """Record progress; return True when the job has been asked to stop."""


@dataclass
class JobContext:
    """What a running job receives: its ledger id, attempt, settings, a session factory and a progress reporter.

    Each unit of work the job opens with :attr:`session_factory` commits on its own: a job that writes
    in several steps (a sync, page by page) leaves whole steps behind if it is stopped.
    """

    job_id: int
    attempt: int
    settings: Settings
    session_factory: sessionmaker[Session]
    report: ProgressSink
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Report progress (``done`` of ``total`` steps, and what is happening in words).

        Raises:
            JobCancelledError: someone asked to cancel the job; stop at this safe point.
        """
        if self.report(done, total, message):
            self.cancel_event.set()
        if self.cancel_event.is_set():
            raise JobCancelledError


JobFunction = Callable[..., str | None]


@dataclass(frozen=True)
class JobSpec:
    """A declared job.

    Attributes:
        name: stable name stored in the ledger ("sync.connection").
        function: the function run with the context and the stored arguments.
        title: shown in the admin list, formatted with the arguments ("Sync connection {connection_id}").
        lock: a per-key lock formatted with the arguments ("sync:{connection_id}"): jobs with the same key never
            run at the same time, in any process; None: no lock.
        retries: further attempts after a failure or after the worker running it stopped.
        retry_delay: the wait before the first retry; each further retry waits one more such delay.
        coalesce: enqueueing while a job with the same lock key is still queued returns that job instead.
    """

    name: str
    function: JobFunction
    title: str
    lock: str | None = None
    retries: int = 3
    retry_delay: timedelta = timedelta(seconds=30)
    coalesce: bool = False

    def parameters(self) -> list[str]:
        """The keyword arguments the job takes."""
        return list(inspect.signature(self.function).parameters)[1:]

    def bind(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Check ``arguments`` against the function's signature now, not in a worker later.

        Raises:
            TypeError: a missing or unknown argument.
        """
        signature = inspect.signature(self.function)
        bound = signature.bind(None, **arguments)
        bound.apply_defaults()
        return {name: value for name, value in bound.arguments.items() if name != next(iter(signature.parameters))}

    def title_for(self, arguments: dict[str, Any]) -> str:
        """The title with the arguments filled in."""
        return self.title.format(**arguments)[:200]

    def lock_for(self, arguments: dict[str, Any]) -> str | None:
        """The lock key with the arguments filled in (None: no lock)."""
        return self.lock.format(**arguments)[:200] if self.lock else None


@dataclass(frozen=True)
class PeriodicSpec:
    """A job that runs once per period, however many workers run.

    Attributes:
        spec: the job it runs (no arguments).
        every: the period: a whole number of minutes dividing an hour, or whole hours dividing a day.
    """

    spec: JobSpec
    every: timedelta

    def period_start(self, epoch_minutes: int) -> int:
        """The minute (since the epoch) at which the period containing ``epoch_minutes`` began."""
        step = int(self.every.total_seconds() // 60)
        return epoch_minutes - epoch_minutes % step


_JOBS: dict[str, JobSpec] = {}
_PERIODIC: dict[str, PeriodicSpec] = {}


def _register(spec: JobSpec) -> None:
    existing = _JOBS.get(spec.name)
    if existing is not None and existing.function.__qualname__ != spec.function.__qualname__:
        raise ValueError(f"Two jobs are named {spec.name!r}: {existing.function.__qualname__} and {spec.function.__qualname__}.")
    _JOBS[spec.name] = spec


def job(
    name: str,
    *,
    title: str,
    lock: str | None = None,
    retries: int = 3,
    retry_delay: timedelta = timedelta(seconds=30),
    coalesce: bool = False,
) -> Callable[[JobFunction], JobSpec]:
    """Declare a job (see :class:`JobSpec` for the options); the decorated name becomes the spec to enqueue."""

    def declare(function: JobFunction) -> JobSpec:
        spec = JobSpec(name, function, title, lock, retries, retry_delay, coalesce)
        for parameter in list(inspect.signature(function).parameters.values())[1:]:
            if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
                raise TypeError(f"Job {name!r}: argument {parameter.name!r} must be keyword-only.")
        _register(spec)
        return spec

    return declare


def periodic(name: str, *, title: str, every: timedelta, retries: int = 0) -> Callable[[JobFunction], JobSpec]:
    """Declare a job that runs once every ``every`` (1 minute to 1 day), on every installation that runs a worker."""
    minutes = every.total_seconds() / 60
    if not (minutes.is_integer() and (60 % minutes == 0 or (minutes % 60 == 0 and 24 * 60 % minutes == 0))):
        raise ValueError(f"Periodic job {name!r}: the period must divide an hour or a day in whole minutes.")

    def declare(function: JobFunction) -> JobSpec:
        spec = JobSpec(name, function, title, lock=f"periodic:{name}", retries=retries, retry_delay=timedelta(0))
        if len(inspect.signature(function).parameters) != 1:
            raise TypeError(f"Periodic job {name!r} takes no arguments besides its context.")
        _register(spec)
        _PERIODIC[name] = PeriodicSpec(spec, every)
        return spec

    return declare


def spec_of(name: str) -> JobSpec:
    """The declared job of that name.

    Raises:
        KeyError: no module imported so far declares it.
    """
    return _JOBS[name]


def registered() -> tuple[dict[str, JobSpec], dict[str, PeriodicSpec]]:
    """Every declared job and every periodic one, by name."""
    return dict(_JOBS), dict(_PERIODIC)
