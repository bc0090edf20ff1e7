/* Check-in desk: scan badges with the camera (the vendored jsQR decodes), check in without reloading the
 * page so the camera keeps running, and keep the "N of M checked in" count fresh.
 * Without JavaScript the desk still works: the forms post and the page reloads. */
(function () {
  "use strict";

  var desk = document.querySelector("[data-checkin-desk]");
  if (!desk) {
    return;
  }
  var entryForm = document.getElementById("checkin-entry-form");
  var entryInput = document.getElementById("checkin-entry");
  // Parts of the page a check-in changes; each is replaced by its fresh copy from the server's answer.
  var SWAPPED = ["checkin-result", "checkin-count", "checkin-search-results"];
  var POLL_MS = 10000;
  var SCAN_EVERY_MS = 150;
  var SAME_CODE_QUIET_MS = 4000;
  var busy = false;
  // Replaced by the camera scanner below when the page has one.
  var cameraIsOn = function () {
    return false;
  };
  var showOnCamera = function () {};

  function swapFrom(doc) {
    var found = false;
    SWAPPED.forEach(function (id) {
      var current = document.getElementById(id);
      var fresh = doc.getElementById(id);
      if (current && fresh) {
        current.replaceChildren.apply(
          current,
          Array.prototype.map.call(fresh.childNodes, function (node) {
            return document.importNode(node, true);
          })
        );
        found = found || id === "checkin-result";
      }
    });
    return found;
  }

  function dropTokenFromAddress() {
    var url = new URL(window.location.href);
    if (url.searchParams.has("t")) {
      url.searchParams.delete("t");
      window.history.replaceState(null, "", url.pathname + url.search);
    }
  }

  // Post a check-in form with fetch and show the answer in place; on any surprise (an expired login,
  // a CSRF failure) fall back to an ordinary submit so the volunteer sees what the server says.
  function submitInPlace(form) {
    busy = true;
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error("unexpected answer " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (!swapFrom(new DOMParser().parseFromString(html, "text/html"))) {
          throw new Error("no result in the answer");
        }
        dropTokenFromAddress();
        entryInput.value = "";
        afterCheckIn(form);
      })
      .catch(function () {
        HTMLFormElement.prototype.submit.call(form);
      })
      .finally(function () {
        busy = false;
      });
  }

  // The server takes a check-in back only for a short while after it: drop the Undo button when that is over.
  function expireUndo() {
    var undo = document.querySelector("#checkin-result [data-undo-seconds]");
    if (undo) {
      window.setTimeout(function () {
        undo.remove();
      }, Number(undo.getAttribute("data-undo-seconds")) * 1000);
    }
  }
  expireUndo();

  // Keep the volunteer's eyes where they are: on the camera picture, in the code box, or on the result.
  function afterCheckIn(form) {
    expireUndo();
    var panel = document.querySelector("#checkin-result .checkin-result");
    if (cameraIsOn()) {
      showOnCamera(panel);
    } else if (form === entryForm) {
      entryInput.focus();
    } else if (panel) {
      panel.setAttribute("tabindex", "-1");
      panel.focus();
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-checkin-form")) {
      return;
    }
    event.preventDefault();
    if (!busy) {
      submitInPlace(form);
    }
  });

  // The live count.
  var checkedIn = desk.querySelector("[data-checked-in]");
  var statsUrl = desk.getAttribute("data-stats-url");

  function refreshCount() {
    if (document.hidden || !statsUrl) {
      return;
    }
    fetch(statsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (stats) {
        if (stats && typeof stats.checked_in === "number" && typeof stats.expected === "number") {
          desk.querySelector("[data-checked-in]").textContent = String(stats.checked_in);
          desk.querySelector("[data-expected]").textContent = String(stats.expected);
        }
      })
      .catch(function () {
        /* Offline for a moment: the next poll tries again. */
      });
  }
  if (checkedIn && statsUrl) {
    window.setInterval(refreshCount, POLL_MS);
    document.addEventListener("visibilitychange", refreshCount);
  }

  // The camera scanner.
  var camera = desk.querySelector("[data-camera]");
  if (!camera) {
    return;
  }
  var video = camera.querySelector("[data-camera-video]");
  var idle = camera.querySelector("[data-camera-idle]");
  var startButton = camera.querySelector("[data-camera-start]");
  var stopButton = camera.querySelector("[data-camera-stop]");
  var statusLine = camera.querySelector("[data-camera-status]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var overlay = camera.querySelector("[data-camera-result]");
  var overlayTimer = null;
  var stream = null;
  var lastScanAt = 0;
  var lastCode = { text: "", seenAt: 0 };

  camera.hidden = false;

  cameraIsOn = function () {
    return stream !== null;
  };

  // A phone scanning with its camera cannot see the result panel above the picture: repeat it on top.
  showOnCamera = function (panel) {
    if (!panel) {
      return;
    }
    var level = (panel.className.match(/checkin-result--(\w+)/) || [])[1] || "info";
    var headline = panel.querySelector(".checkin-result__headline");
    var name = panel.querySelector(".checkin-result__name");
    overlay.textContent = (headline ? headline.textContent.trim() : "") + (name ? " · " + name.textContent.trim() : "");
    overlay.className = "checkin-camera__result checkin-camera__result--" + level;
    overlay.hidden = false;
    window.clearTimeout(overlayTimer);
    overlayTimer = window.setTimeout(function () {
      overlay.hidden = true;
    }, 6000);
  };

  function say(text) {
    statusLine.textContent = text;
  }

  function explain(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "The camera was not allowed. Allow it in the browser's site settings, or type the code.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "No camera was found on this device. Type the code, or use a handheld scanner.";
    }
    if (name === "NotReadableError") {
      return "The camera is busy in another app. Close that app and press Start camera again.";
    }
    return "The camera could not start. Type the code instead.";
  }

  function stop() {
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
    }
    stream = null;
    video.srcObject = null;
    camera.classList.remove("is-on");
    overlay.hidden = true;
    idle.hidden = false;
    startButton.hidden = false;
    startButton.disabled = false;
    stopButton.hidden = true;
  }

  function start() {
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("This page is not on HTTPS, so the browser keeps the camera off. Open the HTTPS address, or type the code.");
      return;
    }
    if (typeof window.jsQR !== "function") {
      say("The QR decoder did not load. Reload the page, or type the code.");
      return;
    }
    startButton.disabled = true;
    say("Starting the camera…");
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        return video.play();
      })
      .then(function () {
        camera.classList.add("is-on");
        idle.hidden = true;
        startButton.hidden = true;
        stopButton.hidden = false;
        say("Camera on: hold a badge's QR code in view.");
        window.requestAnimationFrame(scan);
      })
      .catch(function (error) {
        stop();
        say(explain(error));
      });
  }

  function scan(now) {
    if (!stream) {
      return;
    }
    window.requestAnimationFrame(scan);
    if (busy || now - lastScanAt < SCAN_EVERY_MS || video.readyState < video.HAVE_CURRENT_DATA) {
      return;
    }
    lastScanAt = now;
    var width = video.videoWidth;
    var height = video.videoHeight;
    if (!width || !height) {
      return;
    }
    // A badge fills enough of the frame to decode at 640 px, and phones keep up at that size.
    var scale = Math.min(1, 640 / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    if (code && code.data) {
      decoded(code.data.trim(), Date.now());
    }
  }

  // A badge held in view decodes many times a second: submit it once, and again only after it has
  // been out of view for a few seconds.
  function decoded(text, at) {
    var repeat = text === lastCode.text && at - lastCode.seenAt < SAME_CODE_QUIET_MS;
    lastCode = { text: text, seenAt: at };
    if (repeat || !text) {
      return;
    }
    entryInput.value = text;
    if (typeof entryForm.requestSubmit === "function") {
      entryForm.requestSubmit();
    } else {
      submitInPlace(entryForm);
    }
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", function () {
    stop();
    say("Camera off.");
  });
  window.addEventListener("pagehide", stop);
})();
