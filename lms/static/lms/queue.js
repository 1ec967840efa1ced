/* The answer queue kept on the phone, in IndexedDB, shared by the lesson page
   (player.js) and the service worker (Background Sync): events wait here in
   the order they were given until the server has answered for each. */
(function (scope) {
  "use strict";
  var NAME = "lms";
  var STORE = "queue";
  var opening = null;

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function open() {
    if (!opening) {
      var req = scope.indexedDB.open(NAME, 1);
      req.onupgradeneeded = function () {
        // Numbered in arrival order, so a queue is sent in the order it was given.
        req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      };
      opening = request(req);
      opening.catch(function () { opening = null; });
    }
    return opening;
  }
  function store(mode) {
    return open().then(function (db) { return db.transaction(STORE, mode).objectStore(STORE); });
  }

  function add(event) {
    return store("readwrite").then(function (events) { return request(events.add(event)); });
  }
  // The events of one learner (a shared phone keeps each one's apart).
  function waiting(profile) {
    return store("readonly").then(function (events) { return request(events.getAll()); })
      .then(function (all) {
        return all.filter(function (event) { return profile == null || event.profile === profile; });
      });
  }
  function remove(ids) {
    if (!ids.length) return Promise.resolve();
    return store("readwrite").then(function (events) {
      return Promise.all(ids.map(function (id) { return request(events.delete(id)); }));
    });
  }

  // Send one learner's events in order, 50 at a time. Resolves to "saved",
  // "empty", "login" (401) or "other" (the session is another learner's);
  // rejects when the network or the server failed (try again later).
  function send(url, profile) {
    return waiting(profile).then(function (events) {
      if (!events.length) return "empty";
      var batch = events.slice(0, 50);
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-LMS-Sync": "1" },
        body: JSON.stringify({ profile: profile, events: batch })
      }).then(function (response) {
        if (response.status === 401) return "login";
        if (response.status === 409) return "other";
        if (!response.ok) throw new Error("sync " + response.status);
        return response.json().then(function (data) {
          var answered = {};
          data.results.forEach(function (result) { answered[result.key] = true; });
          var done = batch.filter(function (event) { return answered[event.key]; });
          return remove(done.map(function (event) { return event.id; })).then(function () {
            // Nothing answered for: the server is not itself; try again later.
            if (!done.length) throw new Error("sync answered none");
            return events.length > batch.length ? send(url, profile) : "saved";
          });
        });
      });
    });
  }

  // Every learner with events waiting (the service worker sends each in turn).
  function profiles() {
    return waiting(null).then(function (all) {
      var seen = [];
      all.forEach(function (event) { if (seen.indexOf(event.profile) < 0) seen.push(event.profile); });
      return seen;
    });
  }

  scope.lmsQueue = { add: add, waiting: waiting, send: send, profiles: profiles };
})(self);
