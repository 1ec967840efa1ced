/* Lesson player: saves every step and answer through a queue kept on the phone,
   so nothing is lost offline or on a dropped connection. Pages work without it. */
(function () {
  "use strict";
  var root = document.getElementById("lms-player");
  if (!root || !window.fetch || !window.localStorage) return;
  var d = root.dataset;
  var QUEUE = "lms-queue-" + d.profile;
  var status = document.getElementById("sync-status");
  var busy = null;
  var retry = null;

  function say(text) {
    if (!status) return;
    if (status.textContent !== text) status.textContent = text;
    status.hidden = !text;
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(QUEUE)) || []; } catch (e) { return []; }
  }
  function store(queue) {
    try { localStorage.setItem(QUEUE, JSON.stringify(queue)); } catch (e) { /* full: keep trying */ }
  }
  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function enqueue(event) {
    event.key = newKey();
    event.at = Date.now();
    var queue = load();
    queue.push(event);
    store(queue);
    return event;
  }
  function later() {
    clearTimeout(retry);
    retry = setTimeout(flush, 20000);
  }

  // Send the queue in order; keep an event until the server has answered for it.
  function flush() {
    if (busy) return busy;
    var queue = load();
    if (!queue.length) { say(d.msgSaved); return Promise.resolve(true); }
    if (!navigator.onLine) { say(d.msgOffline); return Promise.resolve(false); }
    say(d.msgSaving);
    var batch = queue.slice(0, 50);
    busy = fetch(d.sync, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-LMS-Sync": "1" },
      body: JSON.stringify({ events: batch })
    }).then(function (response) {
      if (response.status === 401) { say(d.msgLogin); return false; }
      if (!response.ok) throw new Error("sync " + response.status);
      return response.json().then(function (data) {
        var answered = {};
        data.results.forEach(function (result) { answered[result.key] = result; });
        store(load().filter(function (event) { return !answered[event.key]; }));
        return true;
      });
    }).catch(function () {
      say(navigator.onLine ? d.msgRetry : d.msgOffline);
      later();
      return false;
    }).then(function (sent) {
      busy = null;
      if (!sent) return false;
      if (load().length) return flush();
      say(d.msgSaved);
      return true;
    });
    return busy;
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
    if (event.kind === "decision") {
      event.choice = ev.submitter ? ev.submitter.value : "";
      enqueue(event);
      form.hidden = true;
      var chosen = document.querySelector('[data-consequence="' + event.choice + '"]');
      if (chosen) chosen.hidden = false;
      show(document.getElementById("decision-result"));
      flush();
    } else if (event.kind === "answer") {
      event.fields = fieldsOf(form);
      enqueue(event);
      flush().then(function (sent) {
        if (sent) { location.replace(form.dataset.next); return; }
        form.hidden = true;
        show(document.getElementById("check-offline"));
      });
    } else {
      enqueue(event);
      flush().then(function () { location.assign(form.dataset.next); });
    }
  });

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { say(d.msgOffline); });

  if (d.step) enqueue({ course: d.course, lesson: d.lesson, step: d.step, kind: "view" });
  flush();

  if ("serviceWorker" in navigator && d.sw) {
    navigator.serviceWorker.register(d.sw, { scope: d.scope }).catch(function () {});
    var urls = JSON.parse(d.cache || "[]");
    if (urls.length) {
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) registration.active.postMessage({ cache: urls });
      });
    }
  }
})();
