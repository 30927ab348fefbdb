"""A real `quickassist serve` for benchmarks: the same harness the integration tests use."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.fixtures.service import RELAXED_LIMITS, LiveService, _make_service


@contextmanager
def running_service(**env: str) -> Iterator[LiveService]:
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        service = _make_service(Path(tmp), env={**RELAXED_LIMITS, **env})
        try:
            yield service
        finally:
            service.stop()


def rss_mib(pid: int) -> float:
    """Resident set size of a process, in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]
