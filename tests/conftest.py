"""Shared test set-up: every test works in a temporary results store, never the project's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]
# the site's own tooling: report/_build/qmd.py reads a chapter (tests/chapter_runner.py runs it)
sys.path.insert(0, str(ROOT / "report" / "_build"))


# The `slow` tier: tests that train networks, fill a store, start fresh interpreters or Jupyter
# kernels. `python3 tasks.py test --fast` (pytest -m "not slow") runs the rest, the edit-test loop;
# the whole suite (CI) runs both. A test is slow when it uses one of these fixtures (each trains or
# fills a store for the tests that share it) ...
SLOW_FIXTURES = frozenset({
    "reproduced_store",  # penguins reproduce + variants at the smoke preset
    "engine_results", "random_pair", "hyperband_pair",  # the engine against Keras (test_*engine.py)
    "stores",  # every search of test_search.py trains in it
    "shared_store",  # test_sweep.py: every section's smoke sweep
    "smoke",  # test_claims.py: the ledger over the smoke preset's results
    "baseline", "overfitting", "schedules",  # the chapters' experiments (test_pages_*.py)
})
# ... or is in a module whose every test runs the command line in fresh interpreters ...
SLOW_MODULES = frozenset({"test_faults.py", "test_pages_imports.py"})
# ... or is one of these, which train, or start interpreters, kernels or clusters, in their own body
# (file::test, whatever its parameters).
SLOW_TESTS = frozenset({
    "test_chapters.py::test_runner_names_the_failing_cell_and_language",
    "test_chapters.py::test_runner_evaluates_the_inline_expressions_of_both_languages",
    "test_chapters.py::test_layout_problems_are_reported",
    "test_tasks.py::test_render_renders_both_languages_at_once_each_in_its_own_copy",  # a stand-in quarto each
    "test_tasks.py::test_a_failing_render_stops_the_other_and_names_its_language",
    "test_tasks.py::test_render_without_quarto_is_one_line",
    "test_cli.py::test_run_trains_once_then_reads_the_store",
    "test_cli.py::test_reproduce_runs_every_section_and_search_then_claims_reads_them",
    "test_cli.py::test_variants_prints_post_against_leak_free_per_section",
    "test_cli.py::test_list_shows_every_named_run_and_experiment",
    "test_cli.py::test_help_on_each_command",
    "test_cli.py::test_bad_argument_is_one_line_and_status_2",  # a fresh interpreter per case
    "test_compile_cache.py::test_jax_uses_the_checked_cache_and_a_damaged_program_is_compiled_and_replaced",
    "test_engine.py::test_batch_order_is_the_one_keras_fit_uses",
    "test_engine.py::test_call_groups_are_the_calls_train_in_calls_makes",
    "test_engine.py::test_what_the_engine_cannot_train_goes_to_keras",
    "test_engine.py::test_the_posts_high_learning_rate_runs_agree_with_keras_over_seeds",
    "test_engine.py::test_deep_networks_agree_over_seeds",
    "test_engine.py::test_a_run_from_given_weights_is_keras_fit_after_set_weights",
    "test_search_engine.py::test_the_store_keeps_engine_searches_apart",
    "test_search_engine.py::test_engine_and_keras_searches_agree_over_seeds",
    "test_search_engine.py::test_engine_hyperband_trials_are_keras_tuner_trials_with_their_seeds",
    "test_pages_baseline.py::test_the_runner_trains_the_posts_code",
    "test_pages_baseline.py::test_the_model_has_as_many_parameters_as_the_posts_network_without_hidden_layers",
    "test_pages_overfitting.py::test_training_builds_the_posts_early_stopping_callback",
    "test_pages_reproduction.py::test_exactly_one_seed_draws_the_posts_candidates",
    "test_pages_schedules.py::test_the_chapters_cosine_schedule_is_the_one_trained",
    "test_plotting.py::test_the_pair_plot_keeps_its_legend_inside_the_column",  # seaborn's pair plot, twice
    "test_reference.py::test_unchanged_tree_passes_the_gate",
    "test_reference.py::test_changing_one_hyperparameter_fails_the_gate",
    "test_reference.py::test_gate_command_exits_1_and_prints_what_moved",
    "test_search.py::test_in_the_posts_call_fit_keywords_win_and_searched_values_never_reach_keras",  # getfixturevalue
    "test_store.py::test_two_processes_asking_at_once_compute_once",
    "test_store.py::test_a_killed_computation_leaves_no_entry",
    "test_store.py::test_a_training_result_is_reused_by_another_process",
    "test_store.py::test_running_out_of_file_descriptors_keeps_the_entry_and_a_retry_reads_it",
    "test_sweep.py::test_results_do_not_depend_on_the_number_of_workers",
    "test_sweep.py::test_dask_cluster_gives_the_same_numbers_as_a_local_run",
    "test_sweep.py::test_a_one_thread_cluster_runs_the_work_on_the_cluster",
    "test_sweep.py::test_concurrent_engine_sweeps_train_each_key_once",
    "test_sweep.py::test_the_engine_and_keras_compute_the_same_sweep_and_are_stored_apart",
    "test_sweep.py::test_interrupted_keras_sweep_resumes_without_redoing_anything",
    "test_sweep.py::test_interrupted_engine_sweep_keeps_finished_calls_and_resumes",
    "test_training.py::test_logistic_baseline_record",
    "test_training.py::test_network_record_has_history_summary_and_consistent_scores",
    "test_training.py::test_early_stopping_and_step_decay_are_recorded",
    "test_training.py::test_named_runs_validate_and_train_through_the_catalog",
    "test_training.py::test_same_seed_gives_identical_numbers_in_two_fresh_processes",
    "test_training.py::test_trainings_in_threads_of_one_process_keep_their_own_seeds",
})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: trains, fills a store or starts a process; left out by --fast")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = getattr(item, "originalname", item.name)
        uses_slow_fixture = bool(SLOW_FIXTURES & set(getattr(item, "fixturenames", ())))
        if uses_slow_fixture or item.path.name in SLOW_MODULES or f"{item.path.name}::{name}" in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="session")
def _isolated_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    # tasks.py names the folder (PENGUINS_TEST_STORE) so that the reproduce gate it runs after the
    # tests reads the smoke results the tests computed instead of training them again.
    os.environ["PENGUINS_STORE"] = os.environ.get("PENGUINS_TEST_STORE") or str(tmp_path_factory.mktemp("store"))


def run_python(code: str, *, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python process (new interpreter, new TensorFlow)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="session")
def reproduced_store() -> str:
    """The session's store, filled once by ``penguins reproduce`` and ``penguins variants`` at the
    smoke preset, as ``tasks.py site`` fills it before rendering (one pytest worker fills it, the
    other waits for it)."""
    store = Path(os.environ["PENGUINS_STORE"])
    store.mkdir(parents=True, exist_ok=True)
    penguins = Path(sys.executable).parent / "penguins"  # the tests' own environment's command
    with FileLock(store / ".reproduce-smoke.lock"):
        marker = store / ".reproduced-smoke"
        if not marker.exists():
            for command in ("reproduce", "variants"):
                subprocess.run(
                    [str(penguins), "--store", str(store), command, "--preset", "smoke", "--jobs", "2"],
                    check=True, capture_output=True, text=True, cwd=ROOT,
                )
            marker.touch()
    return str(store)
