// A live case on the trainer's big screen and on the riders' phones. Every
// event of the stream is the whole state (its id the case's version), so a
// phone that lost its connection draws the current step from the first event
// it gets back. Without EventSource, or before the case starts, the page polls
// the JSON state instead. A static file: the CSP allows no inline script.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var role = root.getAttribute("data-role");
  var labels = JSON.parse(root.getAttribute("data-labels") || "{}");
  var stateUrl = root.getAttribute("data-state-url");
  var eventsUrl = root.getAttribute("data-events-url");
  var state = JSON.parse(root.getAttribute("data-state") || "{}");
  var mine = state.mine || {};
  var source = null;
  var pollTimer = null;
  var POLL_MS = 2000;

  function byId(id) { return document.getElementById(id); }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function status(text) {
    var node = byId("live-status");
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
  }

  function stepLabel(s) {
    if (!s.version) return "";
    return s.lesson + " · " + (labels.step || "")
      .replace("%(n)d", String(s.step + 1)).replace("%(total)d", String(s.steps));
  }

  function drawBody(s) {
    byId("live-progress").textContent = stepLabel(s);
    byId("live-heading").textContent = s.heading || "";
    var body = byId("live-body");
    // The lesson's HTML was sanitised when the content was imported.
    body.innerHTML = s.html || "";
    if (s.text) body.appendChild(element("p", "prompt", s.text));
    if (s.explanation) body.appendChild(element("p", "consequence", s.explanation));
  }

  function drawOptions(s, answered) {
    var list = byId("live-options");
    list.textContent = "";
    var total = Math.max(s.answers || 0, 1);
    (s.options || []).forEach(function (option) {
      var item = element("li", "live-option" + (option.best ? " best" : "") +
        (answered && answered.indexOf(option.id) >= 0 ? " mine" : ""));
      item.setAttribute("data-option", option.id);
      item.appendChild(element("span", "live-option-text", option.text + (option.best ? " ✓" : "")));
      if (option.count !== undefined) {
        if (role === "screen") {
          var bar = element("progress", "", String(option.count));
          bar.max = total;
          bar.value = option.count;
          bar.setAttribute("aria-label", option.text);
          item.appendChild(bar);
        }
        item.appendChild(element("span", "live-count", String(option.count)));
      }
      if (option.note) item.appendChild(element("span", "live-note", option.note));
      list.appendChild(item);
    });
    return list;
  }

  function drawScreen(s) {
    drawOptions(s, null);
    byId("live-answers").textContent = (s.options || []).length ?
      (labels.answers || "") + String(s.answers || 0) : "";
    var ats = document.querySelectorAll("[data-live-at]");
    for (var i = 0; i < ats.length; i++) ats[i].value = String(s.step);
    var reveal = document.querySelector("[data-live-action=reveal]");
    if (reveal) reveal.disabled = !s.answerable;
    var next = document.querySelector("[data-live-action=next]");
    if (next) next.disabled = s.step + 1 >= s.steps;
  }

  function drawPhone(s) {
    var answered = mine[String(s.step)];
    var form = byId("live-form");
    var list = drawOptions(s, answered);
    var open = s.answerable && !answered;
    form.hidden = !open;
    list.hidden = open;
    if (open && form.getAttribute("data-step") !== String(s.step)) {
      form.setAttribute("data-step", String(s.step));
      form.elements.step.value = String(s.step);
      var choices = byId("live-choices");
      choices.textContent = "";
      (s.options || []).forEach(function (option) {
        var label = element("label", "choice");
        var input = document.createElement("input");
        input.type = s.multiple ? "checkbox" : "radio";
        input.name = "option";
        input.value = option.id;
        label.appendChild(input);
        label.appendChild(document.createTextNode(" "));
        label.appendChild(element("span", "", option.text));
        choices.appendChild(label);
      });
    }
    var note = "";
    if (s.state === "closed") note = labels.ended;
    else if (answered) note = labels.answered;
    byId("live-answers").textContent = note || "";
  }

  function update(s) {
    if (!s || typeof s.version !== "number") return;
    if (s.mine) mine = s.mine;
    // Events can cross (two processes publish at once): never go back.
    if (s.version < (state.version || 0)) {
      if (s.mine && role === "phone") drawPhone(state);
      return;
    }
    state = s;
    root.setAttribute("data-version", String(s.version));
    drawBody(s);
    if (role === "screen") drawScreen(s); else drawPhone(s);
    if (s.state === "closed") stop();
  }

  function stop() {
    if (source) { source.close(); source = null; }
    if (pollTimer) { window.clearTimeout(pollTimer); pollTimer = null; }
  }

  function poll() {
    if (pollTimer) window.clearTimeout(pollTimer);
    pollTimer = window.setTimeout(fetchState, POLL_MS);
  }

  function fetchState() {
    pollTimer = null;
    return window.fetch(stateUrl, {
      credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store"
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (s) {
      status("");
      update(s);
      if (s.state !== "closed") connect();
    }).catch(function () {
      status(labels.offline);
      poll();
    });
  }

  function connect() {
    if (source || state.state === "closed") return;
    if (!window.EventSource || !state.version) { poll(); return; }
    source = new window.EventSource(eventsUrl);
    source.onopen = function () { status(""); };
    source.onmessage = function (event) {
      try { update(JSON.parse(event.data)); } catch (error) { /* a cut-off event: the next one is whole */ }
    };
    source.onerror = function () {
      status(labels.offline);
      if (source && source.readyState === window.EventSource.CLOSED) {
        // Refused (not a network error): ask for the state instead.
        source = null;
        poll();
      }
    };
  }

  function reconnect() {
    if (source) { source.close(); source = null; }
    fetchState();
  }

  var form = byId("live-form");
  if (form && window.fetch && window.FormData) {
    form.setAttribute("data-step", String(state.step));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new window.FormData(form);
      if (!data.getAll("option").length) return;
      window.fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (result.ok) { status(""); update(result.body.state); return; }
        status(result.body.error || labels.not_sent);
        fetchState();
      }).catch(function () { status(labels.not_sent); });
    });
  }

  window.addEventListener("online", reconnect);
  window.addEventListener("offline", function () { status(labels.offline); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && state.state !== "closed") reconnect();
  });
  if (role === "phone" && state.state !== "closed") drawPhone(state);
  connect();
})();
