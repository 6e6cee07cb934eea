// Render every chart whose Plotly spec is embedded in the page (Plotly is served locally).
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      const source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      const spec = JSON.parse(source.textContent);
      // The panel's heading already names the chart: show its title once, keeping the subtitle in its place.
      const heading = el.closest("figure") && el.closest("figure").querySelector("h2, h3");
      const title = spec.layout && spec.layout.title;
      if (heading && title && typeof title === "object" && title.text) {
        const sub = title.subtitle && title.subtitle.text;
        spec.layout.title = sub ? { text: sub, font: title.subtitle.font, x: 0, xanchor: "left", pad: title.pad } : { text: "" };
        if (!sub && spec.layout.margin) { spec.layout.margin.t = 16; }
      }
      window.Plotly.newPlot(el, spec.data, spec.layout, { responsive: true, displaylogo: false });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
