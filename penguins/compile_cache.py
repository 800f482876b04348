"""XLA's compiled programs kept next to the results store (``xla-cache/``), written whole and checked.

JAX's own file cache writes an entry in place: a full disk or a killed process leaves a truncated
file, which JAX then fails to read on every later run ("Error reading persistent compilation
cache entry ... truncated stream") and never replaces, since a file of that name exists. This
cache writes an entry as the store writes a result (:func:`penguins.store.write_atomically`:
a temporary file moved into place) with a SHA-256 of its content in front, and checks it on every
read: a damaged file is removed and reported as missing, so JAX compiles the program and writes it
again. A failed write (a full disk) only costs a compilation later, so it is not an error.

JAX has no public hook for a cache of one's own: :func:`enable` installs the cache where JAX's
``compilation_cache`` module keeps its instance (``tests/test_store.py`` checks that JAX uses it),
and falls back to JAX's own file cache if that module changes.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from penguins.store import write_atomically

MAGIC = b"penguins-xla-cache 1\n"
SUFFIX = ".xla"
_DIGEST_SIZE = hashlib.sha256().digest_size
log = logging.getLogger(__name__)


def wrap(value: bytes) -> bytes:
    """What a cache file holds: ``MAGIC``, the SHA-256 of ``value``, ``value``."""
    return MAGIC + hashlib.sha256(value).digest() + value


def unwrap(data: bytes) -> bytes | None:
    """The value a cache file holds, or None if it is damaged (truncated, altered, foreign)."""
    header, digest, value = (
        data[: len(MAGIC)],
        data[len(MAGIC) : len(MAGIC) + _DIGEST_SIZE],
        data[len(MAGIC) + _DIGEST_SIZE :],
    )
    if header != MAGIC or hashlib.sha256(value).digest() != digest:
        return None
    return value


class CheckedFileCache:
    """JAX's ``CacheInterface`` (``get``, ``put``) over files written whole and checked on read."""

    def __init__(self, path: str | os.PathLike) -> None:
        self._path = Path(path)  # the attribute name JAX's caches use

    def file(self, key: str) -> Path:
        """The file that holds the program JAX stores under ``key``."""
        return self._path / f"{key}{SUFFIX}"

    def get(self, key: str) -> bytes | None:
        """The compiled program stored under ``key``, or None.

        None when it is missing, unreadable now (a cache miss: nothing is removed) or damaged (then
        the file is removed, so JAX compiles the program and writes it again).
        """
        file = self.file(key)
        try:
            data = file.read_bytes()
        except OSError:
            return None
        value = unwrap(data)
        if value is None:
            log.debug("removing damaged compile-cache file %s", file)
            file.unlink(missing_ok=True)
        return value

    def put(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key`` whole or not at all; a failure is only logged (debug)."""
        file = self.file(key)
        try:
            if not file.exists():
                write_atomically(file, wrap(value))
        except OSError as error:
            log.debug("compile-cache file %s not written: %s", file, error)


_installed: Path | None = None


def enable(directory: str | os.PathLike) -> bool:
    """Keep XLA's compiled programs in ``directory`` (created if needed) in a :class:`CheckedFileCache`.

    Later processes then load the programs instead of compiling them again. Safe across versions:
    JAX keys an entry by the program, the compiler flags and the JAX / XLA versions.

    Returns
    -------
    bool
        Whether a cache is in use: False when ``directory`` cannot be created, and the programs
        are then compiled as without a cache.
    """
    global _installed
    import jax

    directory = Path(directory)
    if _installed == directory:
        return True
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        log.debug("no compile cache in %s: %s", directory, error)
        return False
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    _install(CheckedFileCache(directory))
    _installed = directory
    return True


def _install(cache: CheckedFileCache) -> None:
    """Make ``cache`` the one JAX's compiler reads and writes (see the module's docstring)."""
    try:
        from jax._src import compilation_cache as jax_cache

        with jax_cache._cache_initialized_mutex:
            jax_cache._cache = cache  # type: ignore[assignment]  # duck-typed: JAX's CacheInterface is private
            jax_cache._cache_initialized = True
    except (ImportError, AttributeError) as error:  # a JAX without these: its own file cache stays
        log.debug("JAX's compilation cache module changed (%s): using JAX's own file cache", error)


def in_use() -> object | None:
    """The cache JAX's compiler uses now (for the tests)."""
    from jax._src import compilation_cache as jax_cache

    return jax_cache._cache
