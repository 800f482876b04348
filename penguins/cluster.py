"""Where a sweep's tasks run when not in local processes: a Dask distributed cluster.

Every task is submitted to the scheduler and runs on a worker, whatever the number of threads
of the cluster (joblib's Dask backend runs everything in the calling process when the cluster has
one thread). Waiting is bounded and said: reaching the scheduler may take ``connect_timeout_s``,
and a cluster without any worker (none started, or every one lost) stops the sweep with one line
after ``worker_timeout_s``. Finished runs are in the store either way.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Generator
from concurrent.futures import CancelledError
from dataclasses import dataclass

SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
_ADDRESS = re.compile(rf"(?:(?P<scheme>{'|'.join(SCHEMES)})://)?(?P<host>\[[0-9a-fA-F:.]+\]|[^\s/:\[\]]+):(?P<port>\d+)")


def check_address(text: str) -> str:
    """``text`` as a Dask scheduler address, ``scheme://host:port``.

    ``tcp://`` is added when no scheme is given; anything else is a ValueError in one line, before
    any connection is tried.
    """
    match = _ADDRESS.fullmatch(text) if isinstance(text, str) else None
    if match is None or not 0 < int(match["port"]) < 65536:
        raise ValueError(f"expected a Dask scheduler address such as tcp://host:8786, got {text!r}")
    return text if match["scheme"] else f"tcp://{text}"


# How often a sweep on Dask looks at its cluster while it waits for a task's result.
DASK_POLL_S = 1.0


class SchedulerError(RuntimeError):
    """A Dask scheduler could not be reached, or its cluster stopped running the work.

    The message, one line, says what to do; every finished run is kept in the store.
    """


@dataclass(frozen=True)
class Scheduler:
    """A Dask distributed scheduler to run tasks on, and how long to wait for it.

    Attributes
    ----------
    address : str
        The scheduler's address, ``scheme://host:port`` (:func:`check_address`).
    connect_timeout_s : float
        How long to try to reach the scheduler.
    worker_timeout_s : float
        How long the cluster may have no worker at all (none started yet, or every one lost) before
        the sweep stops with a :class:`SchedulerError`; its progress stalls meanwhile.
    """

    address: str
    connect_timeout_s: float = 10.0
    worker_timeout_s: float = 60.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", check_address(self.address))
        for name in ("connect_timeout_s", "worker_timeout_s"):
            if not 0 < getattr(self, name) < float("inf"):
                raise ValueError(f"{name} must be a positive number of seconds, got {getattr(self, name)!r}")


def scheduler_of(scheduler: str | Scheduler | None) -> Scheduler | None:
    """``scheduler`` as a :class:`Scheduler` (an address gets the default timeouts)."""
    return Scheduler(scheduler) if isinstance(scheduler, str) else scheduler


def on_dask(calls: list, cluster: Scheduler) -> Generator:
    """Submit every call to the cluster and yield the results in order.

    Each runs on a worker, however few threads the cluster has; the workers import penguins from
    their own environment, as any Dask user's would.

    Raises
    ------
    SchedulerError
        When the scheduler cannot be reached within ``cluster.connect_timeout_s``, has no worker for
        ``cluster.worker_timeout_s``, or goes away.
    """
    from distributed import Client

    try:
        client = Client(cluster.address, timeout=cluster.connect_timeout_s, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        detail = "" if "timed out" in str(error).lower() else f" ({' '.join(str(error).split())})"
        raise SchedulerError(
            f"cannot reach the Dask scheduler at {cluster.address} within {cluster.connect_timeout_s:g} s{detail}: "
            "start it (dask scheduler), or check the address and the network"
        ) from None
    with client:
        futures = [
            client.submit(_call, function, args, kwargs, key=f"{function.__name__}-{secrets.token_hex(8)}", pure=False)
            for function, args, kwargs in calls
        ]
        for future in futures:
            yield _result_on_dask(client, future, cluster)


def _call(function, args, kwargs):
    return function(*args, **kwargs)


def _result_on_dask(client, future, cluster: Scheduler):
    """``future``'s result, once its task ran.

    Raises
    ------
    SchedulerError
        If the cluster has had no worker for ``cluster.worker_timeout_s`` meanwhile, or the
        scheduler dropped the task: waiting on would never end.
    """
    without_workers_since = None
    while not _done_within(future, DASK_POLL_S):
        if _worker_count(client, cluster):
            without_workers_since = None
            continue
        without_workers_since = without_workers_since or time.monotonic()
        if time.monotonic() - without_workers_since >= cluster.worker_timeout_s:
            raise SchedulerError(
                f"the Dask scheduler at {cluster.address} has had no worker for {cluster.worker_timeout_s:g} s: "
                f"start workers (dask worker {cluster.address}) and run the same command again; "
                "every finished run is kept in the store"
            )
    try:
        return future.result()
    except CancelledError:
        raise SchedulerError(
            f"the Dask scheduler at {cluster.address} dropped a task (restarted, or the connection was lost): "
            "run the same command again; every finished run is kept in the store"
        ) from None


def _done_within(future, seconds: float) -> bool:
    """Whether ``future`` finishes (or fails) within ``seconds``.

    Its state is the client's own, so looking costs nothing.
    """
    deadline = time.monotonic() + seconds
    while not future.done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _worker_count(client, cluster: Scheduler) -> int:
    try:
        return len(client.scheduler_info(n_workers=-1)["workers"])
    except (OSError, TimeoutError) as error:
        raise SchedulerError(
            f"lost the connection to the Dask scheduler at {cluster.address} ({error}): "
            "run the same command again once it is back; every finished run is kept in the store"
        ) from None
