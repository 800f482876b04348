"""tasks.py: the site's landing pages, written after Quarto has rendered both profiles."""

import importlib.util
import re

from conftest import ROOT


def load_tasks():
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_assemble_lands_each_language_on_its_introduction(tmp_path, monkeypatch):
    tasks = load_tasks()
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "index.html").write_text((ROOT / "report" / "index.html").read_text())
    for language in tasks.LANGUAGES:
        (tmp_path / "_site" / language).mkdir(parents=True)
        # what Quarto leaves there: a redirect to the alphabetically first page
        (tmp_path / "_site" / language / "index.html").write_text('<meta http-equiv="refresh" content="0; url=report/x/baseline.html">')
    monkeypatch.setattr(tasks, "ROOT", tmp_path)
    tasks.assemble()
    assert (tmp_path / "_site" / "index.html").read_text() == (ROOT / "report" / "index.html").read_text()
    for language in tasks.LANGUAGES:
        page = (tmp_path / "_site" / language / "index.html").read_text()
        target = re.search(r'url=([^"]+)"', page).group(1)
        assert target == f"report/{language}/index.html"
        assert (ROOT / "report" / language / "index.qmd").is_file()  # the page that renders to it
