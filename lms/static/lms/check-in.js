// The trainer's check-in screen: reload the QR image every slot, so the code it
// shows is always the current one (a static file: the CSP allows no inline script).
(function () {
  "use strict";
  var image = document.getElementById("check-in-qr");
  if (!image) return;
  var seconds = parseInt(image.getAttribute("data-refresh-seconds"), 10) || 30;
  var base = image.getAttribute("src").split("?")[0];
  window.setInterval(function () {
    image.setAttribute("src", base + "?t=" + Date.now());
  }, seconds * 1000);
})();
