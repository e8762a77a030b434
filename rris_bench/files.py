"""Atomic writes, folder swaps, locks and content hashes: an output is either whole or absent, never
half-written, and a full disk or a read-only folder is one line naming the output (``WriteError``)."""
from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, Optional, Union

from .errors import InputError

PathLike = Union[str, "os.PathLike[str]"]


WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG})


class WriteError(InputError):
    """An output could not be written (read-only folder, full disk, not a file): names the output, never the
    temporary file. Exit code 2, as the folder is the user's."""


def _write_error(path: Path, exc: OSError) -> WriteError:
    return WriteError(f"cannot write here ({exc.strerror or exc})", path)


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds. An OSError
    while making, writing or renaming it (full disk, read-only folder) is a ``WriteError`` naming ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from None
        raise


def check_writable(path: PathLike, option: str, *, folder: bool = False) -> None:
    """At the door, before any work: ``path`` can be written as a file (``folder``: as a folder that is
    replaced whole), that is, it is not a folder (not a file) and the folder it goes in, or the first existing
    one above, takes a new file. Raises WriteError naming the option and the path."""
    path = Path(path)
    if path.is_dir() and not folder:
        raise WriteError("is a folder: give a file name", path, field=option)
    if folder and path.exists() and not path.is_dir():
        raise WriteError("is a file: give a folder name", path, field=option)
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise WriteError(f"cannot write here ({exc.strerror or exc})", path, field=option) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def copy_file(src: PathLike, dst: PathLike) -> None:
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


# --- folders ---------------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _leftover_owner(target: Path, leftover: Path) -> Optional[int]:
    """The pid in a leftover's name ``.<target>.<pid>.<random>.tmp|old`` (0 for the older ``.<target>.<random>
    .tmp|old`` form, which names none), or None when it is not a leftover of ``target``."""
    found = re.fullmatch(rf"\.{re.escape(target.name)}\.(?:(\d+)\.)?[^.]+\.(tmp|old)", leftover.name)
    return None if found is None else int(found.group(1) or 0)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def repair_leftovers(target: PathLike) -> None:
    """Undo what a killed ``atomic_dir`` left beside ``target``: put a previous version that was moved aside
    (``.<name>.<pid>.*.old/x``) back when ``target`` is missing, and remove the temporary folders of
    processes that no longer run."""
    target = Path(target)
    if not target.parent.is_dir():
        return
    for leftover in sorted(target.parent.glob(f".{target.name}.*")):
        owner = _leftover_owner(target, leftover)
        if owner is None or not leftover.is_dir() or _alive(owner):
            continue
        if leftover.suffix == ".old" and (leftover / "x").is_dir() and not target.exists():
            os.replace(leftover / "x", target)
        shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(target: PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; on success it replaces ``target`` whole, so that at
    every instant one complete version is in place (an atomic exchange of the two folders, then the old one
    is deleted). Where the exchange is unsupported, the old folder is moved aside first, and a kill between
    the two renames is repaired by the next ``atomic_dir`` or ``repair_leftovers`` on the same target.
    OSErrors are WriteErrors naming ``target``."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        repair_leftovers(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent))
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; the folder gets the usual permissions
    except OSError as exc:
        raise _write_error(target, exc) from None
    try:
        yield tmp
        if not target.exists():
            os.replace(tmp, target)
        elif _exchange(tmp, target):
            shutil.rmtree(tmp)  # now the previous version
        else:
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".old", dir=target.parent))
            os.replace(target, old / "x")
            os.replace(tmp, target)
            shutil.rmtree(old)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _write_error(target, exc) from None
        raise


# --- locks -----------------------------------------------------------------------------------------


@contextlib.contextmanager
def exclusive_lock(path: PathLike, what: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (taken on a hidden ``.<name>.lock`` beside it, removed on release)
    for the block; if another process holds it, raise InputError at once, naming ``path`` and ``what`` it
    is doing. The lock dies with its process, so a killed run never leaves ``path`` locked."""
    path = Path(path)
    lock = path.with_name(f".{path.name}.lock")
    fd: Optional[int] = None
    while fd is None:
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
        except OSError as exc:
            raise _write_error(path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(f"another process is {what} this file: wait for it to finish, or choose another "
                             "output", path) from None
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the previous holder removed the file between our open and our lock: take the new one
            os.close(fd)
            fd = None
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)
