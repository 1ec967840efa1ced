/* Service worker: keeps the app shell and the lessons a learner opened (or will
   open next) on the phone, so they open with no network, and sends the answer
   queue (queue.js) with Background Sync. Served from the LMS root so its scope
   covers every page; the server fills in CONFIG (the exact asset URLs pages
   link, with their ?v= hashes). */
"use strict";
var CONFIG = __CONFIG__;
var SHELL = "lms-shell-" + CONFIG.version;
var PAGES = "lms-pages";
var scope = self.registration.scope;
importScripts(CONFIG.queue);

function own(url) {
  return url.indexOf(scope) === 0 && url.indexOf(scope + "api/") !== 0;
}
// Only the learning pages are kept: home, a course, a lesson step.
var LEARNING = /^(courses\/[^\/?#]+(\/lessons\/[^\/?#]+)?)?(\?[^#]*)?$/;
function learning(url) {
  return url.indexOf(scope) === 0 && LEARNING.test(url.slice(scope.length));
}
function page(response) {
  // Never keep an error, or a page that says "do not keep me" (the "I have
  // stopped" screen, login): offline it would replace the lesson.
  return response.ok && response.type === "basic" &&
    response.headers.get("X-LMS-Cache") !== "no" &&
    (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
}
function keep(response) {
  return page(response) && !response.redirected;
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(CONFIG.precache);
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
      return hit || caches.match(CONFIG.offline, { cacheName: SHELL });
    });
  });
}

// A hashed URL never changes: once kept, it is the right file.
function fromShell(request) {
  return caches.match(request, { cacheName: SHELL }).then(function (hit) {
    return hit || fetch(request);
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

// Keep one learning page. A lesson's own address (no step) leads to the step
// to resume: keep that step and, under the address, a redirect to it.
function keepPage(cache, url) {
  var bare = url.indexOf("?") < 0;
  return cache.match(url).then(function (hit) {
    if (hit && !bare) return null;
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.redirected) return keep(response) ? cache.put(url, response) : null;
      if (!page(response) || !learning(response.url)) return null;
      return Promise.all([
        cache.put(response.url, response),
        cache.put(url, Response.redirect(response.url, 303))
      ]);
    }).catch(function () { return null; });
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.clear) event.waitUntil(caches.delete(PAGES));
  if (!Array.isArray(data.cache)) return;
  event.waitUntil(caches.open(PAGES).then(function (cache) {
    return Promise.all(data.cache.filter(function (url) {
      return typeof url === "string";
    }).map(function (path) {
      var url = new URL(path, scope).href;
      return learning(url) ? keepPage(cache, url) : null;
    }));
  }));
});

// Background Sync: send every learner's queued answers (the server refuses
// those of anyone but the learner signed in), then tell the open pages.
self.addEventListener("sync", function (event) {
  if (event.tag !== "lms-sync") return;
  event.waitUntil(self.lmsQueue.profiles().then(function (profiles) {
    return Promise.all(profiles.map(function (profile) {
      return self.lmsQueue.send(CONFIG.sync, profile);
    }));
  }).then(function () {
    return self.clients.matchAll({ type: "window" });
  }).then(function (clients) {
    clients.forEach(function (client) { client.postMessage({ synced: true }); });
  }));
});
