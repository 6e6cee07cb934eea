// Follow a running sync: poll its latest run every two seconds and update the status line.
(function () {
  "use strict";
  const line = document.getElementById("sync-status");
  if (!line || line.getAttribute("data-running") !== "true") { return; }
  const id = line.getAttribute("data-connection");
  function poll() {
    fetch("/api/v1/connections/" + id + "/runs", { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (runs) {
        if (!runs.length) { return; }
        const run = runs[0];
        line.textContent = "Sync " + run.status + ": " + run.fetched + " fetched, " + run.created + " created, " +
          run.updated + " updated, " + run.errors + " errors" + (run.message ? ": " + run.message : "");
        if (run.status === "running") { window.setTimeout(poll, 2000); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
