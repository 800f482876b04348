"""Planning: which requests the engine can train, which run together, and in which program.

Requests of the same spec and seed that differ only in ``epochs`` become one run evaluated after
each epoch (exact: the first k epochs of a longer run are the k-epoch run). Runs whose programs
have the same static shapes share a call of up to :data:`REPLICAS` replicas. The shapes depend on
the spec alone, never on what else is trained in the same call, so a result does not depend on
the batching.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from penguins.preprocessing import N_CLASSES
from penguins.spec import ENGINE_JAX, KERAS_DEFAULT_BATCH_SIZE, NetworkSpec, Spec

# Static shapes of a compiled program, chosen so that few programs serve every sweep (XLA takes
# about 2 s to compile one): every layer is zero-padded to a multiple of WIDTH_STEP units; the
# middle layers are stacked up to a capacity from CAPACITIES (then multiples of the last one);
# a batch is padded to the next size in BATCH_BUCKETS (then the next power of two), with room
# for the steps of any batch size of that bucket (steps past the real number are skipped); the
# padded rows cost little next to a step's fixed cost; a call trains REPLICAS replicas (a short
# group is filled with inactive ones, which are skipped).
WIDTH_STEP = 100
CAPACITIES = (1, 8, 128)
BATCH_BUCKETS = (2, 4, 16, 32, 128, 512)
REPLICAS = 10
# estimated_cost units: about 1e-10 s each on the machine this was tuned on; compiling a program
# takes about 2.5 s, which split_work counts once per program and process.
COMPILE_COST = 2.5e10
# The post's training rows (80 % of 344): the size the costs are estimated for.
N_TRAIN = 275


class Features(NamedTuple):
    """What a compiled program computes besides a plain ReLU network.

    Each combination is its own program (static), so the plain sweeps pay nothing for the rest.
    """

    hidden: bool = True  # False: softmax only, no hidden layer
    regularised: bool = False  # L1 / L2 penalties on the first two hidden layers (exactly two)
    dropout: bool = False  # a dropout mask on the last hidden layer's output
    eval_each_epoch: bool = False  # evaluate after every epoch (epochs merged, validation)
    epoch_weights: bool = False  # return the weights after every epoch (a tuner's best epoch)


def unsupported_reason(spec: Spec) -> str | None:
    """Why the engine cannot train ``spec`` (``None`` when it can)."""
    if not isinstance(spec, NetworkSpec):
        return f"not a network spec ({type(spec).__name__})"
    if not spec.hidden and spec.dropout:
        return "dropout on the inputs (no hidden layer)"
    return None


def supports(spec: Spec) -> bool:
    """Whether the engine can train ``spec`` (else use the Keras path)."""
    return unsupported_reason(spec) is None


def check_supported(spec: Spec) -> None:
    """One clear error for a spec the engine cannot train."""
    reason = unsupported_reason(spec)
    if reason:
        raise ValueError(f"the {ENGINE_JAX} engine cannot train {spec}: {reason}")


@dataclass(frozen=True)
class FoldRows:
    """Fit on some training rows of seed ``split_seed``'s split, in this order.

    What Keras' ``fit(x_train[rows], y_train[rows])`` trains on, e.g. a cross-validation fold of a
    search whose fits have seeds of their own.
    """

    split_seed: int
    rows: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(int(row) for row in self.rows))
        if not self.rows or len(set(self.rows)) != len(self.rows) or min(self.rows) < 0:
            raise ValueError("rows must be distinct non-negative row indices, at least one")
        if self.split_seed < 0:
            raise ValueError(f"split_seed must be non-negative, got {self.split_seed}")


@dataclass(frozen=True)
class PlannedRun:
    """One training run: a spec (its epochs the most any request asked for) and a seed."""

    spec: NetworkSpec
    seed: int
    eval_epochs: tuple[int, ...]  # epochs after which the weights are evaluated
    fit_on: FoldRows | None = None  # None: every training row of the run's own seed's split
    start: tuple[np.ndarray, ...] | None = field(default=None, compare=False)  # None: the seed's initial weights
    epoch_weights: bool = False  # keep the weights after every epoch

    @property
    def split_seed(self) -> int:
        """The seed of the split the run fits on."""
        return self.seed if self.fit_on is None else self.fit_on.split_seed

    @property
    def features(self) -> Features:
        """What the run's program computes besides a plain ReLU network."""
        spec = self.spec
        return Features(
            hidden=bool(spec.hidden),
            regularised=any((spec.kernel_l1, spec.kernel_l2, spec.activity_l1, spec.activity_l2)),
            dropout=spec.dropout > 0,
            eval_each_epoch=len(self.eval_epochs) > 1 or spec.validate_on_test,
            epoch_weights=self.epoch_weights,
        )


