"""Compute a result once, reuse it everywhere: a content-addressed store of JSON entries.

A result's key is the SHA-256 of everything that determines it: the caller's payload (spec,
seed, preprocessing variant, ...), a fingerprint of this package's code and data, and the
versions of the libraries that compute it. Change any of them and the key changes, so a stale
result is never returned.

Safety, because the CLI, both languages' chapters and the tests share one store:
- writes go to a temporary file in the same folder and are moved into place with
  ``os.replace``, so a reader sees the whole entry or none;
- a per-key ``filelock`` makes two processes that ask for the same missing key compute it once;
  the second waits and reads the first one's entry;
- every entry carries a checksum of its result; an entry that does not parse or does not match
  is deleted and recomputed, never returned.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any, Callable

from filelock import FileLock

from penguins.versions import library_versions

ENV_VARIABLE = "PENGUINS_STORE"
# Set to 1 where nothing may be computed, only read: the site's pages (tasks.py site) and their tests.
READ_ONLY_VARIABLE = "PENGUINS_STORE_READ_ONLY"
DEFAULT_FOLDER = ".penguins-store"
FORMAT = 1
log = logging.getLogger(__name__)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=True)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Modules that only build payloads (whose content is hashed anyway), schedule tasks, store or
# present results: editing them cannot change a stored result, so they stay out of the
# fingerprint and a wording fix in a chapter helper does not throw away hours of training. This
# module is one of them: FORMAT versions the layout of an entry. Every other module, including
# any new one, is in.
PRESENTATION_MODULES = frozenset(
    {
        "__main__.py", "cli.py", "catalog.py", "experiments.py", "extras.py", "presets.py", "sweep.py", "claims.py",
        "plotting.py", "reference.py", "store.py", "uncertainty.py",
    }
)
# Folders of presentation only: the chapters' pages and the string tables.
PRESENTATION_FOLDERS = ("pages/", "strings/")


def is_presentation(relative: str) -> bool:
    """Whether the package file at ``relative`` (a posix path) stays out of the code fingerprint."""
    return relative in PRESENTATION_MODULES or relative.startswith(PRESENTATION_FOLDERS)


@cache
def code_fingerprint(package: Path = Path(__file__).resolve().parent) -> str:
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
    """``$PENGUINS_STORE``, else ``.penguins-store`` in the project holding the current folder,
    else the user's cache folder."""
    if os.environ.get(ENV_VARIABLE):
        return Path(os.environ[ENV_VARIABLE]).expanduser()
    root = project_root()
    return root / DEFAULT_FOLDER if root is not None else Path.home() / ".cache" / "penguins"


class ReadOnlyStoreError(RuntimeError):
    """A result was missing from a store that may only be read."""


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

    def key(self, payload: dict[str, Any]) -> str:
        return sha256_text(
            canonical_json({"payload": payload, "code": code_fingerprint(), "versions": library_versions()})
        )

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def workdir(self, key: str) -> Path:
        """A scratch folder that belongs to one key (for tools that insist on writing files)."""
        folder = self.root / "work" / key
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def load(self, key: str) -> dict[str, Any] | None:
        """The stored result for ``key``, or None. A damaged entry is deleted and reported as None."""
        path = self.path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            return self._discard(path, f"unreadable ({error})")
        if not isinstance(entry, dict) or entry.get("key") != key or entry.get("format") != FORMAT:
            return self._discard(path, "not an entry for this key")
        if entry.get("checksum") != sha256_text(canonical_json(entry.get("result"))):
            return self._discard(path, "checksum mismatch")
        return entry["result"]

    def save(self, key: str, payload: dict[str, Any], result: dict[str, Any]) -> None:
        """Write an entry atomically: a temporary file in the same folder, then ``os.replace``."""
        self.require_writable(f"the result of {canonical_json(payload)[:200]}")
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            "format": FORMAT,
            "key": key,
            "payload": payload,
            "code": code_fingerprint(),
            "versions": library_versions(),
            "result": result,
            "checksum": sha256_text(canonical_json(result)),
        }
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(json.dumps(entry, sort_keys=True))
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

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
        lock_path = self.path(key).with_suffix(".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(lock_path):
            result = self.load(key)  # another process may have finished it while we waited
            if result is not None:
                return result, True
            result = compute()
            self.save(key, payload, result)
        return result, False

    def _discard(self, path: Path, reason: str) -> None:
        log.warning("discarding damaged store entry %s: %s", path, reason)
        path.unlink(missing_ok=True)
        return None
