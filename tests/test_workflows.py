"""The GitHub workflows: valid against GitHub's workflow schema (offline) and doing what we rely on.

The schema is the one vendored in check-jsonschema (``--builtin-schema vendor.github-workflows``),
so these tests need no network; the proxy variables below make any attempt to reach it fail loudly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
PUBLISH = WORKFLOWS / "publish.yml"
PULL_REQUEST = WORKFLOWS / "pull-request.yml"

QUARTO_VERSION = "1.7.34"
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}


def check_schema(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **OFFLINE},
    )


def load(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def steps_using(workflow: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in steps(workflow) if step.get("uses", "").split("@")[0] == action]


def run_index(job: dict[str, Any], command: str) -> int:
    """Position of the first step of ``job`` whose ``run`` contains ``command``."""
    for index, step in enumerate(job["steps"]):
        if command in step.get("run", ""):
            return index
    raise AssertionError(f"no step runs {command!r}")


def uses_index(job: dict[str, Any], action: str) -> int:
    for index, step in enumerate(job["steps"]):
        if step.get("uses", "").split("@")[0] == action:
            return index
    raise AssertionError(f"no step uses {action!r}")


@pytest.fixture(scope="module")
def publish() -> dict[str, Any]:
    return load(PUBLISH)


@pytest.fixture(scope="module")
def pull_request() -> dict[str, Any]:
    return load(PULL_REQUEST)


# --- schema -------------------------------------------------------------------------------------


def test_the_workflows_exist() -> None:
    assert PUBLISH in WORKFLOW_FILES and PULL_REQUEST in WORKFLOW_FILES


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_workflow_is_valid_against_the_github_schema(path: Path) -> None:
    result = check_schema(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_misspelled_key(tmp_path: Path) -> None:
    text = PUBLISH.read_text(encoding="utf-8")
    assert "runs-on:" in text
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace("runs-on:", "runs-onn:", 1), encoding="utf-8")
    result = check_schema(broken)
    assert result.returncode != 0, result.stdout
    assert "runs-on" in result.stdout


# --- what every workflow must do ----------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_version(path: Path) -> None:
    for step in steps(load(path)):
        if "uses" in step and not step["uses"].startswith(("./", "docker://")):
            action, _, ref = step["uses"].partition("@")
            assert ref, f"{action} has no version"


@pytest.mark.parametrize("path", [PUBLISH, PULL_REQUEST], ids=lambda path: path.name)
def test_python_311_with_a_pip_cache_keyed_on_the_pins(path: Path) -> None:
    (setup,) = steps_using(load(path), "actions/setup-python")
    settings = setup["with"]
    assert str(settings["python-version"]) == "3.11"
    assert settings["cache"] == "pip"
    dependency_files = settings["cache-dependency-path"].strip().splitlines()
    assert {"requirements.txt", "constraints.txt"} <= set(dependency_files)
    assert all((ROOT / name).is_file() for name in dependency_files)


@pytest.mark.parametrize("path", [PUBLISH, PULL_REQUEST], ids=lambda path: path.name)
def test_the_workflows_default_to_read_only_permissions(path: Path) -> None:
    assert load(path).get("permissions") == {"contents": "read"}


# --- publishing ---------------------------------------------------------------------------------


def test_publish_runs_on_main_and_by_hand(publish: dict[str, Any]) -> None:
    assert publish["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in publish["on"]


def test_publish_installs_the_pinned_requirements_then_the_package(publish: dict[str, Any]) -> None:
    build = publish["jobs"]["build"]
    requirements = run_index(build, "pip install -r requirements.txt")
    package = run_index(build, "pip install --no-deps -e .")
    assert requirements <= package
    assert uses_index(build, "actions/setup-python") < requirements


def test_quarto_is_pinned_to_an_exact_version(publish: dict[str, Any]) -> None:
    (setup,) = steps_using(publish, "quarto-dev/quarto-actions/setup")
    assert setup["uses"].endswith("@v2")
    assert isinstance(setup["with"]["version"], str)
    assert setup["with"]["version"] == QUARTO_VERSION


def test_both_languages_are_rendered_with_the_python_in_use(publish: dict[str, Any]) -> None:
    build = publish["jobs"]["build"]
    step = build["steps"][run_index(build, "python tasks.py render")]  # both languages (test_tasks.py)
    quarto_python = {**build.get("env", {}), **step.get("env", {})}.get("QUARTO_PYTHON", "")
    assert "steps.python.outputs.python-path" in quarto_python
    (python,) = steps_using(publish, "actions/setup-python")
    assert python["id"] == "python"


def test_pages_are_rendered_read_only(publish: dict[str, Any]) -> None:
    build = publish["jobs"]["build"]
    step = build["steps"][run_index(build, "python tasks.py render")]
    assert {**build.get("env", {}), **step.get("env", {})}.get("PENGUINS_STORE_READ_ONLY") == "1"


def test_source_links_point_at_the_repository_the_workflow_runs_in(publish: dict[str, Any]) -> None:
    build = publish["jobs"]["build"]
    step = build["steps"][run_index(build, "repo-url")]
    assert run_index(build, "repo-url") < run_index(build, "python tasks.py render")
    # apply the step's sed expression to _quarto.yml as the runner would
    expression = re.search(r'sed -i "s#(.*?)#(.*?)#" _quarto\.yml', step["run"])
    assert expression, step["run"]
    url = "https://github.com/someone/penguins"
    replacement = expression.group(2).replace("${{ github.server_url }}/${{ github.repository }}", url)
    text = (ROOT / "_quarto.yml").read_text(encoding="utf-8")
    edited = re.sub(expression.group(1), replacement, text, flags=re.MULTILINE)
    assert edited != text and yaml.safe_load(edited)["website"]["repo-url"] == url


def test_results_are_computed_before_rendering_and_the_site_is_uploaded_after(publish: dict[str, Any]) -> None:
    build = publish["jobs"]["build"]
    reproduce = run_index(build, "penguins reproduce --preset full")
    quarto = uses_index(build, "quarto-dev/quarto-actions/setup")
    render = run_index(build, "python tasks.py render")  # renders, then assembles (test_tasks.py)
    upload = uses_index(build, "actions/upload-pages-artifact")
    assert reproduce < render and quarto < render < upload
    assert build["env"]["PENGUINS_PRESET"] == "full"


def test_the_results_store_is_restored_before_computing_and_saved_after(publish: dict[str, Any]) -> None:
    build = publish["jobs"]["build"]
    restore = build["steps"][uses_index(build, "actions/cache/restore")]
    save = build["steps"][uses_index(build, "actions/cache/save")]
    assert uses_index(build, "actions/cache/restore") < run_index(build, "penguins reproduce")
    assert uses_index(build, "actions/cache/save") > run_index(build, "penguins reproduce")

    key = restore["with"]["key"]
    for pattern in ("'penguins/**'", "'requirements.txt'", "'constraints.txt'"):
        assert pattern in key, f"the store's cache key does not cover {pattern}"
    prefixes = restore["with"]["restore-keys"].strip().splitlines()
    assert prefixes and all(key.startswith(prefix) and prefix != key for prefix in prefixes)

    assert restore["with"]["path"] == save["with"]["path"] == ".penguins-store"
    assert build["env"]["PENGUINS_STORE"].endswith("/.penguins-store")
    assert save["with"]["key"] == f"${{{{ steps.{restore['id']}.outputs.cache-primary-key }}}}"
    assert "cancelled()" in save["if"] and f"steps.{restore['id']}.outputs.cache-hit" in save["if"]


def test_the_site_is_uploaded_and_deployed_with_the_pages_permissions(publish: dict[str, Any]) -> None:
    build, deploy = publish["jobs"]["build"], publish["jobs"]["deploy"]
    upload = build["steps"][uses_index(build, "actions/upload-pages-artifact")]
    assert upload["with"]["path"].rstrip("/") == "_site"
    assert uses_index(build, "actions/configure-pages") < uses_index(build, "actions/upload-pages-artifact")
    assert build["permissions"] == {"contents": "read", "pages": "read"}

    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    (deployment,) = [step for step in deploy["steps"] if step.get("uses", "").startswith("actions/deploy-pages@")]
    assert deploy["environment"]["url"] == f"${{{{ steps.{deployment['id']}.outputs.page_url }}}}"

    assert publish["concurrency"] == {"group": "pages", "cancel-in-progress": False}


# --- pull requests ------------------------------------------------------------------------------


def test_pull_requests_run_the_ci_script_then_the_reproduce_gate(pull_request: dict[str, Any]) -> None:
    assert "pull_request" in pull_request["on"]
    (job,) = pull_request["jobs"].values()
    ci = run_index(job, ".ci/run")
    assert job["steps"][ci]["run"].strip() == "bash .ci/run"
    # .ci/run -> tasks.py test, which runs the smoke gate after the whole suite
    assert "python3 tasks.py test" in (ROOT / ".ci" / "run").read_text()
    tasks = (ROOT / "tasks.py").read_text()
    gate = '"check", "--preset", "smoke"'
    assert gate in tasks and tasks.index('"pytest"') < tasks.index(gate)
    assert uses_index(job, "actions/checkout") < ci
