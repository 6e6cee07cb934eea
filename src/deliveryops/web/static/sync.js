// Follow a queued or running sync: poll its job every two seconds, update the status line, reload when it ends.
(function () {
  "use strict";
  const line = document.getElementById("sync-status");
  if (!line || line.getAttribute("data-running") !== "true") { return; }
  const job = line.getAttribute("data-job");
  function poll() {
    fetch("/api/v1/jobs/" + job, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (found) {
        line.textContent = "Sync " + found.state + (found.progress_message ? ": " + found.progress_message : "") + ".";
        if (found.state === "queued" || found.state === "running") { window.setTimeout(poll, 2000); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
