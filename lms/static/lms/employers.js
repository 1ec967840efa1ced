// The bulk check: show a progress indicator while a large file is read and checked.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("bulk-check");
  if (!form) return;
  form.addEventListener("submit", () => {
    const progress = form.querySelector(".progress");
    if (progress) progress.hidden = false;
  });
});
