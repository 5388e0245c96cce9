// The result of a single sign-on arrives in the URL fragment (never sent to a server):
// #code=… (to exchange at POST /api/v1/auth/sso/exchange), #linked=1, or #error=<reason>.
"use strict";
(function () {
  var params = new URLSearchParams(window.location.hash.slice(1));
  var show = function (id) { document.getElementById(id).hidden = false; };
  if (params.get("code")) {
    document.getElementById("code").textContent = params.get("code");
    show("signed-in");
  } else if (params.get("linked")) {
    show("linked");
  } else {
    document.getElementById("reason").textContent = (params.get("error") || "unknown").replace(/_/g, " ");
    show("failed");
  }
})();
