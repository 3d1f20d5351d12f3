// A storage check waits for scans not yet recorded: this page tells the server how many codes
// wait in its list (tracker/workflows/checks.py). The device ID stays in this browser, so a
// reload reports "nothing pending" for the same device instead of leaving a stale one behind.
(function () {
  "use strict";
  var info = document.getElementById("check-device");
  var form = document.querySelector("form[data-scan]");
  if (!info || !form) { return; }
  var codes = form.querySelector("textarea[name=codes]");
  var device = window.localStorage.getItem("mediatrail-device");
  if (!device) {
    device = "phone-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
    window.localStorage.setItem("mediatrail-device", device);
  }
  function hidden(name, value) {
    var input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value;
    form.appendChild(input);
  }
  hidden("device", device);
  hidden("device_name", info.dataset.name);
  hidden("pending", "0");  // everything in the list is sent with the form
  // Codes still in the list, and codes recorded but waiting in this browser's queue (scan.js
  // keeps them while the server cannot be reached, and says how many in data-waiting).
  function count() {
    var listed = form.dataset.listed !== undefined ? Number(form.dataset.listed)
      : codes.value.split("\n").filter(function (line) { return line.trim(); }).length;
    return listed + Number(form.dataset.waiting || 0);
  }
  var reported = null;
  function report() {
    var pending = count();
    if (pending === reported) { return; }
    var body = new URLSearchParams({ csrf_token: info.dataset.csrf, device: device, device_name: info.dataset.name, pending: pending });
    fetch(info.dataset.url, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { if (response.ok) { reported = pending; } })
      .catch(function () { /* offline: the list stays here, and the server still sees the last count */ });
  }
  report();
  window.setInterval(report, 3000);
})();
