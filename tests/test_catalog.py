"""The named runs: a typed lookup of the post's networks."""

import pytest

from penguins.catalog import NAMED_RUNS, network_spec
from penguins.spec import NetworkSpec


def test_network_spec_is_the_named_runs_network():
    assert network_spec("dropout") is NAMED_RUNS["dropout"].spec
    assert isinstance(network_spec("hidden-2"), NetworkSpec)


def test_network_spec_refuses_the_logistic_baseline_by_name():
    with pytest.raises(TypeError, match="'logistic' is not a network but a LogisticSpec"):
        network_spec("logistic")
