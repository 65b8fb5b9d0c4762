// Poll a backtest's progress endpoint and move the bar; reload when done.
(function () {
  var bar = document.getElementById("backtest-bar");
  if (!bar) { return; }
  var url = bar.getAttribute("data-url");
  function poll() {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (data) {
        bar.firstElementChild.style.width = data.progress + "%";
        document.getElementById("backtest-pct").textContent = data.progress + "%";
        if (data.status === "done" || data.status === "failed") { window.location.reload(); }
        else { setTimeout(poll, 1000); }
      }).catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