def padded_width(spec: NetworkSpec) -> int:
    """The program's layer width for ``spec``: its widest layer rounded up to :data:`WIDTH_STEP`."""
    return -(-max(spec.hidden, default=1) // WIDTH_STEP) * WIDTH_STEP


def capacity(spec: NetworkSpec) -> int:
    """How many middle layers the program for ``spec`` stacks (:data:`CAPACITIES`)."""
    middle = max(len(spec.hidden) - 1, 0)
    for size in CAPACITIES:
        if middle <= size:
            return size
    return -(-middle // CAPACITIES[-1]) * CAPACITIES[-1]


def batch_shape(batch_size: int, n_samples: int) -> tuple[int, int]:
    """(padded batch, room for steps per epoch) of the program for ``batch_size``.

    The batch is padded to its bucket (:data:`BATCH_BUCKETS`, beyond them the next power of two),
    with room for the steps of the smallest batch size of that bucket.
    """
    smallest = 1
    for padded in BATCH_BUCKETS:
        if batch_size <= padded:
            return padded, -(-n_samples // smallest)
        smallest = padded + 1
    padded = 1 << (batch_size - 1).bit_length()
    return padded, -(-n_samples // (padded // 2 + 1))


def plan_runs(
    specs: Sequence[NetworkSpec],
    seeds: Sequence[int],
    fit_on: Sequence[FoldRows | None] | None = None,
    start_from: Sequence[Sequence[np.ndarray] | None] | None = None,
    epoch_weights: bool = False,
) -> tuple[list[PlannedRun], list[tuple[int, int]]]:
    """Merge requests that differ only in ``epochs``; per request, (run index, epochs)."""
    fit_on = fit_on or [None] * len(specs)
    start_from = start_from or [None] * len(specs)
    by_key: dict[tuple, list[int]] = {}
    for index, (spec, seed, rows, start) in enumerate(zip(specs, seeds, fit_on, start_from, strict=False)):
        starts_at = None if start is None else id(start)  # the same weights object: the same run
        by_key.setdefault((replace(spec, epochs=1), seed, rows, starts_at), []).append(index)
    runs: list[PlannedRun] = []
    where = [(0, 0)] * len(specs)
    for (base, seed, rows, _), indices in by_key.items():
        epochs = tuple(sorted({specs[i].epochs for i in indices}))
        for i in indices:
            where[i] = (len(runs), specs[i].epochs)
        start = start_from[indices[0]]
        start = None if start is None else tuple(np.asarray(array, np.float32) for array in start)
        runs.append(PlannedRun(replace(base, epochs=epochs[-1]), seed, epochs, rows, start, epoch_weights))
    return runs, where


def requests_of_runs(where: Sequence[tuple[int, int]]) -> dict[int, list[int]]:
    """Run index -> the indices of the requests it serves (``where`` from :func:`plan_runs`)."""
    requests: dict[int, list[int]] = {}
    for index, (run, _) in enumerate(where):
        requests.setdefault(run, []).append(index)
    return requests


def _group_key(run: PlannedRun) -> tuple:
    """Runs with the same key can share a call: same static shapes and the same batches' sizes."""
    spec = run.spec
    n_fit = len(run.fit_on.rows) if run.fit_on is not None else 0  # 0: every training row
    return (
        padded_width(spec),
        capacity(spec),
        spec.batch_size or KERAS_DEFAULT_BATCH_SIZE,
        spec.epochs,
        run.features,
        n_fit,
    )


def call_groups_of(runs: list[PlannedRun]) -> list[list[int]]:
    """Run indices per program call: same group key, similar depth, at most :data:`REPLICAS`."""
    keyed: dict[tuple, list[int]] = {}
    for index, run in enumerate(runs):
        keyed.setdefault(_group_key(run), []).append(index)
    groups: list[list[int]] = []
    for key in sorted(keyed):
        indices = sorted(keyed[key], key=lambda i: (len(runs[i].spec.hidden), runs[i].seed))
        groups.extend(indices[start : start + REPLICAS] for start in range(0, len(indices), REPLICAS))
    return groups


def call_groups(specs: Sequence[NetworkSpec], seeds: Sequence[int]) -> list[list[int]]:
    """The request indices the engine trains together, per compiled call, in its order.

    So that a caller can, say, lock a call's results before training it.
    """
    runs, where = plan_runs(list(specs), [int(seed) for seed in seeds])
    requests_of = requests_of_runs(where)
    return [[index for run in group for index in requests_of[run]] for group in call_groups_of(runs)]


def estimated_cost(spec: NetworkSpec, n_samples: int = N_TRAIN) -> float:
    """A rough relative training cost of ``spec``.

    Multiply-adds of the padded network per epoch plus a per-step overhead, times epochs.
    """
    width = padded_width(spec)
    per_sample = 6 * width + max(len(spec.hidden) - 1, 0) * width * width + width * N_CLASSES
    batch = spec.batch_size or KERAS_DEFAULT_BATCH_SIZE
    padded, _ = batch_shape(batch, n_samples)
    steps = -(-n_samples // batch)  # steps past these are skipped (a few cycles each)
    return spec.epochs * steps * (3 * per_sample * padded + 20_000 * max(len(spec.hidden), 1))


def _program_shape(run: PlannedRun, n_samples: int = N_TRAIN) -> tuple:
    """What decides which compiled program trains ``run``."""
    spec = run.spec
    n_samples = len(run.fit_on.rows) if run.fit_on is not None else n_samples
    batch = batch_shape(spec.batch_size or KERAS_DEFAULT_BATCH_SIZE, n_samples)
    return (padded_width(spec), capacity(spec), batch, spec.epochs, run.features)


class _Balancer:
    """Hands bundles of calls to the least loaded part, counting a program's compile once a part."""

    def __init__(self, runs: list[PlannedRun], requests_of: dict[int, list[int]], parts: int) -> None:
        self.runs, self.requests_of = runs, requests_of
        self.cost = {i: estimated_cost(run.spec) for i, run in enumerate(runs)}
        self.loads = [0.0] * parts
        self.assigned: list[list[int]] = [[] for _ in range(parts)]
        self.compiled: list[set] = [set() for _ in range(parts)]

    def bundle_cost(self, groups: list[list[int]]) -> float:
        return sum(self.cost[run] for group in groups for run in group)

    def give(self, groups: list[list[int]]) -> None:
        target = self.loads.index(min(self.loads))
        program = _program_shape(self.runs[groups[0][0]])
        if program not in self.compiled[target]:
            self.compiled[target].add(program)
            self.loads[target] += COMPILE_COST
        for group in groups:
            for run in group:
                self.assigned[target].extend(self.requests_of[run])
                self.loads[target] += self.cost[run]


def split_work(specs: Sequence[Spec], seeds: Sequence[int], parts: int) -> list[list[int]]:
    """Request indices in at most ``parts`` lists of about equal cost, one per process.

    Requests the engine trains in one call stay in one part. A program whose calls cost less than
    half a part's share goes to one part whole, so it is compiled once; the calls of bigger ones
    are spread, most expensive first, over the least loaded parts. Every spec must be supported.
    """
    for spec in specs:
        check_supported(spec)
    runs, where = plan_runs(list(specs), list(seeds))  # type: ignore[arg-type]  # checked: networks
    bundles: dict[tuple, list[list[int]]] = {}
    for group in call_groups_of(runs):
        bundles.setdefault(_program_shape(runs[group[0]]), []).append(group)
    balancer = _Balancer(runs, requests_of_runs(where), max(1, parts))
    share = (sum(balancer.cost.values()) + COMPILE_COST * len(bundles)) / len(balancer.loads)
    small = []
    for groups in sorted(bundles.values(), key=balancer.bundle_cost, reverse=True):
        if balancer.bundle_cost(groups) < share / 2:
            small.append(groups)
            continue
        for group in sorted(groups, key=lambda g: -balancer.bundle_cost([g])):
            balancer.give([group])
    for groups in small:
        balancer.give(groups)
    return [sorted(indices) for indices in balancer.assigned if indices]
