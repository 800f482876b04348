"""Compute a result once, reuse it everywhere: a content-addressed store of JSON entries.

A result's key is the SHA-256 of everything that determines it: the caller's payload (spec,
seed, preprocessing variant, ...), a fingerprint of this package's code and data, and the
versions of the libraries that compute it. Change any of them and the key changes, so a stale
result is never returned.

What the store guarantees, because the CLI, both languages' chapters, the tests and a team's
processes share one store (``docs/store.md`` names the test that checks each):

- **atomic entries**: an entry is written to a temporary file in its own folder and moved into
  place with ``os.replace``, so a reader sees the whole entry or none; a write that fails (a full
  disk) or is interrupted removes its temporary file;
- **one computation per key**: a key's lock (``filelock``, next to the entry) is held while it is
  computed; a process that finds it held waits, then reads the entry. The lock file is removed
  once the entry is stored;
- **only proven damage is ignored**: an entry that is not JSON, is for another key or format, or
  whose checksum does not match is never returned and is replaced by the recomputed one. The
  result is an entry's last member, written as canonical JSON, and the checksum is of those bytes,
  so checking it costs a hash, not a second serialisation (a page reads thousands of entries);
- **nothing valid is deleted**: an entry that cannot be read now (too many open files, an I/O
  error, no permission) is left in place and the read fails with :class:`StoreError` after a few
  retries; the store never removes an entry;
- **a readable mode**: entries are created with mode ``ENTRY_MODE`` (0o664) less the umask:
  0644 under the usual umask 022, so the store's group can read them.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Callable
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock, Timeout

from penguins.versions import library_versions

ENV_VARIABLE = "PENGUINS_STORE"
# Set to 1 where nothing may be computed, only read: the site's pages (tasks.py site) and their tests.
READ_ONLY_VARIABLE = "PENGUINS_STORE_READ_ONLY"
DEFAULT_FOLDER = ".penguins-store"
# 2: the result is the entry's last member, its checksum that of its bytes as written (1: of the
# result serialised again)
FORMAT = 2
RESULT_MEMBER = b',"result":'
# An entry's mode before the umask: the owner and the group may read and write, others read.
ENTRY_MODE = 0o664
# Read errors that may pass by themselves: the read is tried again after each delay, then reported.
TRANSIENT_ERRNOS = frozenset({
    errno.EMFILE, errno.ENFILE, errno.EAGAIN, errno.EINTR, errno.EIO, errno.EBUSY, errno.ENOMEM, errno.ETIMEDOUT,
    errno.ESTALE,
})
READ_RETRY_DELAYS_S = (0.1, 0.5, 2.0)
# A stop file older than this with no owner we can see (another host's) is not removed; legacy
# empty .stop-* folders (before stop files named their process) are removed after it.
LEGACY_LEFTOVER_AGE_S = 24 * 3600
log = logging.getLogger(__name__)


def canonical_json(value: Any) -> str:
    """``value`` as JSON with sorted keys and no spaces: equal values give equal text, so equal hashes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=True)


def sha256_text(text: str) -> str:
    """The SHA-256 of ``text`` encoded as UTF-8, in hexadecimal (keys and checksums)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Modules that only build payloads (whose content is hashed anyway), schedule tasks, store or
# present results: editing them cannot change a stored result, so they stay out of the
# fingerprint and a wording fix in a chapter helper does not throw away hours of training. This
# module is one of them: FORMAT versions the layout of an entry. Every other module, including
# any new one, is in.
PRESENTATION_MODULES = frozenset(
    {
        "__main__.py", "cli.py", "catalog.py", "cluster.py", "compile_cache.py", "experiments.py", "extras.py",
        "presets.py", "sweep.py", "plotting.py", "reference.py", "store.py", "uncertainty.py",
    }
)
# Folders of presentation only: the claims ledger (it reads results), the chapters' pages and the
# string tables.
PRESENTATION_FOLDERS = ("claims/", "pages/", "strings/")


def is_presentation(relative: str) -> bool:
    """Whether the package file at ``relative`` (a posix path) stays out of the code fingerprint."""
    return relative in PRESENTATION_MODULES or relative.startswith(PRESENTATION_FOLDERS)


PACKAGE = Path(__file__).resolve().parent


@cache
def code_fingerprint(package: Path = PACKAGE) -> str:
    """SHA-256 over the package's computing sources and data files, in path order."""
    digest = hashlib.sha256()
    candidates = (p for p in package.rglob("*") if p.is_file() and p.suffix in {".py", ".csv", ".json"})
    for path in sorted(p for p in candidates if not is_presentation(p.relative_to(package).as_posix())):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def project_root() -> Path | None:
    """The project holding the current folder: the nearest parent with a ``pyproject.toml``."""
    here = Path.cwd().resolve()
    return next((folder for folder in (here, *here.parents) if (folder / "pyproject.toml").is_file()), None)


