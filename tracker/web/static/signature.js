// A signature drawn with a finger, stylus or mouse on a canvas, sent as a PNG data URL in the
// form's hidden "signature" field (forms marked data-signature). White background, so the
// server can tell a blank box from a signed one; the form is not sent while the box is empty.
(function () {
  "use strict";
  document.querySelectorAll("form[data-signature]").forEach(function (form) {
    var canvas = form.querySelector("canvas.signature");
    if (!canvas) { return; }
    var field = form.querySelector("input[name=signature]");
    var missing = form.querySelector(".signature-missing");
    var pen = canvas.getContext("2d");
    var drawing = false, drawn = false;

    function clear() {
      pen.fillStyle = "#fff";
      pen.fillRect(0, 0, canvas.width, canvas.height);
      pen.strokeStyle = "#000";
      pen.lineWidth = 3;
      pen.lineCap = "round";
      pen.lineJoin = "round";
      drawn = false;
      field.value = "";
    }
    function point(event) {
      var box = canvas.getBoundingClientRect();  // the canvas may be scaled by CSS on a phone
      return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
    }
    canvas.style.touchAction = "none";  // the finger draws instead of scrolling the page
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      var at = point(event);
      pen.beginPath();
      pen.moveTo(at[0], at[1]);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var at = point(event);
      pen.lineTo(at[0], at[1]);
      pen.stroke();
      drawn = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { drawing = false; });
    });
    form.querySelector(".clear-signature").addEventListener("click", clear);
    form.addEventListener("submit", function (event) {
      if (!drawn) {
        event.preventDefault();
        missing.hidden = false;
        return;
      }
      field.value = canvas.toDataURL("image/png");
    });
    clear();
  });
})();
