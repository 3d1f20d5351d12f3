// Decodes camera frames off the page's main thread with zxing-cpp compiled to WebAssembly (the
// vendored zxing-wasm reader), for browsers without BarcodeDetector (every iPhone browser,
// Firefox, Chrome on Windows and Linux). The .wasm comes from this server, never from a CDN: the
// library's default location is replaced before anything is loaded.
/* global ZXingWASM */
"use strict";
importScripts("vendor/zxing-wasm/zxing-reader.js");

var WASM_URL = new URL("vendor/zxing-wasm/zxing_reader.wasm", self.location.href).href;

// Labels carry a QR code and a Code 128 of the same text; reading both is enough.
var OPTIONS = { formats: ["QRCode", "Code128"], tryHarder: true, maxNumberOfSymbols: 8 };

// Load the module at once, so the first frame does not wait for it and a broken .wasm is known.
ZXingWASM.prepareZXingModule({
  overrides: {
    locateFile: function (path, prefix) { return path.endsWith(".wasm") ? WASM_URL : prefix + path; }
  },
  fireImmediately: true
}).then(function () {
  self.postMessage({ ready: true });
}, function (error) {
  self.postMessage({ failed: String(error && error.message || error) });
});

self.onmessage = function (event) {
  var frame = event.data;
  var image = new ImageData(new Uint8ClampedArray(frame.pixels), frame.width, frame.height);
  ZXingWASM.readBarcodes(image, OPTIONS).then(function (results) {
    var texts = results.filter(function (result) { return result.isValid && result.text; })
      .map(function (result) { return result.text; });
    self.postMessage({ id: frame.id, texts: texts });
  }, function (error) {
    self.postMessage({ id: frame.id, texts: [], error: String(error && error.message || error) });
  });
};
