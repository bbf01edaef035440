// Piece uploads with a progress bar: the form is sent by XMLHttpRequest, whose
// upload events say how much has gone. Without this script the form is sent as
// usual (the page works the same, without the bar).
"use strict";

(function () {
  function send(form) {
    var input = form.querySelector("input[type=file]");
    var bar = form.querySelector(".upload-progress");
    var status = form.querySelector(".upload-status");
    var button = form.querySelector("button[type=submit]");
    var limit = parseInt(form.dataset.maxBytes || "0", 10);
    for (var i = 0; i < input.files.length; i++) {
      if (limit && input.files[i].size > limit) {  // said before minutes of sending
        status.textContent = input.files[i].name + " : " + form.dataset.tooLarge;
        return;
      }
    }
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.setRequestHeader("Accept", "application/json");
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        bar.value = Math.round(100 * event.loaded / event.total);
        status.textContent = bar.value + " %";
      }
    });
    request.addEventListener("load", function () {
      var target = null;
      try {
        target = JSON.parse(request.responseText).location;
      } catch (error) {
        target = null;
      }
      window.location.assign(target || window.location.href);
    });
    request.addEventListener("error", function () {
      bar.hidden = true;
      button.disabled = false;
      form.submit();  // the network failed mid-way: the ordinary way says why
    });
    request.send(new FormData(form));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("upload") || !window.FormData) {
      return;
    }
    event.preventDefault();
    send(form);
  });
}());
