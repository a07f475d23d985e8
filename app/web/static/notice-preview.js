// The notice form's preview, refreshed as the CDE types: the form is posted to the console's
// preview route, which answers with the preview's HTML (computed by the same functions as the
// real send). Without this script the Preview button does the same with a page load.
(function () {
  "use strict";
  var form = document.getElementById("notice-form");
  if (!form || !window.fetch) { return; }
  var timer = null;
  var latest = 0;
  function refresh() {
    var asked = ++latest;
    var data = new FormData(form);
    data.delete("action");
    fetch(form.getAttribute("data-preview"), {
      method: "POST", body: data, credentials: "same-origin"
    }).then(function (answer) {
      return answer.text();
    }).then(function (html) {
      if (asked !== latest) { return; }  // a newer keystroke's answer will come
      var current = document.getElementById("notice-preview");
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fresh = holder.querySelector("#notice-preview");
      if (current && fresh) { current.replaceWith(fresh); }
    }).catch(function () { /* the Preview button still works */ });
  }
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
})();
