/* Lesson player: saves every step and answer through a queue kept on the phone
   (IndexedDB, see queue.js), so nothing is lost offline or on a dropped
   connection. Pages work without it. */
(function () {
  "use strict";
  var root = document.getElementById("lms-player");
  if (!root || !window.fetch || !window.indexedDB || !window.lmsQueue) return;
  var d = root.dataset;
  var queue = window.lmsQueue;
  var status = document.getElementById("sync-status");
  var worker = "serviceWorker" in navigator && d.sw ? navigator.serviceWorker : null;
  var busy = null;
  var retry = null;
  // The check step answered offline: reload it once saved, to show the explanations.
  var reloadWhenSaved = null;

  function say(text) {
    if (!status) return;
    if (status.textContent !== text) status.textContent = text;
    status.hidden = !text;
  }
  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function enqueue(event) {
    event.key = newKey();
    event.at = Date.now();
    event.profile = d.profile;
    return queue.add(event).then(function () {
      // Background Sync sends the queue even if this page is closed first.
      if (worker) {
        worker.ready.then(function (registration) {
          if (registration.sync) return registration.sync.register("lms-sync");
          return null;
        }).catch(function () {});
      }
      return event;
    });
  }
  function later() {
    clearTimeout(retry);
    retry = setTimeout(flush, 20000);
  }
  function saved() {
    // Confirm only what was pending or offline: a page that opens with an empty
    // queue says nothing, so the status line never pushes the page down on load.
    if (status && !status.hidden) say(d.msgSaved);
    if (reloadWhenSaved) {
      var url = reloadWhenSaved;
      reloadWhenSaved = null;
      location.replace(url);
    }
  }

  // Send the queue in order; an event stays queued until the server has answered for it.
  function flush() {
    if (busy) return busy;
    busy = queue.waiting(d.profile).then(function (events) {
      if (!events.length) return true;
      if (!navigator.onLine) { say(d.msgOffline); return false; }
      say(d.msgSaving);
      return queue.send(d.sync, d.profile).then(function (outcome) {
        if (outcome === "login") { say(d.msgLogin); return false; }
        if (outcome === "other") { say(d.msgOther); return false; }
        return "again";  // events given meanwhile go next
      });
    }).catch(function () {
      say(navigator.onLine ? d.msgRetry : d.msgOffline);
      later();
      return false;
    }).then(function (result) {
      busy = null;
      if (result === "again") return flush();
      if (result) saved();
      return result;
    });
    return busy;
  }

  // The queue of an older player.js, kept in localStorage: move it over once.
  function adoptOldQueue() {
    var name = "lms-queue-" + d.profile;
    var old = [];
    try { old = JSON.parse(window.localStorage.getItem(name)) || []; } catch (e) { return Promise.resolve(); }
    return old.reduce(function (previous, event) {
      event.profile = d.profile;
      return previous.then(function () { return queue.add(event); });
    }, Promise.resolve()).then(function () {
      try { window.localStorage.removeItem(name); } catch (e) { /* nothing left to move */ }
    });
  }

  // The check form's fields as the server reads a plain post (every type:
  // choices, ordering selects, scenario parts), so both paths parse alike.
  function fieldsOf(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.name.indexOf("q-") !== 0) return;
      if ((field.type === "checkbox" || field.type === "radio") && !field.checked) return;
      (fields[field.name] = fields[field.name] || []).push(field.value);
    });
    return fields;
  }

  // Reveal a result and move focus to it, so a screen reader reads it next.
  function show(element) {
    if (!element) return;
    element.hidden = false;
    var targets = element.querySelectorAll("[tabindex]");
    for (var i = 0; i < targets.length; i++) {
      if (!targets[i].closest("[hidden]")) { targets[i].focus(); return; }
    }
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (/\/logout$/.test(form.getAttribute("action") || "")) {
      // A shared phone: the next person must not open this learner's saved pages.
      if (window.caches) caches.delete("lms-pages");
      return;
    }
    if (!form.hasAttribute("data-sync-form")) return;
    ev.preventDefault();
    var event = { course: d.course, lesson: d.lesson, step: form.dataset.step, kind: form.dataset.kind };
    var queued;
    if (event.kind === "decision") {
      event.choice = ev.submitter ? ev.submitter.value : "";
      queued = enqueue(event).then(function () {
        form.hidden = true;
        var chosen = document.querySelector('[data-consequence="' + event.choice + '"]');
        if (chosen) chosen.hidden = false;
        show(document.getElementById("decision-result"));
        flush();
      });
    } else if (event.kind === "answer") {
      event.fields = fieldsOf(form);
      queued = enqueue(event).then(flush).then(function (sent) {
        if (sent) { location.replace(form.dataset.next); return; }
        reloadWhenSaved = form.dataset.next;
        form.hidden = true;
        show(document.getElementById("check-offline"));
      });
    } else {
      queued = enqueue(event).then(flush).then(function () { location.assign(form.dataset.next); });
    }
    // The phone could not keep it (storage full or refused): post the plain form.
    queued.catch(function () { form.submit(); });
  });

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { say(d.msgOffline); });

  var started = adoptOldQueue();
  if (d.step) {
    started = started.then(function () {
      return enqueue({ course: d.course, lesson: d.lesson, step: d.step, kind: "view" });
    });
  }
  started.then(flush, flush);

  if (worker) {
    worker.register(d.sw, { scope: d.scope }).catch(function () {});
    // The service worker sent the queue (Background Sync): show it here.
    worker.addEventListener("message", function (message) {
      if (message.data && message.data.synced) flush();
    });
    var urls = JSON.parse(d.cache || "[]");
    if (urls.length) {
      worker.ready.then(function (registration) {
        if (registration.active) registration.active.postMessage({ cache: urls });
      });
    }
  }
})();

