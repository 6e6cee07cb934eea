// Render every chart whose Plotly spec is embedded in the page (Plotly is served locally).
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      const source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      const spec = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, spec.data, spec.layout, { responsive: true, displaylogo: false });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
