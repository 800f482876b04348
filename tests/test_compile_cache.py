"""XLA's compile cache in the store: entries written whole, checked on read, a damaged one replaced."""

import errno
import os
import subprocess
import sys

import pytest

from penguins import compile_cache
from penguins.compile_cache import CheckedFileCache, unwrap

from conftest import ROOT

PROGRAM = b"\x28\xb5\x2f\xfd" + bytes(range(256)) * 40  # stands in for a compressed executable


def test_a_value_comes_back_as_it_went_in(tmp_path):
    cache = CheckedFileCache(tmp_path)
    assert cache.get("key") is None
    cache.put("key", PROGRAM)
    assert cache.get("key") == PROGRAM
    assert [path.name for path in tmp_path.iterdir()] == ["key.xla"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: data[:-1] + b"\x00",
        lambda data: data[len(compile_cache.MAGIC) :],
    ],
    ids=["truncated", "altered", "foreign"],
)
def test_a_damaged_file_is_removed_and_written_again(tmp_path, damage):
    cache = CheckedFileCache(tmp_path)
    cache.put("key", PROGRAM)
    file = cache.file("key")
    file.write_bytes(damage(file.read_bytes()))
    assert cache.get("key") is None  # a miss: JAX compiles the program again ...
    assert not file.exists()
    cache.put("key", PROGRAM)  # ... and writes it, which the file's name no longer prevents
    assert cache.get("key") == PROGRAM


def test_a_full_disk_leaves_no_partial_file_and_is_no_error(tmp_path, monkeypatch):
    def half_then_full(descriptor: int, data: bytes) -> None:
        os.write(descriptor, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("penguins.store._write_all", half_then_full)
    cache = CheckedFileCache(tmp_path)
    cache.put("key", PROGRAM)  # only logged: a missing entry costs a compilation later
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    cache.put("key", PROGRAM)
    assert cache.get("key") == PROGRAM


def test_an_unreadable_file_is_a_miss_and_is_kept(tmp_path):
    cache = CheckedFileCache(tmp_path)
    cache.put("key", PROGRAM)
    cache.file("key").chmod(0)
    try:
        if os.access(cache.file("key"), os.R_OK):
            pytest.skip("root reads any file")
        assert cache.get("key") is None and cache.file("key").exists()
    finally:
        cache.file("key").chmod(0o644)


TRAIN_ONE = """
import sys, warnings
warnings.simplefilter("always")
from penguins import compile_cache
from penguins.runner import train_into_store
from penguins.spec import NetworkSpec
from penguins.store import ResultStore
store = ResultStore(sys.argv[1])
list(train_into_store([NetworkSpec(hidden=(5,), epochs=2)], [int(sys.argv[2])], "post", store))
print(type(compile_cache.in_use()).__name__)
"""


def test_jax_uses_the_checked_cache_and_a_damaged_program_is_compiled_and_replaced(tmp_path):
    """Truncate a compiled program in the store's xla-cache (as a full disk left JAX's own cache
    files): the next process warns about nothing, compiles it again and replaces the file."""
    script = tmp_path / "train.py"
    script.write_text(TRAIN_ONE)

    def train(seed: int) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, str(script), str(tmp_path / "store"), str(seed)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done

    assert train(0).stdout.split()[-1] == "CheckedFileCache"
    (program,) = (tmp_path / "store" / "xla-cache").glob("*.xla")
    whole = program.read_bytes()
    assert unwrap(whole) is not None
    program.write_bytes(whole[: len(whole) // 3])
    again = train(1)
    assert "persistent compilation cache" not in again.stderr
    assert unwrap(program.read_bytes()) is not None  # whole again (a new compilation: not byte-equal)
