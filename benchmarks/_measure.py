"""Helpers shared by the benchmarks: peak resident memory from /proc, cProfile summaries, a throwaway PostgreSQL."""

from __future__ import annotations

import cProfile
import io
import os
import pstats


def status_mb(field: str) -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident of this process image) from /proc, in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux >= 4.0), so that the peak measured is the step's own."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def profile_text(profile: cProfile.Profile, top: int) -> str:
    """The top functions of a profile, by cumulative and by own time."""
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    out.write("--- by cumulative time ---\n")
    stats.sort_stats("cumulative").print_stats(top)
    out.write("--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


class ThrowawayPostgres:
    """A database ``<prefix>_<pid>`` created on entry and dropped (WITH (FORCE)) on exit."""

    def __init__(self, admin_url: str, *, prefix: str = "deliveryops_bench") -> None:
        self.admin_url = admin_url
        self.name = f"{prefix}_{os.getpid()}"
        self.url = ""
        self.version = ""

    def __enter__(self) -> ThrowawayPostgres:
        from sqlalchemy import create_engine, make_url, text  # noqa: PLC0415 - only when PostgreSQL is benchmarked

        self._admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as connection:
            self.version = str(connection.execute(text("SHOW server_version")).scalar())
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = make_url(self.admin_url).set(database=self.name).render_as_string(hide_password=False)
        return self

    def __exit__(self, *_exc: object) -> None:
        from sqlalchemy import text  # noqa: PLC0415

        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()
