// Miernik: the indicator page's map (#mapa-w). Writes the focused or hovered area's label
// under the map (#mapa-info), and moves between the map's areas with the arrow keys (the
// map is one Tab stop: a roving tabindex; an arrow goes to the nearest area centre that
// way, favouring the same row or column). The listeners sit on the map's HTML box:
// Chromium makes an <svg> with focus listeners a Tab stop of its own. Served as
// /static/map-info.js (the Content-Security-Policy allows no inline script).
(function () {
  var info = document.getElementById('mapa-info');
  var map = document.getElementById('mapa-w');
  if (!info || !map) return;
  function show(e) {
    var a = e.target.closest && e.target.closest('a');
    if (a && a.getAttribute('aria-label')) info.textContent = a.getAttribute('aria-label');
  }
  var box = map.parentNode;
  box.addEventListener('focusin', show);
  box.addEventListener('mouseover', show);
  var centres = null;
  function areaCentres() {
    if (centres) return centres;
    centres = [];
    map.querySelectorAll('a').forEach(function (a) {
      var b = a.getBBox();
      centres.push({ a: a, x: b.x + b.width / 2, y: b.y + b.height / 2 });
    });
    return centres;
  }
  var dirs = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] };
  box.addEventListener('keydown', function (e) {
    var d = dirs[e.key];
    var a = e.target.closest && e.target.closest('a');
    if (!d || !a) return;
    var all = areaCentres();
    var here = null;
    all.forEach(function (p) { if (p.a === a) here = p; });
    if (!here) return;
    var best = null;
    var bestScore = Infinity;
    all.forEach(function (p) {
      var dx = p.x - here.x;
      var dy = p.y - here.y;
      var along = dx * d[0] + dy * d[1];
      var across = Math.abs(dx * d[1] - dy * d[0]);
      if (along <= 0.5) return;
      var score = along + 2 * across;
      if (score < bestScore) { bestScore = score; best = p; }
    });
    e.preventDefault();
    if (!best) return;
    a.setAttribute('tabindex', '-1');
    best.a.setAttribute('tabindex', '0');
    best.a.focus();
  });
})();
