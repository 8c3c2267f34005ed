"""Real resolutions against the public index: a ``pip install --dry-run --report`` of a
requirement set, with the child's CPU time and peak memory.

Shared by ``scripts/bench_realworld.py`` (the table in the README) and the CI test that
holds default extras to stock pip's result on a large real graph. Each child runs with
the tests' hermetic environment (the machine's pip settings removed, so pip uses its
default index) and a pip cache folder of the caller's: after one warm-up run the index
pages and metadata come from that cache, so the figures are pip's own work, not the
network's.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests._lib.pipenv import PipEnv, hermetic_environ

#: Requirement sets: the two that broke default extras (issue 13), then large stacks of
#: common kinds and one that makes pip backtrack through many releases.
REQUIREMENT_SETS: Mapping[str, tuple[str, ...]] = {
    "airflow": ("apache-airflow==2.10.*",),
    "appbuilder": ("flask-appbuilder==4.5.3", "apache-airflow-providers-fab"),
    "scientific": ("scipy", "pandas", "scikit-learn", "matplotlib", "jupyterlab", "statsmodels"),
    "web": ("django", "djangorestframework", "celery[redis]", "fastapi", "uvicorn", "sqlalchemy"),
    "cloud-sdk": ("boto3", "google-cloud-storage", "google-cloud-bigquery", "azure-identity"),
    "ml": ("transformers", "datasets", "accelerate", "scikit-learn"),
    "backtracking": ("awscli", "boto3<1.30"),
}

#: A resolution that leaks memory must not take the machine with it.
DEFAULT_MEMORY_CAP_MB = 4096


@dataclass(frozen=True)
class Resolution:
    """What one dry run resolved, and what it cost."""

    #: Sorted (name, version) pairs pip would install; empty when pip failed.
    packages: tuple[tuple[str, str], ...]
    returncode: int
    cpu_seconds: float
    peak_rss_mb: float
    wall_seconds: float
    #: The last lines pip printed on failure.
    error: str = ""
    #: The report's ``install`` items (only with ``keep_report``).
    items: tuple[dict[str, Any], ...] = ()
    #: Everything pip printed (only with ``keep_output``).
    output: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _limit_memory(cap_mb: int) -> None:
    limit = cap_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def resolve(
    env: PipEnv,
    requirements: Sequence[str],
    *,
    wheelnext: str | None,
    cache_dir: Path,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 900,
    memory_cap_mb: int = DEFAULT_MEMORY_CAP_MB,
    pip_args: Sequence[str] = ("--quiet",),
    keep_report: bool = False,
    keep_output: bool = False,
) -> Resolution:
    """Dry-run ``pip install`` of ``requirements`` in ``env`` (nothing installed there)."""
    extra = dict(extra_env or {})
    if wheelnext is not None:
        extra["WHEELNEXT_PIP"] = wheelnext
    environ = hermetic_environ(extra)
    environ.pop("PIP_NO_CACHE_DIR", None)  # the caller's cache keeps the network out
    with tempfile.TemporaryDirectory(prefix="wnp-realworld-") as work:
        report = Path(work) / "report.json"
        log = Path(work) / "pip.log"
        command = [
            os.fspath(env.python), "-m", "pip", "install", "--dry-run", "--ignore-installed",
            *pip_args, "--report", os.fspath(report), "--cache-dir", os.fspath(cache_dir),
            *requirements,
        ]  # fmt: skip
        started = time.perf_counter()
        with open(log, "wb") as output:
            child = subprocess.Popen(
                command,
                env=environ,
                cwd=env.root,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=lambda: _limit_memory(memory_cap_mb),
            )
            status, usage = _wait(child, timeout)
        wall = time.perf_counter() - started
        returncode = os.waitstatus_to_exitcode(status) if status is not None else -9
        packages: tuple[tuple[str, str], ...] = ()
        items: list[dict[str, Any]] = []
        error = ""
        output = log.read_text(encoding="utf-8", errors="replace") if keep_output else ""
        if returncode == 0:
            items = json.loads(report.read_text(encoding="utf-8"))["install"]
            packages = tuple(
                sorted(
                    (
                        item["metadata"]["name"].lower().replace("_", "-"),
                        item["metadata"]["version"],
                    )
                    for item in items
                )
            )
        else:
            lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            error = "\n".join(lines[-5:]) if status is not None else f"timed out after {timeout}s"
    return Resolution(
        packages=packages,
        returncode=returncode,
        cpu_seconds=(usage.ru_utime + usage.ru_stime) if usage else float("nan"),
        peak_rss_mb=(usage.ru_maxrss / 1024) if usage else float("nan"),
        wall_seconds=wall,
        error=error,
        items=tuple(items) if keep_report else (),
        output=output,
    )


def _wait(
    child: subprocess.Popen[bytes], timeout: float
) -> tuple[int | None, resource.struct_rusage | None]:
    """The child's exit status and resource use (its waited-for descendants included)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid == child.pid:
            child.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
            return status, usage
        if time.monotonic() > deadline:
            child.kill()
            os.wait4(child.pid, 0)
            child.returncode = -9
            return None, None
        time.sleep(0.05)


def difference(stock: Resolution, other: Resolution) -> str:
    """One line naming how two resolutions differ ("" when they are identical)."""
    if stock.ok != other.ok:
        failed = stock if not stock.ok else other
        return f"one run failed: {failed.error.splitlines()[-1] if failed.error else '?'}"
    if stock.packages == other.packages:
        return ""
    before, after = dict(stock.packages), dict(other.packages)
    changes = [
        f"{name} {before.get(name, '-')} -> {after.get(name, '-')}"
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    ]
    return (
        f"{len(changes)} differ: " + ", ".join(changes[:6]) + (" ..." if len(changes) > 6 else "")
    )
