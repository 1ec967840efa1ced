// Autosave for the quiz page: the plain form works without this script;
// with it, each question is saved as soon as it changes, and a phone shows
// one question a screen.
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

  // Autosave does the saving: the Save buttons are for pages without this script.
  Array.prototype.forEach.call(form.querySelectorAll(".save-row button[name=save]"), function (button) {
    button.hidden = true;
  });
  var how = document.getElementById("quiz-how");
  if (how && how.getAttribute("data-autosaved")) how.textContent = how.getAttribute("data-autosaved");

  // One question a screen on a phone; the whole list comes back as the review
  // screen before submitting. Every question stays in the form, so Submit (and
  // a page without this script) still sends every answer.
  var boxes = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));
  var pager = document.getElementById("quiz-pager");
  var where = document.getElementById("quiz-where");
  var overview = document.getElementById("quiz-review");
  var submitRow = form.querySelector(".submit-row");
  var current = 0;

  function answered(box) {
    return Array.prototype.some.call(box.querySelectorAll("input, select"), function (el) {
      if (el.type === "hidden") return false;
      if (el.type === "checkbox" || el.type === "radio") return el.checked;
      return el.value !== "";
    });
  }
  function fillOverview() {
    var list = overview.querySelector("ol");
    list.textContent = "";
    boxes.forEach(function (box, index) {
      var item = document.createElement("li");
      var go = document.createElement("button");
      go.type = "button";
      go.className = "row";
      var prompt = box.querySelector("legend").lastChild;
      go.textContent = (prompt ? prompt.textContent.trim() : "") + " \u2014 " +
        overview.getAttribute(answered(box) ? "data-answered" : "data-unanswered");
      go.addEventListener("click", function () { showQuestion(index); });
      item.appendChild(go);
      list.appendChild(item);
    });
  }
  function showQuestion(index) {
    current = Math.max(0, Math.min(boxes.length - 1, index));
    boxes.forEach(function (box, i) { box.hidden = i !== current; });
    overview.hidden = true;
    submitRow.hidden = true;
    pager.querySelector('[data-go="-1"]').hidden = current === 0;
    pager.querySelector('[data-go="1"]').hidden = current === boxes.length - 1;
    pager.querySelector('[data-go="review"]').hidden = current !== boxes.length - 1;
    where.textContent = where.getAttribute("data-where").replace("{n}", String(current + 1));
    window.scrollTo(0, 0);
    var legend = boxes[current].querySelector("legend");
    legend.setAttribute("tabindex", "-1");
    legend.focus({ preventScroll: true });
  }
  function showOverview() {
    boxes.forEach(function (box) { box.hidden = true; });
    fillOverview();
    overview.hidden = false;
    submitRow.hidden = false;
    pager.querySelector('[data-go="-1"]').hidden = false;
    pager.querySelector('[data-go="1"]').hidden = true;
    pager.querySelector('[data-go="review"]').hidden = true;
    current = boxes.length;
    where.textContent = where.getAttribute("data-review");
    window.scrollTo(0, 0);
    overview.querySelector("h2").focus({ preventScroll: true });
  }
  if (pager && where && overview && submitRow && boxes.length > 1 &&
      window.matchMedia && window.matchMedia("(max-width: 48rem)").matches) {
    form.classList.add("paged");
    pager.hidden = false;
    where.hidden = false;
    pager.addEventListener("click", function (event) {
      var go = event.target.closest("button[data-go]");
      if (!go) return;
      if (go.getAttribute("data-go") === "review") showOverview();
      else showQuestion(current + parseInt(go.getAttribute("data-go"), 10));
    });
    // A link to one question (#q3, after a plain save) opens that question.
    var start = boxes.findIndex(function (box) { return "#" + box.id === location.hash; });
    showQuestion(start < 0 ? 0 : start);
  }

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
