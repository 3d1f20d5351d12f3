// Lists on a phone: each row of a table.list becomes a card of "label: value" lines
// (style.css, below 600px). The labels come from the table's own header, so a column added to
// a template is labelled without anyone having to remember; no column is ever hidden.
(function () {
  "use strict";
  function label(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) { return; }
    var names = [];
    Array.prototype.forEach.call(head.cells, function (cell) {
      var span = cell.colSpan || 1;
      for (var i = 0; i < span; i += 1) { names.push(cell.textContent.trim()); }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (!cell.hasAttribute("data-label") && names[column] && (cell.colSpan || 1) === 1) {
            cell.setAttribute("data-label", names[column]);
          }
          column += cell.colSpan || 1;
        });
      });
    });
    table.classList.add("labelled");
  }
  function labelAll() { Array.prototype.forEach.call(document.querySelectorAll("table.list"), label); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", labelAll); } else { labelAll(); }
}());
