// The ops page's live plots: polls /ops/plots/ and draws each chart with uPlot (vendored,
// static/vendor/uplot). One figure per chart the server sends, in its order. Each figure
// carries data-total (the sum of its plotted values) and data-points, so a glance, or a
// browser test, can tell that it moved.
import uPlot from "../vendor/uplot/uPlot.esm.js";

const root = document.getElementById("live-plots");
const grid = document.getElementById("plots");
const intervalMs = Number(root.dataset.intervalS || 5) * 1000;
const COLORS = ["#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037"];
const plots = new Map(); // chart name -> {plot, key}
let windowName = "15m";

function figureFor(name, chart) {
  let figure = grid.querySelector(`figure[data-chart="${name}"]`);
  if (!figure) {
    figure = document.createElement("figure");
    figure.className = "plot";
    figure.dataset.chart = name;
    figure.id = `plot-${name}`;
    const caption = document.createElement("figcaption");
    caption.textContent = `${chart.title} (${chart.unit})`;
    const canvas = document.createElement("div");
    canvas.className = "plot__canvas";
    figure.append(caption, canvas);
    grid.append(figure);
  }
  return figure;
}

// The y axis as wide as its longest tick label: at uPlot's default 50 px, "10,000" (ms) was cut.
function yAxisSize(self, values) {
  if (!values) return 50;
  const longest = Math.max(...values.map((value) => String(value).length));
  return Math.max(40, longest * 7 + 24);
}

function options(names, figure) {
  return {
    width: Math.max(280, figure.clientWidth - 8),
    height: 170,
    legend: { show: true },
    scales: { x: { time: true } },
    axes: [{}, { size: yAxisSize }],
    series: [{}, ...names.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false }))],
  };
}

function total(columns) {
  let sum = 0;
  for (const column of columns) for (const value of column) sum += value ?? 0;
  return Math.round(sum * 1000) / 1000;
}

function draw(name, times, chart) {
  const figure = figureFor(name, chart);
  const names = Object.keys(chart.series);
  const columns = names.map((label) => chart.series[label]);
  figure.dataset.total = String(total(columns));
  figure.dataset.points = String(times.length);
  figure.dataset.empty = String(names.length === 0);
  const data = [times, ...columns];
  const key = names.join("|");
  const drawn = plots.get(name);
  if (drawn && drawn.key === key) {
    drawn.plot.setData(data);
    return;
  }
  if (drawn) drawn.plot.destroy();
  const target = figure.querySelector(".plot__canvas");
  plots.set(name, { key, plot: new uPlot(options(names, figure), data, target) });
}

async function refresh() {
  try {
    const response = await fetch(`${root.dataset.url}?window=${encodeURIComponent(windowName)}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = await response.json();
    if (data.window !== windowName) return; // the window changed while this was in flight
    for (const [name, chart] of Object.entries(data.charts)) draw(name, data.t, chart);
    root.dataset.state = "live";
    root.dataset.refreshes = String(Number(root.dataset.refreshes || 0) + 1);
  } catch (error) {
    root.dataset.state = "error";
  }
}

for (const button of root.querySelectorAll("button[data-window]")) {
  button.addEventListener("click", () => {
    windowName = button.dataset.window;
    for (const other of root.querySelectorAll("button[data-window]")) {
      other.setAttribute("aria-pressed", String(other === button));
    }
    refresh();
  });
}

refresh();
setInterval(refresh, intervalMs);
