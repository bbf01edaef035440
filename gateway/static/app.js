// The pages' few behaviours, from a static file so that the Content-Security-Policy
// can refuse every inline script. Each page works without it.
"use strict";

// <form data-confirm="..."> (or its submit button): ask before sending.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// <a data-back href="...">: back to the previous page when there is one,
// else (no history, or no script) the link's own target.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-back]");
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});

// <input type="checkbox" data-select-all="ids">: ticks or unticks every checkbox
// of that name on the page (the staff list's "tout sélectionner sur la page").
document.addEventListener("change", function (event) {
  var name = event.target.dataset && event.target.dataset.selectAll;
  if (name) {
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  }
});

// The bulk form (staff list): only the parameters of the chosen action show
// (<fieldset data-bulk-for="action other">); without the script all of them do.
function showBulkParameters(select) {
  document.querySelectorAll("[data-bulk-for]").forEach(function (group) {
    group.hidden = group.dataset.bulkFor.split(" ").indexOf(select.value) < 0;
  });
}
document.addEventListener("change", function (event) {
  if (event.target.id === "bulk-action") {
    showBulkParameters(event.target);
  }
});
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("bulk-action");
  if (select) {
    showBulkParameters(select);
  }
});
