// Autosave for the quiz page: the plain form works without this script;
// with it, each question is saved as soon as it changes.
(function () {
  "use strict";
  var form = document.querySelector("form.quiz");
  if (!form || !window.fetch) return;
  var csrf = form.getAttribute("data-csrf");
  // Words, not symbols: the status is read aloud by screen readers.
  var saved = form.getAttribute("data-msg-saved") || "\u2713";
  var failed = form.getAttribute("data-msg-failed") || "!";

  function say(status, text) {
    if (status) status.textContent = text;
  }

  function inputs(box, test) {
    return Array.prototype.filter.call(box.querySelectorAll("input, select"), function (el) {
      return test(el.name);
    });
  }

  // The question's own fields as a plain post sends them; the server decodes
  // them with the question type, so this script knows no type.
  function fieldsOf(box, name) {
    var fields = {};
    inputs(box, function (n) { return n === name || n.indexOf(name + ".") === 0 || n.indexOf(name + "@") === 0; })
      .forEach(function (el) {
        if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
        (fields[el.name] = fields[el.name] || []).push(el.value);
      });
    return fields;
  }

  // Ordered saves: each change takes the question's next sequence number (the
  // server keeps the highest), and a question has one request in flight at a
  // time; changes made meanwhile are sent as one, the latest, after it.
  var states = {};
  function stateOf(box) {
    var name = box.getAttribute("data-name");
    if (!states[name]) {
      states[name] = {seq: parseInt(box.getAttribute("data-seq"), 10) || 0, busy: false, next: null};
    }
    return states[name];
  }

  function send(box, state) {
    var status = box.querySelector(".save-status");
    var body = state.next;
    state.next = null;
    state.busy = true;
    function done() {
      state.busy = false;
      if (state.next) send(box, state);
    }
    fetch(box.getAttribute("data-autosave"), {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.ok) {
        return response.json().then(function (reply) {
          if (reply.stale) {
            // Another tab saved a later number: send this page's answer after it.
            state.seq = Math.max(state.seq, reply.seq || 0);
            if (!state.next) state.next = {fields: fieldsOf(box, box.getAttribute("data-name")), seq: ++state.seq};
          } else if (reply.saved && !state.next) {
            // A half-numbered ordering is not saved yet: wait for the rest.
            say(status, saved);
          }
        });
      }
      // The server says why in the learner's language (e.g. time is up).
      return response.json().then(function (reply) {
        say(status, (reply && reply.error) || failed);
      }, function () { say(status, failed); });
    }).catch(function () {
      say(status, failed);
    }).then(done);
  }

  form.addEventListener("change", function (event) {
    var box = event.target.closest("fieldset.question");
    if (!box) return;
    var state = stateOf(box);
    state.next = {fields: fieldsOf(box, box.getAttribute("data-name")), seq: ++state.seq};
    say(box.querySelector(".save-status"), "");
    if (!state.busy) send(box, state);
  });

  var timer = document.querySelector(".timer[data-deadline]");
  if (timer) {
    var deadline = Date.parse(timer.getAttribute("data-deadline"));
    var tick = function () {
      var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      timer.textContent = seconds ? Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0")
                                  : timer.getAttribute("data-expired");
      if (seconds) window.setTimeout(tick, 1000);
    };
    tick();
  }
})();
