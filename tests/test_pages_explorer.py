"""The explorer chapter's page: the data it embeds, the HTML it emits, and (where Chromium is
installed) the chart drawn offline in a real browser."""

from __future__ import annotations

import functools
import html
import http.server
import json
import re
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from penguins.experiments import EXPERIMENTS
from penguins.pages.explorer import METRICS, ExplorerPage, data_json, explorer_data, plotly_js
from penguins.preprocessing import VARIANTS
from penguins.strings import term, words
from penguins.sweep import run_experiment

LANGUAGES = ("ko", "en")
# Characters per number the explorer embeds, on average: a rounded accuracy ("0.986") takes 5, a
# loss with three significant digits ("0.0294") up to 6; unrounded floats (0.9710144927536232) take
# about 18.
MAX_CHARS_PER_NUMBER = 6
# Everything but the numbers and the brackets and commas between them: keys and names, whatever the
# preset and the seeds (bytes).
MAX_NAMES_BYTES = 6_000
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


@pytest.fixture(scope="module")
def data(reproduced_store: str) -> dict:
    return explorer_data("smoke")


def test_every_experiment_preprocessing_and_metric_is_there(data: dict) -> None:
    assert [item["name"] for item in data["experiments"]] == list(EXPERIMENTS)
    assert data["variants"] == list(VARIANTS) and data["metrics"] == list(METRICS)
    for item in data["experiments"]:
        assert set(item["series"]) == set(VARIANTS)
        for by_metric in item["series"].values():
            assert set(by_metric) == set(METRICS)
            for series in by_metric.values():
                assert len(series["mean"]) == len(series["low"]) == len(series["high"]) == len(item["values"])
                assert [len(seeds) for seeds in series["seeds"]] == [len(data["seeds"])] * len(item["values"])


def test_the_numbers_are_the_stores_summaries_and_records(data: dict) -> None:
    depth = next(item for item in data["experiments"] if item["name"] == "depth")
    result = run_experiment("depth", "smoke", variant="leak-free")
    summary = result.summary("train_loss")
    series = depth["series"]["leak-free"]["train_loss"]
    assert series["mean"] == pytest.approx(summary["mean"].tolist(), rel=1e-2)
    assert series["high"] == pytest.approx(summary["ci_high"].tolist(), rel=1e-2)
    assert series["seeds"][1] == pytest.approx([record.train_loss for record in result.records[1]], rel=1e-2)
    accuracy = depth["series"]["leak-free"]["test_accuracy"]["seeds"][0]
    assert accuracy == pytest.approx([record.test_accuracy for record in result.records[0]], abs=5e-4)
    assert depth["values"] == result.values and depth["log_x"] and not depth["categorical"]


def test_the_embedded_data_stays_small(data: dict) -> None:
    text = data_json(data)
    numbers = NUMBER.findall(text)
    names = re.sub(r"[\[\],]", "", NUMBER.sub("", text))
    print(
        f"explorer data ({data['preset']}, {len(data['seeds'])} seeds): "
        f"{len(text.encode())} bytes, {len(numbers)} numbers"
    )
    assert sum(map(len, numbers)) <= MAX_CHARS_PER_NUMBER * len(numbers), (
        "round the values (penguins.pages.explorer.rounded)"
    )
    assert len(names.encode()) <= MAX_NAMES_BYTES, f"{len(names.encode())} bytes of keys and names"


