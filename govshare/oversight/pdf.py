"""Printing the yearly sharing report's HTML page to PDF with a headless Chromium or Chrome.

The browser is run as a separate program (no Python browser library), with a throwaway profile and
no network: the page is self-contained, and nothing it might reference should be fetched while it
is printed. The setting ``GOVSHARE_CHROMIUM`` names the browser when it is not on the PATH under a
usual name; callers pass it to :func:`find_browser`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

__all__ = ["BROWSER_NAMES", "find_browser", "print_pdf"]

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Enough of the browser's stderr to show why it failed, not its whole start-up chatter.
_STDERR_TAIL = 2000


def find_browser(configured: str | None = None) -> str | None:
    """The browser to print with: ``configured`` (a path or a command name), else the first usual name on the PATH.

    A configured browser that cannot be found or run is an error rather than a quiet fallback, so that a
    misspelt setting is noticed. None when nothing is configured and no usual name is found."""
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise FileNotFoundError(
                f"browser {configured!r} was not found or is not executable;"
                " set GOVSHARE_CHROMIUM to a Chromium or Chrome executable"
            )
        return found
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    return None


def print_pdf(html: Path, pdf: Path, browser: str, *, timeout: float = 120) -> None:
    """Print the page ``html`` to ``pdf`` with ``browser`` (from :func:`find_browser`).

    The PDF is written beside ``pdf`` under a temporary name and moved into place only once the browser
    has succeeded, so a failed print leaves any earlier ``pdf`` as it was and never a half-written one."""
    if not html.is_file():
        # Chromium would print its own "file not found" page instead of failing.
        raise FileNotFoundError(f"cannot print {str(html)!r} to PDF: no such file")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    # A fresh name that the browser creates itself, so the PDF gets the usual file mode (mkstemp's is 0600).
    part = pdf.with_name(f".{pdf.name}.{secrets.token_hex(6)}.part")
    try:
        with tempfile.TemporaryDirectory(prefix="govshare-chromium-") as profile:
            code, stderr = _run(_command(browser, html, part, Path(profile)), profile, browser, timeout)
        if code != 0:
            raise RuntimeError(f"{browser} failed to print {str(pdf)!r} (exit code {code}): {stderr}")
        if not part.is_file() or part.stat().st_size == 0:
            raise RuntimeError(f"{browser} exited without writing the PDF {str(pdf)!r}: {stderr}")
        part.replace(pdf)
    finally:
        part.unlink(missing_ok=True)


def _command(browser: str, html: Path, part: Path, profile: Path) -> list[str]:
    return [
        browser,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",  # the report is printed as root in containers, where the sandbox cannot start
        "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-sync",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        # Every host name fails to resolve: a stray reference in the page cannot reach the network.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--no-pdf-header-footer",
        f"--user-data-dir={profile}",
        f"--print-to-pdf={part.resolve()}",
        html.resolve().as_uri(),
    ]


def _run(command: list[str], profile: str, browser: str, timeout: float) -> tuple[int, str]:
    """Run the browser; its exit code and the tail of its stderr."""
    # The profile directory also takes the browser's caches and config, so nothing is left in $HOME.
    env = {**os.environ, "XDG_CONFIG_HOME": profile, "XDG_CACHE_HOME": profile}
    # A session of its own, so that a browser that hangs is stopped with all its child processes.
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"printing to PDF with {browser} took longer than {timeout:g} s and was stopped") from None
    finally:
        _stop(process)
    tail = stderr.decode("utf-8", "replace")[-_STDERR_TAIL:].strip()
    return process.returncode, tail or "(no output on stderr)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End what is left of the browser's session: a hung browser, or child processes that outlived it."""
    with contextlib.suppress(ProcessLookupError):  # the browser and its child processes have all exited
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if process.stderr is not None:
        process.stderr.close()
