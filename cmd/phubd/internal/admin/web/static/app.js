// phubd dashboard: live updates over Server-Sent Events (/ui/stream).
// Pages with a [data-live] region re-fetch it (?fragment=1) when events
// arrive; the events page prepends each event. No framework, no external
// request.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var live = document.querySelector("[data-live]");
  var list = document.querySelector("[data-append]");
  if (!status) { return; } // the login page
  var pending = null;

  function setStatus(on) {
    status.textContent = on ? "live" : "reconnecting";
    status.className = "badge " + (on ? "on" : "off");
  }

  function refresh() {
    pending = null;
    var u = new URL(window.location.href);
    u.searchParams.set("fragment", "1");
    fetch(u.toString(), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.redirected || !r.ok) { throw new Error("refresh " + r.status); }
        return r.text();
      })
      .then(function (html) { live.innerHTML = html; })
      .catch(function () { setStatus(false); });
  }

  // Coalesce bursts (a start of many children is many events) into one
  // refresh at most every second: a refresh of the children page asks
  // every node for its children.
  function schedule() {
    if (live && pending === null) { pending = setTimeout(refresh, 1000); }
  }

  function prepend(ev) {
    var li = document.createElement("li");
    li.className = "new";
    li.setAttribute("data-seq", ev.seq);
    var t = document.createElement("time");
    t.textContent = new Date(ev.time).toLocaleTimeString([], { hour12: false });
    var k = document.createElement("span");
    k.className = "kind";
    k.textContent = ev.kind;
    li.appendChild(t);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(k);
    li.appendChild(document.createTextNode(" " + ev.summary));
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 500) { list.removeChild(list.lastChild); }
  }

  var es = new EventSource("/ui/stream");
  es.onopen = function () { setStatus(true); schedule(); };
  es.onerror = function () { setStatus(false); };
  es.addEventListener("hook", function (m) {
    var ev = JSON.parse(m.data);
    if (list) { prepend(ev); }
    schedule();
  });
  es.addEventListener("lost", function () { schedule(); });
})();
