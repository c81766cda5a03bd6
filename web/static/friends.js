/* /console/friends: draws the two charts with Chart.js (vendored, MIT) from the JSON the page
   carries. Followers and reachable friends, the targets as steps, the forecast at the recent
   pace and the pace the target needs; follows/blocks per day as bars. */
(function () {
  "use strict";
  function read(id) { return JSON.parse(document.getElementById(id).textContent); }
  var data = read("friends-chart-data");
  var names = read("friends-chart-labels");
  var line = function (label, values, color, extra) {
    return Object.assign({ label: label, data: values, borderColor: color, backgroundColor: color,
      pointRadius: 0, borderWidth: 2, spanGaps: false, tension: 0 }, extra || {});
  };
  new Chart(document.getElementById("friends-chart"), {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        line(names.followers, data.followers, "#06c755"),
        line(names.reachable, data.reachable, "#2563eb"),
        line(names.target, data.target, "#dc2626", { stepped: "before", borderDash: [6, 4] }),
        line(names.forecast, data.forecast, "#6b7280", { borderDash: [2, 3] }),
        line(names.needed, data.needed, "#f59e0b", { borderDash: [8, 3] })
      ]
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } }
    }
  });
  var ledger = read("ledger-chart-data");
  new Chart(document.getElementById("ledger-chart"), {
    type: "bar",
    data: {
      labels: ledger.labels,
      datasets: [
        { label: ledger.names.follows, data: ledger.follows, backgroundColor: "#06c755", stack: "in" },
        { label: ledger.names.refollows, data: ledger.refollows, backgroundColor: "#86efac", stack: "in" },
        { label: ledger.names.unfollows, data: ledger.unfollows, backgroundColor: "#dc2626", stack: "out" }
      ]
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: { x: { ticks: { maxTicksLimit: 10 } }, y: { ticks: { precision: 0 }, beginAtZero: true } },
      plugins: { legend: { position: "bottom" } }
    }
  });
  document.documentElement.dataset.chartsReady = "1";
})();
