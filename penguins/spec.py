"""What to train, as plain data.

A spec holds every choice that determines a result except the seed and the preprocessing
variant, which are given next to it. Specs are frozen dataclasses so they can be hashed into
result-store keys, written to JSON and rebuilt from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, ClassVar, Literal

Schedule = Literal["constant", "step_decay", "cosine_restarts"]

# Keras' batch size when ``fit`` gets ``batch_size=None`` (the post's networks leave it out).
KERAS_DEFAULT_BATCH_SIZE = 32

# What trains a network: the compiled JAX engine (:mod:`penguins.engine`), the default of every
# entry point, or Keras itself, the reference. A stored result names the engine that computed it.
ENGINE_JAX = "jax"
ENGINE_KERAS = "keras"
ENGINES = (ENGINE_JAX, ENGINE_KERAS)
DEFAULT_ENGINE = ENGINE_JAX


@dataclass(frozen=True)
class LogisticSpec:
    """scikit-learn's ``LogisticRegression()`` with its defaults, the post's baseline."""

    kind: ClassVar[str] = "logistic"
    C: float = 1.0
    max_iter: int = 100

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data, with its kind (what result-store keys are made of)."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class NetworkSpec:
    """A dense softmax network trained with Adam, covering every network of the post.

    ``hidden`` lists the widths of the ReLU hidden layers (``()`` is softmax only). The four
    regularisation strengths follow the post's ``get_model``: layer 1 gets kernel L1 and
    activity L2, layer 2 kernel L2 and activity L1; 0 means no regulariser. ``dropout`` > 0
    adds one Dropout layer after the last hidden layer. ``batch_size=None`` is Keras' default
    (:data:`KERAS_DEFAULT_BATCH_SIZE`). ``early_stopping_patience`` watches ``val_accuracy``: on
    the test split, as the post does (``validate_on_test``), or on the last ``validation_split``
    of the training rows, which are then not trained on (Keras' ``validation_split``: a clean
    protocol the post does not use).
    """

    kind: ClassVar[str] = "network"
    hidden: tuple[int, ...] = ()
    kernel_l1: float = 0.0
    kernel_l2: float = 0.0
    activity_l1: float = 0.0
    activity_l2: float = 0.0
    dropout: float = 0.0
    learning_rate: float = 0.001
    schedule: Schedule = "constant"
    step_drop: float = 0.5  # step decay: lr = learning_rate * step_drop ** floor(epoch / step_every)
    step_every: int = 3
    first_decay_steps: int = 1000  # cosine decay with restarts
    epochs: int = 5
    batch_size: int | None = None
    validate_on_test: bool = False
    validation_split: float = 0.0
    early_stopping_patience: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(width) for width in self.hidden))
        problems = []
        if any(width < 1 for width in self.hidden):
            problems.append(f"hidden widths must be positive, got {self.hidden}")
        if self.epochs < 1:
            problems.append(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size is not None and self.batch_size < 1:
            problems.append(f"batch_size must be at least 1, got {self.batch_size}")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout must be in [0, 1), got {self.dropout}")
        if self.learning_rate <= 0:
            problems.append(f"learning_rate must be positive, got {self.learning_rate}")
        if self.schedule not in ("constant", "step_decay", "cosine_restarts"):
            problems.append(f"unknown schedule {self.schedule!r}")
        regularised = any((self.kernel_l1, self.kernel_l2, self.activity_l1, self.activity_l2))
        if regularised and len(self.hidden) != 2:
            problems.append("the post's regularisers are defined for exactly two hidden layers")
        if not 0.0 <= self.validation_split < 1.0:
            problems.append(f"validation_split must be in [0, 1), got {self.validation_split}")
        if self.validate_on_test and self.validation_split:
            problems.append("validate on the test split or on a split of the training rows, not both")
        if self.early_stopping_patience is not None and not (self.validate_on_test or self.validation_split):
            problems.append(
                "early stopping watches val_accuracy, so it needs validate_on_test=True or a validation_split"
            )
        if problems:
            raise ValueError("; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data, with its kind (what result-store keys are made of)."""
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        return {"kind": self.kind, **data}


Spec = LogisticSpec | NetworkSpec
SPEC_TYPES: dict[str, type] = {LogisticSpec.kind: LogisticSpec, NetworkSpec.kind: NetworkSpec}


def spec_from_dict(data: dict[str, Any]) -> Spec:
    """Rebuild a spec written by ``to_dict``."""
    data = dict(data)
    kind = data.pop("kind")
    spec_type = SPEC_TYPES[kind]
    known = {f.name for f in fields(spec_type)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown fields for a {kind} spec: {sorted(unknown)}")
    if "hidden" in data:
        data["hidden"] = tuple(data["hidden"])
    return spec_type(**data)


def with_changes(spec: Spec, **changes: Any) -> Spec:
    """A copy of ``spec`` with some fields changed (validated again)."""
    return replace(spec, **changes)
