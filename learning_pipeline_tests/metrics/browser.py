"""Headless Chromium (Debian's `chromium`), installed when missing: the dashboard is checked in a
real browser, as a person would open it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str:
    """The chromium binary, apt-installing it first when it is missing; skips (saying why) only
    when it cannot be installed here (no root, no apt, no package source)."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and this user cannot apt-get install it (run `make browser` as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(["apt-get", "install", "-y", "chromium"], env=env, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=900)
        result = subprocess.run(["apt-get", "install", "-y", "chromium"], env=env, capture_output=True, text=True, timeout=1800)
    found = shutil.which("chromium")
    if not found:
        pytest.skip(f"chromium could not be installed: {result.stderr.strip().splitlines()[-1:] or result.returncode}")
    return found


def _headless(binary: str, profile: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    # --no-sandbox: the tests may run as root in a container, where Chromium's sandbox cannot start.
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
               f"--user-data-dir={profile}", "--hide-scrollbars", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def dump_dom(binary: str, url: str, profile: Path) -> str:
    result = _headless(binary, profile, "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def screenshot(binary: str, url: str, path: Path, profile: Path, size: str = "1400,3200") -> Path:
    result = _headless(binary, profile, f"--screenshot={path}", f"--window-size={size}", url)
    assert result.returncode == 0 and path.exists(), result.stderr[-2000:]
    return path
