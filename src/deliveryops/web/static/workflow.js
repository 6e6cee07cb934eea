// Workflow board: move a status left or right; positions are renumbered for the form.
(function () {
  "use strict";
  const board = document.getElementById("workflow-board");
  if (!board) { return; }
  document.documentElement.classList.add("js-board");
  function renumber() {
    board.querySelectorAll("input.order").forEach(function (input, index) { input.value = String(index); });
  }
  board.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-move]");
    if (!button) { return; }
    const column = button.closest("li");
    const step = Number(button.getAttribute("data-move"));
    const sibling = step < 0 ? column.previousElementSibling : column.nextElementSibling;
    if (!sibling) { return; }
    if (step < 0) { board.insertBefore(column, sibling); } else { board.insertBefore(sibling, column); }
    renumber();
    button.focus();
  });
  board.addEventListener("change", function (event) {
    if (event.target.classList.contains("category")) {
      event.target.closest("li").classList.toggle("unmapped", event.target.value === "");
    }
  });
})();
