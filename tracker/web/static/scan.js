// The scanning component of every batch form (form[data-scan]: receive, return, store, transfer
// out and in, check, destroy, the /scan look-up page).
//
// Reading: the rear camera inside the page. Codes are read by the browser's BarcodeDetector where
// it has one, else by zxing-cpp compiled to WebAssembly in a Web Worker (scan-worker.js, served by
// this server), else — both missing or broken — by posting a frame now and then to the server,
// which tries its full decoder cascade. A handheld scanner typing into the list, typed IDs and
// photos work as before.
//
// Each code read is added once to a running list, with a beep and a buzz, and checked with the
// server at once (/scan/identify) so that a duplicate, a label of another contract or flow, an
// unknown code and a forged label each get their own warning while the medium is still in hand.
// The list is reviewed, then recorded.
//
// Recording (forms with data-scan-queue): every code goes first into IndexedDB with its own
// idempotency key and how it arrived (camera, wedge, typed), then is sent in order to
// /scan/record. While the server cannot be reached the codes stay in the browser and the page
// says how many wait; they are sent when it comes back (the same key twice records once). An
// expired session keeps them too: log in again and they are sent.
(function () {
  "use strict";
  var english = document.documentElement.lang === "en";
  var scriptBase = (document.currentScript && document.currentScript.src) || "";
  function say(ja, en) { return english ? en : ja; }

  // ---- the queue of codes waiting to be recorded (IndexedDB, shared by every page) -------------

  var DB_NAME = "mediatrail-scans", STORE = "queue";
  var databasePromise = null;
  function database() {
    if (!databasePromise) {
      databasePromise = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
        var opening = window.indexedDB.open(DB_NAME, 1);
        opening.onupgradeneeded = function () {
          opening.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
        };
        opening.onsuccess = function () { resolve(opening.result); };
        opening.onerror = function () { reject(opening.error); };
      });
    }
    return databasePromise;
  }
  function inStore(mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var result = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }
  var queue = {
    add: function (entries) {
      return inStore("readwrite", function (store) { entries.forEach(function (entry) { store.add(entry); }); });
    },
    all: function () { return inStore("readonly", function (store) { return store.getAll(); }); },
    remove: function (seq) { return inStore("readwrite", function (store) { store.delete(seq); }); }
  };

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // ---- the label's ID, shown instead of its URL ----------------------------------------------

  // "HTTPS://HOST/M/KG26-00042-7/SIGNATURE" → "KG26-00042-7": the list shows what a label names,
  // never the signed URL as copyable text.
  function shownAs(text) {
    var match = /\/[MmLl]\/([^/\s]+)\/[^/\s]+\/?$/.exec(text);
    return match ? match[1] : text;
  }

  // ---- sound and vibration, one AudioContext per page (opened by a tap) ---------------------

  var audio = null;
  function openAudio() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") { audio.resume(); }
    } catch (ignored) { /* sound is a courtesy */ }
  }
  function beep(frequency) {
    if (!audio) { return; }
    try {
      var tone = audio.createOscillator();
      tone.frequency.value = frequency;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.12);
    } catch (ignored) { /* sound is a courtesy */ }
  }
  function buzz(pattern) { if (navigator.vibrate) { navigator.vibrate(pattern); } }
  var SOUND = { added: 880, duplicate: 220, warning: 330 };

  // ---- decoders --------------------------------------------------------------------------------

  // BarcodeDetector, where the browser has one that reads QR codes.
  function nativeDecoder() {
    if (!("BarcodeDetector" in window)) { return Promise.resolve(null); }
    var formats = ["qr_code", "code_128"];
    var check = window.BarcodeDetector.getSupportedFormats ? window.BarcodeDetector.getSupportedFormats() : Promise.resolve(formats);
    return check.then(function (supported) {
      if (supported.indexOf("qr_code") < 0) { return null; }
      var detector = new window.BarcodeDetector({ formats: formats });
      return {
        path: "native",
        read: function (video) {
          return detector.detect(video).then(function (found) {
            return found.map(function (code) { return code.rawValue; });
          });
        }
      };
    }).catch(function () { return null; });
  }

  // A frame of the video as pixels (at most 1280 px wide: enough for a label at arm's length).
  function grabber() {
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    return function (video) {
      var scale = Math.min(1, 1280 / (video.videoWidth || 1));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      return { canvas: canvas, pixels: context.getImageData(0, 0, canvas.width, canvas.height) };
    };
  }

  // zxing-wasm in a Web Worker: resolves once the worker has compiled the .wasm, null if it cannot.
  function workerDecoder() {
    if (!window.Worker || !window.WebAssembly) { return Promise.resolve(null); }
    return new Promise(function (resolve) {
      var worker;
      try {
        worker = new Worker(new URL("scan-worker.js", scriptBase || window.location.href));
      } catch (error) { resolve(null); return; }
      var grab = grabber(), waiting = {}, next = 1, settled = false;
      function settle(value) { if (!settled) { settled = true; resolve(value); } }
      worker.onmessage = function (event) {
        var message = event.data;
        if (message.ready) {
          settle({
            path: "wasm",
            read: function (video) {
              if (!video.videoWidth) { return Promise.resolve([]); }
              var frame = grab(video).pixels, id = next++;
              return new Promise(function (done) {
                waiting[id] = done;
                worker.postMessage({ id: id, width: frame.width, height: frame.height, pixels: frame.data.buffer }, [frame.data.buffer]);
              });
            }
          });
        } else if (message.failed) {
          worker.terminate();
          settle(null);
        } else if (waiting[message.id]) {
          waiting[message.id](message.texts);
          delete waiting[message.id];
        }
      };
      worker.onerror = function (event) { event.preventDefault(); worker.terminate(); settle(null); };
      window.setTimeout(function () { settle(null); }, 20000);  // a worker that never answers
    });
  }

  // The server's cascade, one frame at a time: the last resort, so at most one frame a second.
  function serverDecoder(url, csrf) {
    var grab = grabber();
    return {
      path: "server",
      interval: 1000,
      read: function (video) {
        if (!video.videoWidth) { return Promise.resolve([]); }
        var canvas = grab(video).canvas;
        return new Promise(function (done) { canvas.toBlob(done, "image/jpeg", 0.85); }).then(function (blob) {
          var body = new FormData();
          body.append("csrf_token", csrf);
          body.append("frame", blob, "frame.jpg");
          return fetch(url, { method: "POST", body: body, credentials: "same-origin" });
        }).then(function (response) {
          return response.ok ? response.json() : { codes: [] };
        }).then(function (answer) { return answer.codes || []; });
      }
    };
  }

  // The best decoder this browser has (resolved once per page).
  var decoderPromise = null;
  function bestDecoder(serverUrl, csrf) {
    if (!decoderPromise) {
      decoderPromise = nativeDecoder().then(function (native) {
        return native || workerDecoder();
      }).then(function (found) {
        return found || serverDecoder(serverUrl, csrf);
      });
    }
    return decoderPromise;
  }

  // ---- one scanning form --------------------------------------------------------------------

  function Scanner(form) {
    this.form = form;
    this.box = form.querySelector(".camera");
    this.video = this.box.querySelector("video");
    this.status = form.querySelector(".camera-status");
    this.unavailable = form.querySelector(".camera-unavailable");
    this.start = form.querySelector(".start-camera");
    this.codes = form.querySelector("textarea[name=codes]");
    this.count = form.querySelector(".scan-count");
    this.list = form.querySelector(".scan-list");
    this.waitingNote = form.querySelector(".scan-waiting");
    this.switchButton = form.querySelector(".switch-camera");
    this.torchButton = form.querySelector(".torch");
    this.csrf = form.querySelector("input[name=csrf_token]").value;
    this.action = form.dataset.scanAction || "lookup";
    this.context = form.dataset.scanContext || "";
    this.urls = { identify: form.dataset.scanIdentify, decode: form.dataset.scanDecode, record: form.dataset.scanRecord };
    this.sources = {};  // code → how it arrived: camera, wedge (a handheld scanner typing), typed
    // Codes the camera read: kept here and shown in the list by what they name, never written into
    // the text box as the label's URL (a URL on screen could be copied and pasted elsewhere).
    this.cameraCodes = [];
    this.lastText = ""; this.lastAt = 0;
    this.stream = null; this.cameras = []; this.cameraIndex = -1; this.torchOn = false;
    this.stats = { path: null, frames: 0, decodeMs: 0, startedAt: 0, firstReadAt: 0 };  // read by bench/bench_browser_scan.py
    form.mediatrailScanner = this;
    this.watchTyping();
    this.codes.addEventListener("input", this.showCount.bind(this));
    if (form.hasAttribute("data-scan-queue")) {
      form.addEventListener("submit", this.submit.bind(this));
      this.drain();
      var self = this;
      window.addEventListener("online", function () { self.drain(); });
      window.setInterval(function () { self.drain(); }, 5000);
    }
    this.offerCamera();
  }

  // What was typed or wedge-scanned into the text box.
  Scanner.prototype.typedLines = function () {
    return this.codes.value.split("\n").map(function (line) { return line.trim(); }).filter(Boolean);
  };

  // Everything read so far, in order: the camera's codes, then the text box's lines.
  Scanner.prototype.lines = function () {
    var typed = this.typedLines();
    return this.cameraCodes.filter(function (code) { return typed.indexOf(code) < 0; }).concat(typed);
  };

  Scanner.prototype.showCount = function () {
    var n = this.lines().length;
    this.form.dataset.listed = String(n);
    this.count.textContent = n ? say(n + " 件読取り（未記録）", n + " scanned, not yet recorded") : "";
  };

  Scanner.prototype.offerCamera = function () {
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.unavailable.textContent = this.unavailable.dataset.insecure;
      this.unavailable.hidden = false;
      return;
    }
    if (!("BarcodeDetector" in window) && !(window.Worker && window.WebAssembly) && !this.urls.decode) {
      this.unavailable.textContent = this.unavailable.dataset.unsupported;
      this.unavailable.hidden = false;
      return;
    }
    this.start.hidden = false;
    this.start.addEventListener("click", this.openCamera.bind(this));
    this.video.addEventListener("click", this.focusAt.bind(this));
    if (this.switchButton) { this.switchButton.addEventListener("click", this.switchCamera.bind(this)); }
    if (this.torchButton) { this.torchButton.addEventListener("click", this.toggleTorch.bind(this)); }
  };

  // The rear camera first ("environment"); a chosen camera by its device ID after a switch.
  Scanner.prototype.openCamera = function () {
    var self = this;
    openAudio();
    this.stats.startedAt = performance.now();
    var video = this.cameraIndex >= 0 ? { deviceId: { exact: this.cameras[this.cameraIndex].deviceId } }
                                      : { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } };
    navigator.mediaDevices.getUserMedia({ video: video, audio: false }).then(function (stream) {
      self.stopStream();
      self.stream = stream;
      self.video.srcObject = stream;
      self.video.play();
      self.box.hidden = false;
      self.start.hidden = true;
      self.offerControls();
      return bestDecoder(self.urls.decode, self.csrf);
    }).then(function (decoder) {
      if (!decoder || self.decoder) { return; }
      self.decoder = decoder;
      self.stats.path = decoder.path;
      self.form.dataset.scanPath = decoder.path;
      self.tick();
    }).catch(function (error) {
      self.unavailable.textContent = self.cameraProblem(error);
      self.unavailable.hidden = false;
    });
  };

  Scanner.prototype.cameraProblem = function (error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return say("カメラの使用が許可されていません。ブラウザの設定でこのサイトにカメラを許可するか、写真かハンディスキャナで読み取ってください。",
                 "The camera is not allowed: allow it for this site in the browser's settings, or use photos or a handheld scanner.");
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return say("カメラが見つかりません。写真かハンディスキャナで読み取ってください。", "No camera was found: use photos or a handheld scanner.");
    }
    if (name === "NotReadableError" || name === "AbortError") {
      return say("カメラを他のアプリが使用中です。そのアプリを閉じてから、もう一度押してください。",
                 "Another app is using the camera: close it, then try again.");
    }
    return say("カメラを開けませんでした: ", "The camera could not be opened: ") + (error && error.message || error);
  };

  Scanner.prototype.stopStream = function () {
    if (this.stream) { this.stream.getTracks().forEach(function (track) { track.stop(); }); }
  };

  Scanner.prototype.track = function () {
    return this.stream ? this.stream.getVideoTracks()[0] : null;
  };

  // Camera switch (when there is more than one) and torch (when the camera has one).
  Scanner.prototype.offerControls = function () {
    var self = this, track = this.track();
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      self.cameras = devices.filter(function (device) { return device.kind === "videoinput"; });
      if (self.switchButton) { self.switchButton.hidden = self.cameras.length < 2; }
    }).catch(function () { /* no list: no switch */ });
    var capabilities = track && track.getCapabilities ? track.getCapabilities() : {};
    if (this.torchButton) { this.torchButton.hidden = !capabilities.torch; }
  };

  Scanner.prototype.switchCamera = function () {
    if (this.cameras.length < 2) { return; }
    var current = this.track() && this.track().getSettings().deviceId;
    var at = this.cameras.findIndex(function (camera) { return camera.deviceId === current; });
    this.cameraIndex = (at + 1) % this.cameras.length;
    this.openCamera();
  };

  Scanner.prototype.toggleTorch = function () {
    var track = this.track(), self = this;
    if (!track) { return; }
    track.applyConstraints({ advanced: [{ torch: !this.torchOn }] }).then(function () {
      self.torchOn = !self.torchOn;
      self.torchButton.setAttribute("aria-pressed", String(self.torchOn));
    }).catch(function () { self.torchButton.hidden = true; });
  };

  // Tap to focus: where the camera lets the page choose a point of interest, focus there once.
  Scanner.prototype.focusAt = function (event) {
    var track = this.track();
    if (!track || !track.getCapabilities) { return; }
    var capabilities = track.getCapabilities(), rect = this.video.getBoundingClientRect();
    var wanted = {};
    if (capabilities.focusMode && capabilities.focusMode.indexOf("single-shot") >= 0) { wanted.focusMode = "single-shot"; }
    else if (capabilities.focusMode && capabilities.focusMode.indexOf("continuous") >= 0) { wanted.focusMode = "continuous"; }
    if ("pointsOfInterest" in capabilities || wanted.focusMode) {
      wanted.pointsOfInterest = [{ x: (event.clientX - rect.left) / rect.width, y: (event.clientY - rect.top) / rect.height }];
    }
    if (Object.keys(wanted).length) {
      track.applyConstraints({ advanced: [wanted] }).catch(function () { /* not on this camera */ });
    }
  };

  Scanner.prototype.tick = function () {
    var self = this, decoder = this.decoder;
    var live = this.stream && this.stream.getVideoTracks().some(function (track) { return track.readyState === "live"; });
    if (!live) { return; }
    var began = performance.now();
    decoder.read(this.video).then(function (texts) {
      self.stats.frames += 1;
      self.stats.decodeMs += performance.now() - began;
      texts.forEach(function (text) { self.read(text, "camera"); });
    }).catch(function () { /* a frame that cannot be read yet */ }).then(function () {
      // Each camera frame once (decoding the same picture again only drains a phone's battery);
      // the server path at most once a second.
      if (decoder.interval) { window.setTimeout(self.tick.bind(self), decoder.interval); }
      else if (self.video.requestVideoFrameCallback) { self.video.requestVideoFrameCallback(function () { self.tick(); }); }
      else { window.setTimeout(self.tick.bind(self), 100); }
    });
  };

  // One code read: added once to the list; a code read again is announced, not added.
  Scanner.prototype.read = function (raw, source) {
    var text = raw.trim(), now = Date.now();
    if (!text) { return; }
    if (text === this.lastText && now - this.lastAt < 3000) { return; }  // the same label still in view
    this.lastText = text; this.lastAt = now;
    if (!this.stats.firstReadAt) { this.stats.firstReadAt = performance.now(); }
    if (this.lines().indexOf(text) >= 0) {
      beep(SOUND.duplicate);
      buzz([80, 60, 80]);
      this.status.textContent = say("読取り済み（二重）: ", "already in the list: ") + shownAs(text);
      this.status.className = "camera-status warn";
      return;
    }
    this.cameraCodes.push(text);
    this.sources[text] = source;
    beep(SOUND.added);
    buzz(60);
    this.status.textContent = say("追加: ", "added: ") + shownAs(text);
    this.status.className = "camera-status muted";
    this.showCount();
    this.addToList(text);
  };

  // The running list: what each code names, and a warning where it does not fit.
  Scanner.prototype.addToList = function (text) {
    if (!this.list) { return; }
    var item = document.createElement("li"), self = this;
    item.dataset.code = text;
    var name = document.createElement("span");
    name.className = "scan-name";
    name.textContent = shownAs(text);
    var note = document.createElement("span");
    note.className = "scan-note muted";
    var remove = document.createElement("button");
    remove.type = "button"; remove.className = "link scan-remove";
    remove.textContent = say("取消", "remove");
    remove.addEventListener("click", function () { self.removeCode(text); });
    item.appendChild(name); item.appendChild(note); item.appendChild(remove);
    this.list.appendChild(item);
    this.identify(text, item);
  };

  Scanner.prototype.removeCode = function (text) {
    this.cameraCodes = this.cameraCodes.filter(function (code) { return code !== text; });
    var typed = this.typedLines().filter(function (line) { return line !== text; });
    this.codes.value = typed.length ? typed.join("\n") + "\n" : "";
    delete this.sources[text];
    var item = this.itemFor(text);
    if (item) { item.remove(); }
    this.showCount();
  };

  Scanner.prototype.itemFor = function (text) {
    var items = this.list ? this.list.querySelectorAll("li") : [];
    for (var i = 0; i < items.length; i++) { if (items[i].dataset.code === text) { return items[i]; } }
    return null;
  };

  Scanner.prototype.mark = function (text, verdict, message) {
    var item = this.itemFor(text);
    if (!item) { return; }
    item.dataset.verdict = verdict;
    item.className = verdict === "fits" || verdict === "location" ? "ok" : "warn";
    item.querySelector(".scan-note").textContent = message;
  };

  Scanner.prototype.identify = function (text, item) {
    if (!this.urls.identify) { return; }
    var self = this;
    var body = new URLSearchParams({ csrf_token: this.csrf, code: text, action: this.action, context: this.context });
    fetch(this.urls.identify, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
      if (!response.ok || response.redirected) { throw new Error("not answered"); }
      return response.json();
    }).then(function (answer) {
      // A label that fits needs no words beside its name and status; anything else says why.
      self.mark(text, answer.verdict, answer.warning ? answer.message : "");
      if (answer.medium) {
        var name = item.querySelector(".scan-name");
        name.textContent = answer.medium.id + " " + answer.medium.title;
        var status = document.createElement("span");
        status.className = "scan-status";
        status.textContent = english ? answer.medium.status_en : answer.medium.status_ja;
        item.insertBefore(status, item.querySelector(".scan-note"));
      }
      if (answer.next && answer.next.length) {
        var next = document.createElement(answer.medium && answer.medium.url ? "a" : "span");
        next.className = "scan-next";
        if (answer.medium && answer.medium.url) { next.href = answer.medium.url; }
        next.textContent = answer.next.map(function (step) { return step.label; }).join(" / ");
        item.insertBefore(next, item.querySelector(".scan-remove"));
      }
      if (answer.warning) {
        beep(SOUND.warning);
        buzz([200, 100, 200]);
        self.status.textContent = answer.message;
        self.status.className = "camera-status warn";
      }
    }).catch(function () {
      self.mark(text, "unchecked", say("未確認（サーバーに接続できません）", "not checked (server unreachable)"));
    });
  };

  // A handheld scanner is a keyboard that types a whole code in a few milliseconds, then Enter:
  // a line typed that fast was scanned from a label (wedge), anything slower was typed by hand.
  Scanner.prototype.watchTyping = function () {
    var self = this, started = 0, keys = 0;
    this.codes.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        var lines = self.typedLines(), last = lines[lines.length - 1];
        var fast = keys >= 8 && (performance.now() - started) / keys < 30;
        if (last && fast) { self.sources[last] = "wedge"; }
        keys = 0;
        return;
      }
      if (event.key.length === 1) {
        if (!keys) { started = performance.now(); }
        keys += 1;
      }
    });
    this.codes.addEventListener("paste", function () { keys = 0; });
  };

  Scanner.prototype.sourceOf = function (code) {
    return this.sources[code] || "typed";
  };

  // ---- recording ----------------------------------------------------------------------------

  Scanner.prototype.submit = function (event) {
    var photos = this.form.querySelector("input[type=file][name=photos]");
    var codes = this.lines(), self = this;
    var sources = this.form.querySelector("input[name=sources]");
    if (sources) {
      var shown = {};
      codes.forEach(function (code) { shown[code] = self.sourceOf(code); });
      sources.value = JSON.stringify(shown);
    }
    if ((photos && photos.files.length) || !codes.length || !window.indexedDB) {
      this.codes.value = codes.join("\n");  // the form posts itself: the camera's codes go with it
      return;
    }
    event.preventDefault();
    var confirmed = this.form.querySelector("input[name=confirm_typed]");
    var entries = codes.map(function (code) {
      return { key: newKey(), code: code, action: self.action, context: self.context, source: self.sourceOf(code),
               confirmed: confirmed && confirmed.checked ? "1" : "0", page: window.location.pathname, at: new Date().toISOString() };
    });
    queue.add(entries).then(function () {
      self.codes.value = "";
      self.cameraCodes = [];
      self.sources = {};
      if (self.list) { self.list.textContent = ""; }
      self.showCount();
      self.sentSomething = false;
      return self.drain();
    }).catch(function () {
      self.form.submit();  // no IndexedDB after all (private mode): post the list as a form
    });
  };

  // Send what waits, oldest first, one at a time; stop at the first code that cannot be sent.
  Scanner.prototype.drain = function () {
    var self = this;
    if (this.draining) { return this.draining; }
    this.draining = queue.all().then(function (entries) {
      self.showWaiting(entries.length, null);
      function sendNext(index) {
        if (index >= entries.length) {
          if (self.sentSomething) { window.location.reload(); }  // the answers are on the page
          return null;
        }
        var entry = entries[index];
        var body = new URLSearchParams({ csrf_token: self.csrf, key: entry.key, code: entry.code, action: entry.action,
                                         context: entry.context, source: entry.source, confirmed: entry.confirmed });
        return fetch(self.urls.record, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" })
          .then(function (response) {
            if (response.type === "opaqueredirect" || response.status === 401 || response.status === 302) {
              throw { expired: true };
            }
            if (!response.ok && response.status !== 400) { throw { unreachable: true }; }
            return response.json();
          }).then(function (answer) {
            if (answer.error && !answer.status) { throw { expired: true }; }  // the form's token is stale: log in again
            self.sentSomething = true;
            return queue.remove(entry.seq);
          }).then(function () {
            self.showWaiting(entries.length - index - 1, null);
            return sendNext(index + 1);
          });
      }
      return sendNext(0);
    }).catch(function (problem) {
      return queue.all().then(function (left) {
        self.showWaiting(left.length, problem && problem.expired ? "expired" : "unreachable");
      });
    }).then(function () { self.draining = null; }, function () { self.draining = null; });
    return this.draining;
  };

  Scanner.prototype.showWaiting = function (count, why) {
    var note = this.waitingNote;
    if (!note) { return; }
    this.form.dataset.waiting = String(count);
    if (!count) { note.hidden = true; note.textContent = ""; return; }
    note.hidden = false;
    note.textContent = "";
    var text = say(count + " 件が送信待ちです（この端末に保存済み）", count + " scans waiting to be sent (kept on this device)");
    if (why === "unreachable") {
      text += say("。サーバーに接続できません。つながり次第、順に送信します", ". The server cannot be reached: they are sent in order as soon as it can");
    }
    note.appendChild(document.createTextNode(text));
    if (why === "expired") {
      note.appendChild(document.createTextNode(say("。ログインの有効期限が切れました: ", ". Your session expired: ")));
      var link = document.createElement("a");
      link.href = "/login?next=" + encodeURIComponent(window.location.pathname);
      link.textContent = say("ログインし直す（送信待ちは消えません）", "log in again (nothing waiting is lost)");
      note.appendChild(link);
    }
  };

  document.querySelectorAll("form[data-scan]").forEach(function (form) { new Scanner(form); });
})();