/* Listen instead of read: the phone's own speech synthesis reads the step
   aloud. Shown only where the browser has a Chinese or English voice for the
   page's language; it starts only when tapped. */
(function () {
  "use strict";
  var button = document.getElementById("listen");
  var speech = window.speechSynthesis;
  if (!button || !speech || !window.SpeechSynthesisUtterance) return;
  var lang = button.getAttribute("data-lang") || "en";
  var want = lang.toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  var voice = null;

  function pick() {
    var voices = speech.getVoices() || [];
    var tag = function (v) { return (v.lang || "").replace("_", "-").toLowerCase(); };
    voice = voices.filter(function (v) { return tag(v) === lang.toLowerCase(); })[0] ||
      voices.filter(function (v) { return tag(v).indexOf(want) === 0; })[0] || null;
    button.hidden = !voice;
  }
  // What the learner sees of the step, in page order (not the buttons' words).
  function stepText() {
    var parts = document.querySelectorAll(
      "#step-title, .step .prose, .step .prompt, .step .chosen, .step .consequence, " +
      ".step legend, .step label, .step .answered");
    return Array.prototype.filter.call(parts, function (el) {
      return el.offsetParent !== null;
    }).map(function (el) { return el.innerText.trim(); }).join("\n");
  }
  function stopped() { button.setAttribute("aria-pressed", "false"); }

  button.addEventListener("click", function () {
    if (button.getAttribute("aria-pressed") === "true") { speech.cancel(); stopped(); return; }
    var utterance = new SpeechSynthesisUtterance(stepText());
    utterance.lang = voice ? voice.lang : lang;
    if (voice) utterance.voice = voice;
    utterance.onend = stopped;
    utterance.onerror = stopped;
    speech.cancel();
    button.setAttribute("aria-pressed", "true");
    speech.speak(utterance);
  });
  window.addEventListener("pagehide", function () { speech.cancel(); });
  pick();
  if (speech.addEventListener) speech.addEventListener("voiceschanged", pick);
})();
