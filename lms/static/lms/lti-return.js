// The signed deep linking response goes back to the platform at once; the
// button stays for a browser without scripts.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-lti-return]");
  if (form) {
    form.submit();
  }
});
