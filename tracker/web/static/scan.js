// Continuous scanning with the phone's camera inside the page, for forms marked data-scan.
// Each new code is added to the list with a beep; a code seen again is announced, not added.
// Browsers allow the camera only on HTTPS (or localhost) and read codes only where the
// BarcodeDetector API exists; otherwise the page says why and the photo field remains.
(function () {
  "use strict";
  document.querySelectorAll("form[data-scan]").forEach(function (form) {
    var box = form.querySelector(".camera");
    var video = box.querySelector("video");
    var status = form.querySelector(".camera-status");
    var unavailable = form.querySelector(".camera-unavailable");
    var start = form.querySelector(".start-camera");
    var codes = form.querySelector("textarea[name=codes]");
    var count = form.querySelector(".scan-count");
    var english = document.documentElement.lang === "en";

    if (!window.isSecureContext || !navigator.mediaDevices) {
      unavailable.textContent = unavailable.dataset.insecure;
      unavailable.hidden = false;
      return;
    }
    if (!("BarcodeDetector" in window)) {
      unavailable.textContent = unavailable.dataset.unsupported;
      unavailable.hidden = false;
      return;
    }
    start.hidden = false;

    function lines() {
      return codes.value.split("\n").map(function (line) { return line.trim(); }).filter(Boolean);
    }
    function showCount() {
      var n = lines().length;
      count.textContent = english ? n + " scanned, not yet recorded" : n + " 件読取り（未記録）";
    }
    // One AudioContext for the whole batch, opened by the tap on the camera button: a context
    // opened by a tap may play at once, and one per beep would leave a context open per label.
    var audio = null;
    function openAudio() {
      try {
        audio = audio || new (window.AudioContext || window.webkitAudioContext)();
        if (audio.state === "suspended") { audio.resume(); }
      } catch (ignored) { /* sound is a courtesy */ }
    }
    function beep(frequency) {
      try {
        var tone = audio.createOscillator();
        tone.frequency.value = frequency;
        tone.connect(audio.destination);
        tone.start();
        tone.stop(audio.currentTime + 0.12);
      } catch (ignored) { /* sound is a courtesy */ }
    }
    codes.addEventListener("input", showCount);

    start.addEventListener("click", function () {
      openAudio();
      var detector = new BarcodeDetector({ formats: ["qr_code", "code_128"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.play();
        box.hidden = false;
        start.hidden = true;
        var lastText = "", lastAt = 0;
        function tick() {
          detector.detect(video).then(function (found) {
            found.forEach(function (code) {
              var text = code.rawValue.trim();
              var now = Date.now();
              if (text === lastText && now - lastAt < 3000) { return; }
              lastText = text; lastAt = now;
              if (lines().indexOf(text) >= 0) {
                beep(220);
                if (navigator.vibrate) { navigator.vibrate([80, 60, 80]); }
                status.textContent = (english ? "already in the list: " : "読取り済み（二重）: ") + text;
                return;
              }
              codes.value = lines().concat([text]).join("\n") + "\n";
              beep(880);
              status.textContent = (english ? "added: " : "追加: ") + text;
              showCount();
            });
          }).catch(function () { /* a frame that cannot be read yet */ }).then(function () {
            window.setTimeout(tick, 250);
          });
        }
        tick();
      }).catch(function (error) {
        unavailable.textContent = (english ? "The camera could not be opened: " : "カメラを開けませんでした: ") + error.message;
        unavailable.hidden = false;
      });
    });
  });
})();
