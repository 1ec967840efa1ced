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

  // Mirrors grading.answer_from_form; null means "nothing to save yet".
  function answerOf(box, type, name) {
    if (type === "scenario") {
      var parts = {};
      box.querySelectorAll("fieldset.part").forEach(function (part) {
        parts[part.getAttribute("data-name").slice(name.length + 1)] =
          answerOf(part, part.getAttribute("data-type"), part.getAttribute("data-name"));
      });
      return parts;
    }
    if (type === "ordering") {
      var els = inputs(box, function (n) { return n.indexOf(name + "@") === 0; });
      var placed = els.filter(function (el) { return el.value; });
      if (!placed.length) return null;
      var numbers = placed.map(function (el) { return el.value; });
      if (placed.length !== els.length || new Set(numbers).size !== numbers.length) return undefined;
      placed.sort(function (a, b) { return Number(a.value) - Number(b.value); });
      return placed.map(function (el) { return el.name.slice(name.length + 1); });
    }
    var picked = inputs(box, function (n) { return n === name; })
      .filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
    if (type === "multiple") return picked.length ? picked : null;
    return picked.length ? picked[0] : null;
  }

  function hasGap(value) {
    if (value === undefined) return true;
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return Object.keys(value).some(function (key) { return hasGap(value[key]); });
    }
    return false;
  }

  form.addEventListener("change", function (event) {
    var box = event.target.closest("fieldset.question");
    if (!box) return;
    var status = box.querySelector(".save-status");
    var answer = answerOf(box, box.getAttribute("data-type"), box.getAttribute("data-name"));
    if (hasGap(answer)) return;  // a half-numbered ordering: wait for the rest
    fetch(box.getAttribute("data-autosave"), {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({answer: answer})
    }).then(function (response) {
      if (response.ok) return say(status, saved);
      // The server says why in the learner's language (e.g. time is up).
      return response.json().then(function (body) {
        say(status, (body && body.error) || failed);
      }, function () { say(status, failed); });
    }).catch(function () {
      say(status, failed);
    });
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
