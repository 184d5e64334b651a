"""Files the command line writes: never over an input or the database, and always whole."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any


class OutputRefused(ValueError):
    """An output path that would destroy an input or the database, or cannot be written."""


def check_output(path: Path, protected: Mapping[str, str], option: str) -> Path:
    """``path`` if the command may write it; else ``OutputRefused`` saying why.

    ``protected`` maps the files the command reads or owns (its input, the database with its
    WAL, shared-memory, journal and lock files) to what they are. They are compared after
    resolving links, and by device and inode when both exist (a hard link is the same file
    under another name).
    """
    if path.is_dir():
        raise OutputRefused(f"{option} {path} is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputRefused(f"{option} {path}: the folder {folder} does not exist")
    target = os.path.realpath(path)
    for item, what in protected.items():
        if os.path.realpath(item) == target or _same_file(path, Path(item)):
            raise OutputRefused(f"{option} {path} is {what}; writing it would destroy it")
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@contextlib.contextmanager
def replaced(path: Path, mode: str = "w", *, keep_partial: bool = False) -> Iterator[IO[Any]]:
    """A file handle whose content replaces ``path`` in one step when the block ends.

    It is written to a temporary file beside ``path`` and renamed over it, so a reader (or a
    crash) never sees half a file. With ``keep_partial``, what was written is kept even when
    the block fails (a rejects file of an interrupted import); otherwise ``path`` is untouched.
    """
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.chmod(temporary, 0o666 & ~_umask())  # as an ordinary new file, not mkstemp's 0600
    kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
    done = False
    try:
        with os.fdopen(handle, mode, **kwargs) as stream:
            yield stream
        done = True
    finally:
        if done or keep_partial:
            os.replace(temporary, path)
        else:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
