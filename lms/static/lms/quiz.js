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

  form.addEventListener("change", function (event) {
    var box = event.target.closest("fieldset.question");
    if (!box) return;
    var status = box.querySelector(".save-status");
    var fields = fieldsOf(box, box.getAttribute("data-name"));
    fetch(box.getAttribute("data-autosave"), {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({fields: fields})
    }).then(function (response) {
      if (response.ok) {
        // A half-numbered ordering is not saved yet: wait for the rest.
        return response.json().then(function (body) { if (body.saved) say(status, saved); });
      }
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
