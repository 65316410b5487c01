"""The ``govshare`` command (DESIGN §8). Every failure exits non-zero with a one-line reason.

Every command finds its data directory the same way: ``--dir``, else ``GOVSHARE_DATA_DIR``
(environment or settings file), else ``./.govshare``; the command's function gets the settings
with that directory made absolute, so nothing depends on the working directory after start.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from govshare.commands.errors import CommandError
from govshare.commands.parsers import parser
from govshare.errors import GovshareError
from govshare.settings import Settings, SettingsError, load_settings

__all__ = ["CommandError", "main", "parser"]

Run = Callable[..., int]


def _function(target: str) -> Run:
    module, _, name = target.partition(":")
    run: Run = getattr(importlib.import_module(module), name)
    return run


def _settings(directory: str | None) -> Settings:
    settings = load_settings(data_dir=Path(directory) if directory else None)
    return dataclasses.replace(settings, data_dir=Path(os.path.abspath(settings.data_dir)))


def _quiet_stdout() -> None:
    """Whoever read stdout has gone (`govshare audit list | head`): drop what is left, quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code = int(_function(args.run)(args, _settings(args.dir)))
        sys.stdout.flush()  # here, where a reader gone away is handled, not at exit
        return code
    except (CommandError, SettingsError) as exc:
        print(f"govshare: {exc}", file=sys.stderr)
        return 1
    except GovshareError as exc:
        print(f"govshare: {exc.message}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        _quiet_stdout()
        return 141  # as a shell reports a process ended by SIGPIPE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
