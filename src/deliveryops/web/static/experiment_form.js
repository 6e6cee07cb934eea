// The experiment form: "Add a row" buttons copy the last row of their table, emptied.
(function () {
  "use strict";
  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.addEventListener("click", function () {
      var body = document.getElementById(button.dataset.addRow).tBodies[0];
      var last = body.rows[body.rows.length - 1];
      var row = last.cloneNode(true);
      var index = body.rows.length;
      row.querySelectorAll("input, select").forEach(function (field) {
        // Rows are numbered from 0 in the field names: "variations.2.name"; the radio's value is the row.
        if (field.type === "radio") { field.checked = false; field.value = String(index); }
        else { field.name = field.name.replace(/\.\d+\./, "." + index + "."); }
        if (/\.weight$/.test(field.name)) { field.value = "1"; }
        else if (field.tagName === "INPUT" && field.type !== "radio") { field.value = ""; }
        var label = field.getAttribute("aria-label");
        if (label) { field.setAttribute("aria-label", label.replace(/\d+/, String(index + 1))); }
      });
      body.appendChild(row);
      var first = row.querySelector("input[type=text], input:not([type])");
      if (first) { first.focus(); }
    });
  });
})();
