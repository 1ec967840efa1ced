/* Service worker: keeps the app shell and the lessons a learner opened (or will
   open next) on the phone, so they open with no network. Answers are queued by
   player.js, not here. Served from the LMS root so its scope covers every page. */
"use strict";
var VERSION = "__VERSION__";
var SHELL = "lms-shell-" + VERSION;
var PAGES = "lms-pages";
var scope = self.registration.scope;
var OFFLINE = scope + "offline";

function own(url) {
  return url.indexOf(scope) === 0 && url.indexOf(scope + "api/") !== 0;
}
// Only the learning pages are kept: home, a course, a lesson step.
var LEARNING = /^(courses\/[^\/?#]+(\/lessons\/[^\/?#]+)?)?(\?[^#]*)?$/;
function learning(url) {
  return url.indexOf(scope) === 0 && LEARNING.test(url.slice(scope.length));
}
function keep(response) {
  // Never keep a redirect, an error, or a page that says "do not keep me"
  // (the "I have stopped" screen, login): offline it would replace the lesson.
  return response.ok && response.type === "basic" && !response.redirected &&
    response.headers.get("X-LMS-Cache") !== "no" &&
    (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll([scope + "lms-static/lms/style.css", scope + "lms-static/lms/player.js", OFFLINE]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("lms-shell-") === 0 && name !== SHELL;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromNetwork(request) {
  return fetch(request).then(function (response) {
    if (keep(response) && learning(request.url)) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(request.url, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request.url, { cacheName: PAGES }).then(function (hit) {
      return hit || caches.match(OFFLINE);
    });
  });
}

function fromShell(request) {
  return caches.match(request, { cacheName: SHELL }).then(function (hit) {
    var fresh = fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(SHELL).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () { return hit || Response.error(); });
    return hit || fresh;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || !own(request.url)) return;
  if (request.url.indexOf(scope + "lms-static/") === 0) {
    event.respondWith(fromShell(request));
  } else if (request.mode === "navigate") {
    event.respondWith(fromNetwork(request));
  }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.clear) event.waitUntil(caches.delete(PAGES));
  if (!Array.isArray(data.cache)) return;
  event.waitUntil(caches.open(PAGES).then(function (cache) {
    return Promise.all(data.cache.filter(function (url) {
      return typeof url === "string";
    }).map(function (path) {
      var url = new URL(path, scope).href;
      if (!learning(url)) return null;
      return cache.match(url).then(function (hit) {
        if (hit) return null;
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (keep(response)) return cache.put(url, response);
          return null;
        }).catch(function () { return null; });
      });
    }));
  }));
});