def default_root() -> Path:
    """Where the store is when no ``--store`` is given.

    ``$PENGUINS_STORE``, else ``.penguins-store`` in the project holding the current folder, else
    the user's cache folder.
    """
    if os.environ.get(ENV_VARIABLE):
        return Path(os.environ[ENV_VARIABLE]).expanduser()
    root = project_root()
    return root / DEFAULT_FOLDER if root is not None else Path.home() / ".cache" / "penguins"


class StoreError(RuntimeError):
    """The results store could not be read or written.

    The message, one line, names the path, the cause and what to do; nothing in the store was
    lost. ``errno`` is the cause's, if any.
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.errno = code


class ReadOnlyStoreError(RuntimeError):
    """A result was missing from a store that may only be read."""


_ADVICE = {
    errno.ENOSPC: "free some disk space or choose another store (--store DIR); every finished result is kept",
    errno.EDQUOT: (
        "the disk quota is used up: free some space or choose another store (--store DIR); "
        "every finished result is kept"
    ),
    errno.EACCES: (
        "you may not use that folder: fix its permissions (docs/store.md, sharing a store) "
        "or choose another store (--store DIR)"
    ),
    errno.EPERM: "the file system refuses the change (an immutable folder?): choose another store (--store DIR)",
    errno.EROFS: "the file system is read-only: choose a writable store (--store DIR)",
    errno.EMFILE: "too many open files: raise the limit (ulimit -n) and run again; nothing was deleted",
    errno.ENFILE: "the system has too many open files: run again later; nothing was deleted",
    errno.EIO: "an input/output error: check the disk and run again; nothing was deleted",
    errno.ENOENT: "a folder on its path does not exist and cannot be created there: choose another store (--store DIR)",
    errno.ENOTDIR: "a part of its path is a file: choose another store (--store DIR)",
}


def advice(code: int | None) -> str:
    """What to do about an OS error with ``errno`` ``code``, in a few words."""
    fallback = "choose another store (--store DIR), or run again with --debug for the details"
    return fallback if code is None else _ADVICE.get(code, fallback)


def describe_os_error(error: OSError) -> str:
    """``error`` in one line: its reason and the file it concerns."""
    reason = error.strerror or str(error) or type(error).__name__
    return f"{reason} ({error.filename})" if error.filename else reason


def owned_name(prefix: str, suffix: str = "") -> str:
    """A unique file name that says which process made it.

    ``prefix``, host, process id, a random token, ``suffix``: what a killed process leaves under
    such a name is found and removed later (:meth:`ResultStore.clean_leftovers`).
    """
    return f"{prefix}{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}{suffix}"


def owner_is_gone(name: str, prefix: str) -> bool:
    """Whether the process that made the :func:`owned_name` ``name`` ran on this host and has ended."""
    match = re.fullmatch(rf"{re.escape(prefix)}(?P<host>.+)-(?P<pid>\d+)-[0-9a-f]{{8}}(\..*)?", name)
    if match is None or match["host"] != socket.gethostname():
        return False
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists but belongs to someone else
        return False
    return False


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all.

    A temporary file in the same folder (mode ``ENTRY_MODE`` less the umask), flushed to disk, then
    moved into place with ``os.replace``. On any failure (a full disk, an interrupt) the temporary
    file is removed and the error raised, so a reader never sees half an entry.
    """
    temporary = path.with_name(owned_name(".tmp-", path.suffix))
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, ENTRY_MODE)
    try:
        try:
            _write_all(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise


def _write_all(descriptor: int, data: bytes) -> None:
    """``os.write`` until every byte of ``data`` is written (the tests inject a full disk here)."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _read_bytes(path: Path) -> bytes:
    """The bytes of ``path`` (the tests inject read errors here)."""
    return path.read_bytes()


def _read_retrying(path: Path) -> bytes:
    """The bytes of ``path``, trying again after ``READ_RETRY_DELAYS_S`` when an error may pass."""
    for delay in (*READ_RETRY_DELAYS_S, None):
        try:
            return _read_bytes(path)
        except FileNotFoundError:
            raise
        except OSError as error:
            if delay is None or error.errno not in TRANSIENT_ERRNOS:
                raise
            time.sleep(delay)
    raise AssertionError("unreachable")


# Damaged entries already reported by this process (each is reported once, until it is replaced).
_reported_damage: set[Path] = set()


class KeyLock:
    """The lock held while one key's result is computed: a ``filelock`` next to its entry.

    flock locks die with their process, so a killed computation never blocks the next one. The
    lock file is removed on release once the entry is stored: every process takes the lock only
    after finding the entry missing and reads the entry again once it holds it, so none can be
    misled by a lock file that vanished.
    """

    def __init__(self, store: ResultStore, key: str) -> None:
        self._store = store
        self.path = store.path(key).with_suffix(".lock")
        self._lock = FileLock(self.path)

    def acquire(self, timeout: float = -1) -> bool:
        """Take the lock, waiting at most ``timeout`` seconds; whether it was taken.

        ``timeout`` -1 waits as long as it takes, 0 not at all.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire(timeout=timeout)
        except Timeout:
            return False
        except OSError as error:
            raise self._store.error(
                f"cannot lock {self.path.name} in the results store {self._store.root}", error
            ) from error
        return True

    def release(self, stored: bool) -> None:
        """Let the key go; ``stored``: its entry is in the store now, so its lock file goes too."""
        if stored:
            with suppress(OSError):
                self.path.unlink(missing_ok=True)
        self._lock.release()


class ResultStore:
    """JSON results on disk, addressed by the hash of what determines them.

    ``read_only`` (default: ``$PENGUINS_STORE_READ_ONLY`` is 1) makes a missing result an error
    instead of a computation: a rendered page reads what ``penguins reproduce`` computed and
    trains nothing.
    """

    def __init__(self, root: str | Path | None = None, read_only: bool | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.read_only = os.environ.get(READ_ONLY_VARIABLE) == "1" if read_only is None else read_only

    def require_writable(self, what: str) -> None:
        """Raise :class:`ReadOnlyStoreError` naming ``what`` if this store may only be read."""
        if self.read_only:
            raise ReadOnlyStoreError(
                f"{what} is not in the results store {self.root}, which is read-only here "
                f"(${READ_ONLY_VARIABLE}=1); compute it first with `penguins reproduce` (and `penguins variants`)"
            )

    def check(self) -> None:
        """Raise :class:`StoreError` if the store's folder cannot be one.

        It cannot when it, or a folder above it, is a file. Whether it can be written shows at the
        first write, which names the cause.
        """
        for folder in (self.root, *self.root.parents):
            if folder.exists():
                if not folder.is_dir():
                    raise StoreError(
                        f"the results store {self.root} cannot be a folder: {folder} is a file; "
                        "choose another store (--store DIR)",
                        errno.ENOTDIR,
                    )
                return

    def error(self, doing: str, error: OSError) -> StoreError:
        """A :class:`StoreError` for ``error`` met while ``doing`` (a few words), with advice."""
        if error.errno == errno.ENOTDIR:
            self.check()  # raises the clearer message when the store's path runs through a file
        reason = error.strerror or str(error) or type(error).__name__
        return StoreError(f"{doing}: {reason}; {advice(error.errno)}", error.errno)

    def key(self, payload: dict[str, Any]) -> str:
        """The key of ``payload``'s result.

        Parameters
        ----------
        payload : dict
            What is computed (spec, seed, preprocessing, engine), as JSON-ready values.

        Returns
        -------
        str
            The SHA-256 of the payload, the package's code fingerprint and the library versions:
            a change to any of them gives another key, so a stale result is never returned.
        """
        return sha256_text(
            canonical_json({"payload": payload, "code": code_fingerprint(), "versions": library_versions()})
        )

    def path(self, key: str) -> Path:
        """The entry file of ``key``.

        In a folder named by the key's first two characters, so that no folder grows to every entry.
        """
        return self.root / key[:2] / f"{key}.json"

    def lock(self, key: str) -> KeyLock:
        """The lock of ``key``'s computation (not yet taken)."""
        return KeyLock(self, key)

    def create(self, folder: Path | None = None) -> Path:
        """Create ``folder`` (default: the store's own) and its parents; :class:`StoreError` if that fails."""
        folder = self.root if folder is None else folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self.error(
                f"cannot create the folder {folder} for the results store {self.root}"
                if folder != self.root
                else f"cannot create the results store {folder}",
                error,
            ) from error
        return folder

    def workdir(self, key: str) -> Path:
        """A scratch folder that belongs to one key (for tools that insist on writing files)."""
        return self.create(self.root / "work" / key)

    def load(self, key: str) -> dict[str, Any] | None:
        """The stored result for ``key``, or None when it is missing or damaged.

        A damaged entry is reported, never returned, and left to be replaced.

        Raises
        ------
        StoreError
            When the entry cannot be read now (it is kept: the fault may pass).
        """
        path = self.path(key)
        try:
            data = _read_retrying(path)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise self.error(f"cannot read the store entry {path} (it is kept)", error) from error
        entry = _parsed(data)
        if entry is None:
            damage = "not JSON"
        elif not isinstance(entry, dict) or entry.get("key") != key or entry.get("format") != FORMAT:
            damage = "not an entry for this key"
        elif entry.get("checksum") != hashlib.sha256(_result_bytes(data, entry)).hexdigest():
            damage = "checksum mismatch"
        else:
            result: dict[str, Any] = entry["result"]
            return result
        _ignore_damaged(path, damage)
        return None

    def save(self, key: str, payload: dict[str, Any], result: dict[str, Any]) -> None:
        """Write an entry atomically (:func:`write_atomically`); :class:`StoreError` if it cannot be."""
        self.require_writable(f"the result of {canonical_json(payload)[:200]}")
        path = self.path(key)
        result_bytes = canonical_json(result).encode("utf-8")
        header = {
            "format": FORMAT,
            "key": key,
            "payload": payload,
            "code": code_fingerprint(),
            "versions": library_versions(),
            "checksum": hashlib.sha256(result_bytes).hexdigest(),
            "result_bytes": len(result_bytes),
        }
        data = canonical_json(header).encode("utf-8")[:-1] + RESULT_MEMBER + result_bytes + b"}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, data)
        except OSError as error:
            raise self.error(f"cannot write to the results store {self.root}", error) from error
        _reported_damage.discard(path)

    def get_or_compute(
        self, payload: dict[str, Any], compute: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        """The result for ``payload`` and whether it came from the store.

        ``compute`` runs at most once across processes for a missing key; a process that finds
        the key locked waits for the entry instead of computing it again.
        """
        key = self.key(payload)
        result = self.load(key)
        if result is not None:
            return result, True
        self.require_writable(f"the result of {canonical_json(payload)[:200]}")
        lock = self.lock(key)
        lock.acquire()
        stored = False
        try:
            result = self.load(key)  # another process may have finished it while we waited
            cached = result is not None
            if result is None:
                result = compute()
                self.save(key, payload, result)
            stored = True
        finally:
            lock.release(stored)
        return result, cached

    def clean_leftovers(self) -> int:
        """Remove what killed processes left behind, never an entry; how many went.

        Temporary files and stop files of processes of this host that have ended, lock files of
        keys that are stored, and empty stop folders of earlier versions older than a day. Best
        effort: what cannot be removed now stays for a later call.
        """
        removed = 0
        candidates = [
            *((path, ".tmp-") for path in self.root.glob("*/.tmp-*")),
            *((path, ".stop-") for path in self.root.glob(".stop-*")),
        ]
        for path, prefix in candidates:
            if path.is_file() and owner_is_gone(path.name, prefix):
                removed += _remove(path)
            elif path.is_dir() and prefix == ".stop-" and _is_old_and_empty(path):
                removed += _remove(path)
        for lock in self.root.glob("*/*.lock"):
            if lock.with_suffix(".json").is_file():
                removed += _remove(lock)
        return removed


def _parsed(data: bytes) -> Any:
    """The JSON value of ``data``, or None if it is not JSON (orjson; json where it holds a NaN)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:  # orjson refuses NaN and Infinity, which a diverged run's history holds
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _result_bytes(data: bytes, entry: dict[str, Any]) -> bytes:
    """The bytes of the result member an entry was written with (empty if they are not where they were put)."""
    length = entry.get("result_bytes")
    if not isinstance(length, int) or isinstance(length, bool) or not 0 < length < len(data):
        return b""
    end = len(data) - 1
    start = end - length
    if data[end:] != b"}" or data[start - len(RESULT_MEMBER) : start] != RESULT_MEMBER:
        return b""
    return data[start:end]


def _ignore_damaged(path: Path, reason: str) -> None:
    """Report a damaged entry (once per process) and treat it as missing.

    It is replaced when its result is computed again, and never deleted by the store.
    """
    if path not in _reported_damage:
        _reported_damage.add(path)
        log.warning("ignoring damaged store entry %s (%s): it will be computed again and replaced", path, reason)


def _remove(path: Path) -> int:
    try:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    except OSError:
        return 0
    return 1


def _is_old_and_empty(folder: Path) -> bool:
    try:
        return not any(folder.iterdir()) and time.time() - folder.stat().st_mtime > LEGACY_LEFTOVER_AGE_S
    except OSError:
        return False
