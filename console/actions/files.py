"""Files only their owner can read: 0600 files in 0700 folders, never through a planted link.

The audit log, recordings, incident exports and `snapshot --output` hold cluster
names, pod names, alert labels and who did what: nothing another local user
should read. Every writer of the console opens its files here, so the rule
lives in one place:

- folders the console creates (the state folder, an export's folder) are 0700
  (XDG's rule for state folders), each one, not only the last (`os.makedirs` gives
  the intermediate ones the umask's mode); a folder the user named (`--record
  FILE`, `--output FILE`) is theirs: it is neither created nor changed;
- files are created 0600; a file that already exists with group or other bits
  (an audit log from an older version, a `--record` file made by hand) is
  tightened to 0600 on open rather than warned about: the owner asked us to
  write there, and nobody else should read what we write;
- a symbolic link is never followed at the last component (O_NOFOLLOW), except
  for the audit log, which lives in our own 0700 state folder where nobody else
  can plant one and where a user may have linked it to their log shipper;
- an incident export goes into a fresh folder with an unpredictable name made by
  `tempfile.mkdtemp` (0700, retried on a collision, never an existing folder), and
  its files are created with O_EXCL: nothing planted at a predictable path is
  ever written through.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
DIR_MODE = 0o700
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def ensure_private_dir(path: Path, *, tighten: bool = False) -> None:
    """Create `path` and any missing parents with mode 0700.

    Folders that already exist are left as they are (a home folder is not ours to
    change), except `path` itself with `tighten`: the console's own state folder.
    """
    missing: list[Path] = []
    here = path
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another console
            folder.mkdir(mode=DIR_MODE)
    if tighten and not missing:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode) and info.st_mode & 0o077 and info.st_uid == os.getuid():
            path.chmod(DIR_MODE)


def _tighten(fd: int) -> None:
    """0600 for a regular file we own that has group/other bits; others are left alone."""
    info = os.fstat(fd)
    if stat.S_ISREG(info.st_mode) and info.st_mode & 0o077 and info.st_uid == os.getuid():
        os.fchmod(fd, FILE_MODE)


def _open(path: Path, flags: int, *, follow: bool = False) -> int:
    try:
        fd = os.open(path, flags | _CLOEXEC | (0 if follow else _NOFOLLOW), FILE_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise OSError(errno.ELOOP, "is a symbolic link, which is not followed",
                          str(path)) from None
        raise
    try:
        _tighten(fd)
    except OSError:
        os.close(fd)
        raise
    return fd


def open_append(path: Path, *, follow: bool = False) -> IO[bytes]:
    """Append to `path` (created 0600), as a binary file; its folder must exist.

    Missing folders are not made here: a `--record FILE` in a folder that is not
    there is a typo to report, not a tree to create (the audit log makes its own).
    """
    fd = _open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, follow=follow)
    return os.fdopen(fd, "ab")


def write_private(path: Path, text: str) -> None:
    """Replace the contents of `path` with `text` (UTF-8), the file 0600, no link followed."""
    fd = _open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def create_exclusive(path: Path, text: str) -> None:
    """Create `path` with `text`; fails if anything (a file, a link) is already there."""
    fd = _open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def write_fresh_folder(parent: Path, prefix: str, files: Mapping[str, str]) -> Path:
    """A new 0700 folder `<prefix><random>` in `parent` holding `files` (name -> text), 0600.

    The random suffix (tempfile's) makes the name unpredictable, so nobody can plant a
    link there in advance; `mkdtemp` never reuses an existing folder.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    for name, text in files.items():
        if Path(name).name != name:
            raise ValueError(f"not a plain file name: {name!r}")
        create_exclusive(folder / name, text)
    return folder
