/* The explorer's chart (penguins/pages/explorer.py writes it into the page, after plotly.js).
 *
 * penguinsExplorer(root) reads the data and the words the page embedded in `root`, and draws, for
 * the experiment, preprocessing and metric its three menus name, every seed's value (faint
 * points), the mean over seeds and its 95 % interval (a line and a band; error bars for named
 * runs, which have no order). Hovering shows the values. Nothing is fetched: no server, no network.
 */
function penguinsExplorer(root) {
  "use strict";
  var LINE = "#1f4e79";
  var BAND = "rgba(31, 78, 121, 0.18)";
  var POINTS = "rgba(31, 78, 121, 0.35)";
  var data = JSON.parse(root.querySelector(".penguins-explorer-data").textContent);
  var words = JSON.parse(root.querySelector(".penguins-explorer-words").textContent);
  var plot = root.querySelector(".penguins-explorer-plot");
  var menus = {};
  var experiments = {};
  data.experiments.forEach(function (experiment) { experiments[experiment.name] = experiment; });
  root.querySelectorAll("select[data-choice]").forEach(function (select) {
    menus[select.getAttribute("data-choice")] = select;
    select.addEventListener("change", draw);
  });

  function isAccuracy(metric) { return /accuracy$/.test(metric); }

  function format(value, metric) {
    if (value === null || value === undefined) { return "–"; }
    return isAccuracy(metric) ? (100 * value).toFixed(1) + "%" : value.toFixed(3);
  }

  function pointName(experiment, value) {
    return experiment.categorical ? (words.runs[value] || String(value)) : value;
  }

  function seedTrace(experiment, series, metric, xs) {
    var x = [], y = [], text = [];
    series.seeds.forEach(function (values, i) {
      values.forEach(function (value, j) {
        if (value === null) { return; }
        x.push(xs[i]);
        y.push(value);
        text.push(words.parameter + " " + xs[i] + "<br>" + words.seed + " " + data.seeds[j] + ": " + format(value, metric));
      });
    });
    return {
      type: "scatter", mode: "markers", name: words.seed_points, x: x, y: y, text: text,
      hovertemplate: "%{text}<extra></extra>", marker: { color: POINTS, size: 6 }
    };
  }

  function meanText(series, metric, xs) {
    return xs.map(function (x, i) {
      return words.parameter + " " + x + "<br>" + words.mean + ": " + format(series.mean[i], metric) +
        "<br>" + words.interval + ": " + format(series.low[i], metric) + " – " + format(series.high[i], metric) +
        "<br>" + words.n_seeds.replace("{n}", series.seeds[i].length);
    });
  }

  function meanTraces(experiment, series, metric, xs) {
    var mean = {
      type: "scatter", name: words.mean, x: xs, y: series.mean, text: meanText(series, metric, xs),
      hovertemplate: "%{text}<extra></extra>", line: { color: LINE, width: 2 }, marker: { color: LINE, size: 7 }
    };
    if (experiment.categorical) {
      mean.mode = "markers";
      mean.error_y = {
        type: "data", color: LINE, thickness: 1.5, width: 6,
        array: series.high.map(function (high, i) { return high === null ? 0 : high - series.mean[i]; }),
        arrayminus: series.low.map(function (low, i) { return low === null ? 0 : series.mean[i] - low; })
      };
      return [mean];
    }
    mean.mode = "lines+markers";
    var high = { type: "scatter", mode: "lines", x: xs, y: series.high, line: { width: 0 }, hoverinfo: "skip", showlegend: false };
    var low = {
      type: "scatter", mode: "lines", name: words.interval, x: xs, y: series.low, line: { width: 0 },
      fill: "tonexty", fillcolor: BAND, hoverinfo: "skip"
    };
    return [high, low, mean];
  }

  function layout(experiment, metric) {
    var font = window.getComputedStyle(root).fontFamily;
    return {
      font: { family: font },
      margin: { l: 64, r: 16, t: 48, b: 56 },
      legend: { orientation: "h", x: 0, y: 1.12 },
      hovermode: "closest",
      paper_bgcolor: "white",
      plot_bgcolor: "white",
      xaxis: {
        title: { text: words.parameters[experiment.parameter] },
        type: experiment.categorical ? "category" : (experiment.log_x ? "log" : "linear"),
        gridcolor: "#e5e5e5", zeroline: false
      },
      yaxis: {
        title: { text: words.metrics[metric] },
        tickformat: isAccuracy(metric) ? ".0%" : "",
        gridcolor: "#e5e5e5", zeroline: false
      }
    };
  }

  function draw() {
    var experiment = experiments[menus.experiment.value];
    var metric = menus.metric.value;
    var series = experiment.series[menus.variant.value][metric];
    var xs = experiment.values.map(function (value) { return pointName(experiment, value); });
    words.parameter = words.parameters[experiment.parameter];
    var traces = [seedTrace(experiment, series, metric, xs)].concat(meanTraces(experiment, series, metric, xs));
    window.Plotly.react(plot, traces, layout(experiment, metric), {
      responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"]
    });
    root.setAttribute("data-drawn", [experiment.name, menus.variant.value, metric].join("/"));
  }

  draw();
}
