"""Measuring helpers shared by the benchmarks: peak resident memory from /proc and cProfile summaries."""

from __future__ import annotations

import cProfile
import io
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
