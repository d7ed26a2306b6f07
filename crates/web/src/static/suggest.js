// Miernik: fills the home page's search box suggestions (#podpowiedzi) from /sugestie as
// the reader types. Progressive enhancement: the search form works without it. Served as
// /static/suggest.js (the Content-Security-Policy allows no inline script).
(function () {
  var input = document.getElementById('q');
  var list = document.getElementById('podpowiedzi');
  var timer;
  if (!input || !list || !window.fetch) return;
  var lang = document.documentElement.lang === 'en' ? '&lang=en' : '';
  input.addEventListener('input', function () {
    clearTimeout(timer);
    var v = input.value.trim();
    if (v.length < 2) return;
    timer = setTimeout(function () {
      fetch('/sugestie?q=' + encodeURIComponent(v) + lang)
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (units) {
          list.textContent = '';
          units.forEach(function (u) {
            var o = document.createElement('option');
            o.value = u.code;
            o.label = u.name + ' — ' + u.place;
            list.appendChild(o);
          });
        })
        .catch(function () {});
    }, 150);
  });
})();
