/* Draws the dashboard's charts with the vendored ECharts. The data come from the
 * <script id="dashboard-charts" type="application/json"> block the server renders; the same
 * numbers are in the tables next to each chart. When every chart has finished drawing,
 * <body data-charts-ready="N"> is set (the browser test waits for it). */
(function () {
  "use strict";
  var FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  var source = document.getElementById("dashboard-charts");
  if (!source || typeof echarts === "undefined") {
    return;
  }
  var specs = JSON.parse(source.textContent);
  var charts = [];

  function option(spec) {
    var isLine = spec.type === "line";
    var labels = spec.values.map(function (v) { return v === null ? "—" : v + "%"; });
    return {
      textStyle: { fontFamily: FONT },
      title: { text: spec.title, left: "center", textStyle: { fontFamily: FONT, fontSize: 16 } },
      tooltip: {
        trigger: "axis",
        formatter: function (params) {
          var i = params[0].dataIndex;
          // The tooltip is HTML: a town or section name is data, so it is escaped.
          return echarts.format.encodeHTML(spec.categories[i]) + "<br>" + labels[i] +
            "（" + spec.counted[i] + " / " + spec.population[i] + "）";
        }
      },
      // The right margin holds the goal line's label, outside the bars (it overlapped the
      // last bar's own label when drawn inside).
      grid: { left: 56, right: 72, top: 48, bottom: spec.categories.length > 6 ? 80 : 56 },
      xAxis: {
        type: "category",
        name: spec.xName,
        nameLocation: "middle",
        nameGap: spec.categories.length > 6 ? 62 : 32,
        data: spec.categories,
        // Bars name every town or section; a trend of many snapshot dates (month-ends since
        // 2021) lets ECharts drop the labels that would overlap ("auto").
        axisLabel: { interval: isLine ? "auto" : 0, rotate: spec.categories.length > 6 ? 30 : 0, fontFamily: FONT,
                     formatter: function (v) { return v.length > 10 ? v.slice(0, 10) + "…" : v; } }
      },
      yAxis: {
        type: "value", name: spec.yName, min: 0, max: 100,
        nameTextStyle: { fontFamily: FONT }, axisLabel: { formatter: "{value}%" }
      },
      series: [{
        type: spec.type,
        data: spec.values,
        barMaxWidth: 36,
        connectNulls: true,
        label: { show: !isLine || spec.values.length <= 12, position: "top",
                 formatter: function (p) { return labels[p.dataIndex]; } },
        itemStyle: { color: "#0d6efd" },
        markLine: {
          symbol: "none", silent: true,
          label: { formatter: spec.goalLabel + "\n{c}%", position: "end", distance: 6, fontFamily: FONT, color: "#dc3545" },
          lineStyle: { color: "#dc3545", type: "dashed" },
          data: [{ yAxis: spec.goal }]
        }
      }],
      animation: false
    };
  }

  var drawable = specs.filter(function (spec) { return document.getElementById(spec.id); });
  var finished = 0;
  drawable.forEach(function (spec) {
    var chart = echarts.init(document.getElementById(spec.id), null, { renderer: "canvas" });
    charts.push(chart);
    chart.on("finished", function once() {
      chart.off("finished", once);
      finished += 1;
      if (finished === drawable.length) {
        document.body.dataset.chartsReady = String(drawable.length);
      }
    });
    chart.setOption(option(spec));
  });
  if (drawable.length === 0) {
    document.body.dataset.chartsReady = "0";
  }
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();

// The post selector (issue 19): choosing a post shows its dashboard for the same date.
(function () {
  "use strict";
  var select = document.querySelector("[data-post-select]");
  if (select && select.form) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
})();