class Tags(HTMLParser):
    """Every start tag of an HTML text, with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_loads_nothing_from_elsewhere(data: dict, language: str) -> None:
    page = ExplorerPage(language).explorer(data)._repr_html_()
    parser = Tags()
    parser.feed(page)
    linked = [
        (tag, attrs) for tag, attrs in parser.tags if {"src", "href"} & set(attrs) or tag in ("link", "iframe", "img")
    ]
    assert not linked, f"the explorer refers to other files: {linked}"
    assert sum(tag == "script" for tag, _ in parser.tags) == 4  # data, words, plotly.js, the chart's script
    ours = page.replace(plotly_js(), "")
    assert plotly_js() in page and not re.search(r"https?:|//cdn|\bimport\(|fetch\(|XMLHttpRequest", ours)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_menu_offers_every_choice_in_the_readers_words(data: dict, language: str) -> None:
    page = ExplorerPage(language).explorer(data)._repr_html_()
    options = {
        value: html.unescape(text) for value, text in re.findall(r'<option value="([^"]+)">([^<]+)</option>', page)
    }
    assert options == {
        **{name: words(language, "experiment-titles", name) for name in EXPERIMENTS},
        **{variant: words(language, "explorer", "chart", "variants", variant) for variant in VARIANTS},
        **{metric: term(metric, language) for metric in METRICS},
    }


# --------------------------------------------------------------------------- in a browser, offline

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
# After the chart is drawn: every experiment x preprocessing x metric chosen through the menus, as a
# reader would, counting the points plotly drew, then a hover over the first mean point.
EXERCISE = """
<pre id="report"></pre>
<script>
(function () {
  var root = document.querySelector(".penguins-explorer"), report = [];
  var menus = {};
  root.querySelectorAll("select").forEach(function (s) { menus[s.dataset.choice] = s; });
  Array.from(menus.experiment.options).forEach(function (experiment) {
    Array.from(menus.variant.options).forEach(function (variant) {
      Array.from(menus.metric.options).forEach(function (metric) {
        menus.experiment.value = experiment.value; menus.variant.value = variant.value; menus.metric.value = metric.value;
        menus.metric.dispatchEvent(new Event("change"));
        report.push({drawn: root.getAttribute("data-drawn"), points: root.querySelectorAll(".scatterlayer .point").length,
                     title: (root.querySelector(".ytitle") || {}).textContent});
      });
    });
  });
  var plot = root.querySelector(".js-plotly-plot");
  var mean = plot.data.length - 1;
  Plotly.Fx.hover(plot, [{curveNumber: mean, pointNumber: 0}]);
  var hover = root.querySelector(".hovertext");
  document.getElementById("report").textContent = JSON.stringify({combinations: report, hover: hover ? hover.textContent : null});
})();
</script>
"""


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (CI does not need it)")
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_chart_is_drawn_offline_in_chromium(data: dict, language: str, tmp_path: Path) -> None:
    explorer = ExplorerPage(language).explorer(data)._repr_html_()
    # the page around the explorer names an empty icon, or the browser asks for /favicon.ico
    (tmp_path / "index.html").write_text(
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>{explorer}{EXERCISE}</body></html>',
        encoding="utf-8",
    )
    served: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            served.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dom = chromium_dom(f"http://127.0.0.1:{server.server_address[1]}/index.html", tmp_path)
    finally:
        server.shutdown()
    assert served == ["/index.html"], f"the page asked the server for more than itself: {served}"
    report = json.loads(html.unescape(re.search(r'<pre id="report">(.*?)</pre>', dom, re.DOTALL).group(1)))
    combinations = report["combinations"]
    assert len(combinations) == len(EXPERIMENTS) * len(VARIANTS) * len(METRICS)
    for choice, item in zip(combinations, ((e, v, m) for e in EXPERIMENTS for v in VARIANTS for m in METRICS), strict=True):
        experiment = next(entry for entry in data["experiments"] if entry["name"] == item[0])
        seeds = len(experiment["values"]) * len(data["seeds"])
        assert choice["drawn"] == "/".join(item) and choice["points"] >= seeds + len(experiment["values"]), choice
        assert choice["title"] == term(item[2], language)
    assert report["hover"] and words(language, "terms", "mean") in report["hover"], report["hover"]
    requested = page_requests(tmp_path / "netlog.json", "http://127.0.0.1")
    assert requested and not [url for url in requested if not url.startswith("http://127.0.0.1:")], (
        f"the page reached out: {requested}"
    )


def page_requests(netlog: Path, site: str) -> list[str]:
    """The URL of every request the page made, from Chromium's network log: the requests made on
    behalf of ``site`` (their network isolation key names it), not the browser's own (updates,
    accounts), which the other hosts' resolver rule already keeps off the network."""
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    started = (event.get("params", {}) for event in log["events"] if event["type"] == start)
    return [params["url"] for params in started if params.get("network_isolation_key", "").startswith(site)]


def chromium_dom(url: str, folder: Path) -> str:
    """The DOM of ``url`` after its scripts ran, in headless Chromium with every other host unreachable."""
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={folder / 'profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--log-net-log={folder / 'netlog.json'}",
            "--virtual-time-budget=20000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout
