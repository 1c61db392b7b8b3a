// Vigil operator's page: a small SVG map (Web Mercator), the live alert feed (Server-Sent
// Events on /events), trends and health. No dependencies; no inline script (strict CSP).
'use strict';
(function () {
  const SVGNS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];
  const FEED_MAX = 300;
  const state = { cfg: null, cells: [], cellWindow: '', hotspots: [], incidents: [], alerts: new Map(), order: [],
    view: null, selected: null, cited: [], prevHealth: null, names: null, lastTrendKey: '' };

  function el(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function h(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function getJSON(url) {
    return fetch(url, { cache: 'no-store' }).then((r) => r.ok ? r.json() : Promise.resolve(null));
  }
  function viridis(t) {
    t = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
    const i = Math.min(VIRIDIS.length - 2, Math.floor(t)), f = t - i;
    const a = parseInt(VIRIDIS[i].slice(1), 16), b = parseInt(VIRIDIS[i + 1].slice(1), 16);
    const mix = (s) => Math.round(((a >> s) & 255) * (1 - f) + ((b >> s) & 255) * f);
    return 'rgb(' + mix(16) + ',' + mix(8) + ',' + mix(0) + ')';
  }

  // ---- Projection (Web Mercator, 256 px tiles) ----
  function world(lat, lon, z) {
    const s = 256 * Math.pow(2, z), r = Math.PI / 180;
    const y = (1 - Math.log(Math.tan(lat * r) + 1 / Math.cos(lat * r)) / Math.PI) / 2;
    return [(lon + 180) / 360 * s, y * s];
  }
  function unworld(x, y, z) {
    const s = 256 * Math.pow(2, z);
    const lon = x / s * 360 - 180;
    const lat = Math.atan(Math.sinh(Math.PI * (1 - 2 * y / s))) * 180 / Math.PI;
    return [lat, lon];
  }
  function size() { const r = $('map').getBoundingClientRect(); return [Math.max(1, r.width), Math.max(1, r.height)]; }
  function toScreen(lat, lon) {
    const v = state.view, [w, hh] = size();
    const p = world(lat, lon, v.zoom), c = world(v.lat, v.lon, v.zoom);
    return [p[0] - c[0] + w / 2, p[1] - c[1] + hh / 2];
  }
  function toGeo(x, y) {
    const v = state.view, [w, hh] = size(), c = world(v.lat, v.lon, v.zoom);
    return unworld(c[0] + x - w / 2, c[1] + y - hh / 2, v.zoom);
  }
  function fitView() {
    const b = state.cfg.bounds, [w, hh] = size();
    const a = world(b[2], b[1], 0), c = world(b[0], b[3], 0);
    const zoom = Math.log2(Math.min(w / (c[0] - a[0]), hh / (c[1] - a[1]))) - 0.05;
    state.view = { lat: (b[0] + b[2]) / 2, lon: (b[1] + b[3]) / 2, zoom: zoom };
  }
  function cellCorners(x, y) {
    const o = state.cfg.cell_origin, s = state.cfg.cell_step;
    const lat = o[0] + y * s[0], lon = o[1] + x * s[1];
    return [[lat - s[0] / 2, lon - s[1] / 2], [lat + s[0] / 2, lon + s[1] / 2]];
  }
  function cellCentre(id) {
    const m = /^x(-?\d+)y(-?\d+)$/.exec(id || '');
    if (!m) return null;
    const o = state.cfg.cell_origin, s = state.cfg.cell_step;
    return [o[0] + Number(m[2]) * s[0], o[1] + Number(m[1]) * s[1], Number(m[1]), Number(m[2])];
  }
  function ringPath(ring) {
    return ring.map((p, i) => { const q = toScreen(p[1], p[0]); return (i ? 'L' : 'M') + q[0].toFixed(1) + ' ' + q[1].toFixed(1); }).join('') + 'Z';
  }

  // ---- Map drawing ----
  function drawMap() {
    if (!state.cfg || !state.view) return;
    const svg = $('map'), [w, hh] = size();
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    if (state.cfg.tile_url) drawTiles(svg, w, hh);
    const b = state.cfg.bounds, p = toScreen(b[2], b[1]), q = toScreen(b[0], b[3]);
    svg.appendChild(el('rect', { class: 'bbox', x: p[0], y: p[1], width: q[0] - p[0], height: q[1] - p[1] }));
    const gCells = el('g', { id: 'cells' });
    const max = state.cells.reduce((m, c) => Math.max(m, c[2]), 1);
    for (const c of state.cells) {
      const k = cellCorners(c[0], c[1]), a = toScreen(k[1][0], k[0][1]), z = toScreen(k[0][0], k[1][1]);
      if (z[0] < 0 || a[0] > w || z[1] < 0 || a[1] > hh) continue;
      const r = el('rect', { class: 'cell', x: a[0].toFixed(1), y: a[1].toFixed(1), width: Math.max(1, z[0] - a[0]).toFixed(1),
        height: Math.max(1, z[1] - a[1]).toFixed(1), fill: viridis(Math.log1p(c[2]) / Math.log1p(max)), 'fill-opacity': '0.8',
        'data-cell': 'x' + c[0] + 'y' + c[1], 'data-count': c[2] });
      r.appendChild(el('title', {}, 'cell x' + c[0] + 'y' + c[1] + ': ' + c[2] + ' incidents in ' + state.cellWindow));
      gCells.appendChild(r);
    }
    svg.appendChild(gCells);
    const gInc = el('g', { id: 'incidents' });
    const cited = new Set(state.cited.map((i) => i.id));
    for (const i of state.incidents) {
      if (cited.has(i.id)) continue;
      const s = toScreen(i.lat, i.lon);
      if (s[0] < 0 || s[0] > w || s[1] < 0 || s[1] > hh) continue;
      gInc.appendChild(el('circle', { class: 'incident', cx: s[0].toFixed(1), cy: s[1].toFixed(1), r: 1.6 }));
    }
    svg.appendChild(gInc);
    const gHot = el('g', { id: 'hotspots' });
    for (const f of state.hotspots) {
      const g = f.geometry || {}, rings = g.type === 'MultiPolygon' ? [].concat(...g.coordinates) : (g.coordinates || []);
      const path = el('path', { class: 'hotspot', d: rings.map(ringPath).join(''), 'data-hotspot': f.id });
      const props = f.properties || {};
      const mix = Object.entries(props.categories || {}).map(([name, n]) => name + ' ' + n).join(', ');
      path.appendChild(el('title', {}, (props.kind || 'hotspot') + ' ' + f.id + ': ' + props.count + ' incidents' + (mix ? ' (' + mix + ')' : '')));
      gHot.appendChild(path);
    }
    svg.appendChild(gHot);
    if (state.selected) drawSelection(svg);
    drawScale(svg, w, hh);
    $('legend-text').textContent = 'cells: incidents in ' + (state.cellWindow || '—') + ' (viridis, log scale, max ' + max + ')';
  }
  function drawTiles(svg, w, hh) {
    const v = state.view, z = Math.max(0, Math.min(19, Math.round(v.zoom))), k = Math.pow(2, v.zoom - z);
    const c = world(v.lat, v.lon, z), g = el('g', { id: 'tiles' }), n = Math.pow(2, z);
    const x0 = Math.floor((c[0] - w / 2 / k) / 256), x1 = Math.floor((c[0] + w / 2 / k) / 256);
    const y0 = Math.floor((c[1] - hh / 2 / k) / 256), y1 = Math.floor((c[1] + hh / 2 / k) / 256);
    for (let x = x0; x <= x1; x++) for (let y = Math.max(0, y0); y <= Math.min(n - 1, y1); y++) {
      const url = state.cfg.tile_url.replace('{z}', z).replace('{x}', ((x % n) + n) % n).replace('{y}', y);
      g.appendChild(el('image', { href: url, x: ((x * 256 - c[0]) * k + w / 2).toFixed(1), y: ((y * 256 - c[1]) * k + hh / 2).toFixed(1),
        width: (256 * k + 0.5).toFixed(1), height: (256 * k + 0.5).toFixed(1), opacity: '0.6' }));
    }
    svg.appendChild(g);
  }
  function drawSelection(svg) {
    const a = state.selected, loc = a.location || {}, g = el('g', { id: 'selection' });
    if (loc.polygon && loc.polygon.coordinates) {
      g.appendChild(el('path', { class: 'area', d: loc.polygon.coordinates.map(ringPath).join('') }));
    } else if (loc.radius_m && loc.lat !== undefined) {
      const c = toScreen(loc.lat, loc.lon), mpp = 156543.034 * Math.cos(loc.lat * Math.PI / 180) / Math.pow(2, state.view.zoom);
      g.appendChild(el('circle', { class: 'area', cx: c[0], cy: c[1], r: Math.max(3, loc.radius_m / mpp) }));
    } else {
      const cc = cellCentre(loc.cell);
      if (cc) {
        const k = cellCorners(cc[2], cc[3]), p = toScreen(k[1][0], k[0][1]), q = toScreen(k[0][0], k[1][1]);
        g.appendChild(el('rect', { class: 'area', x: p[0], y: p[1], width: Math.max(4, q[0] - p[0]), height: Math.max(4, q[1] - p[1]) }));
      }
    }
    for (const i of state.cited) {
      const s = toScreen(i.lat, i.lon);
      const c = el('circle', { class: 'incident cited', cx: s[0].toFixed(1), cy: s[1].toFixed(1), r: 4, 'data-incident': i.id });
      c.appendChild(el('title', {}, i.id + ' ' + i.category + ' ' + i.event_time));
      g.appendChild(c);
    }
    svg.appendChild(g);
  }
  function drawScale(svg, w, hh) {
    const v = state.view, mpp = 156543.034 * Math.cos(v.lat * Math.PI / 180) / Math.pow(2, v.zoom);
    let m = Math.pow(10, Math.floor(Math.log10(mpp * 120)));
    for (const f of [5, 2, 1]) { if (f * m / mpp <= 150) { m = f * m; break; } }
    const px = m / mpp, x = 12, y = hh - 14;
    svg.appendChild(el('path', { class: 'scale', d: 'M' + x + ' ' + (y - 5) + 'V' + y + 'H' + (x + px) + 'V' + (y - 5), id: 'scalebar' }));
    svg.appendChild(el('text', { x: x + px + 6, y: y }, m >= 1000 ? (m / 1000) + ' km' : m + ' m'));
    const nw = toGeo(0, 0), se = toGeo(w, hh);
    svg.appendChild(el('text', { x: 6, y: 14 }, nw[0].toFixed(4) + ', ' + nw[1].toFixed(4)));
    svg.appendChild(el('text', { x: w - 6, y: hh - 6, 'text-anchor': 'end' }, se[0].toFixed(4) + ', ' + se[1].toFixed(4)));
  }

  // ---- Map interaction (mouse and keyboard) ----
  function pan(dx, dy) {
    const g = toGeo(size()[0] / 2 + dx, size()[1] / 2 + dy);
    state.view.lat = g[0]; state.view.lon = g[1];
    drawMap();
  }
  function zoomBy(d) { state.view.zoom = Math.max(3, Math.min(19, state.view.zoom + d)); drawMap(); }
  function setupMap() {
    const svg = $('map');
    let drag = null;
    svg.addEventListener('mousedown', (e) => { drag = [e.clientX, e.clientY]; });
    window.addEventListener('mouseup', () => { drag = null; });
    svg.addEventListener('mousemove', (e) => {
      const r = svg.getBoundingClientRect(), g = toGeo(e.clientX - r.left, e.clientY - r.top);
      $('coords').textContent = g[0].toFixed(5) + ', ' + g[1].toFixed(5);
      if (drag) { pan(drag[0] - e.clientX, drag[1] - e.clientY); drag = [e.clientX, e.clientY]; }
    });
    svg.addEventListener('wheel', (e) => { e.preventDefault(); zoomBy(e.deltaY < 0 ? 0.5 : -0.5); }, { passive: false });
    svg.addEventListener('keydown', (e) => {
      const step = 80, keys = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (keys[e.key]) { pan(keys[e.key][0], keys[e.key][1]); e.preventDefault(); }
      else if (e.key === '+' || e.key === '=') { zoomBy(0.5); e.preventDefault(); }
      else if (e.key === '-' || e.key === '_') { zoomBy(-0.5); e.preventDefault(); }
      else if (e.key === '0') { fitView(); drawMap(); e.preventDefault(); }
    });
    window.addEventListener('resize', drawMap);
  }

  // ---- Data refresh ----
  function refreshMap() {
    return Promise.all([getJSON('/page/cells'), getJSON('/hotspots'), getJSON('/page/incidents?recent=3000')]).then((r) => {
      if (r[0]) { state.cells = r[0].cells; state.cellWindow = r[0].window || ''; if (r[0].as_of) $('asof').textContent = 'event time ' + r[0].as_of; }
      if (r[1]) state.hotspots = r[1].features;
      if (r[2]) state.incidents = r[2].incidents;
      $('map').setAttribute('data-loaded', String(Date.now()));
      drawMap();
    });
  }

  // ---- Alert feed (SSE) ----
  function alertLabel(a) {
    if (a.summary) return a.summary;
    const key = a.key || {};
    return a.kind + ' ' + Object.keys(key).map((k) => k + '=' + key[k]).join(' ');
  }
  function addAlert(a) {
    if (state.alerts.has(a.id)) return;
    state.alerts.set(a.id, a);
    state.order.push(a.id);
    const li = h('li'), b = h('button');
    b.type = 'button';
    b.setAttribute('data-alert-id', a.id);
    b.appendChild(h('span', 'sev sev-' + a.severity, a.severity));
    b.appendChild(h('span', 'time', ' ' + (a.event_time || '').replace('T', ' ').replace('Z', '') + ' '));
    b.appendChild(h('div', 'summary', alertLabel(a)));
    b.addEventListener('click', () => select(a.id));
    li.appendChild(b);
    const feed = $('feed');
    feed.insertBefore(li, feed.firstChild);
    while (state.order.length > FEED_MAX) {
      const old = state.order.shift();
      state.alerts.delete(old);
      const node = feed.querySelector('[data-alert-id="' + old + '"]');
      if (node) feed.removeChild(node.parentNode);
    }
    $('feed-count').textContent = '(' + state.order.length + ' shown)';
  }
  function connect() {
    const source = new EventSource('/events');
    source.addEventListener('alert', (e) => { try { addAlert(JSON.parse(e.data)); } catch (err) { /* not JSON: skip */ } });
    source.addEventListener('gap', () => { $('feed-count').textContent = '(some alerts were missed: the page fell behind)'; });
    source.addEventListener('open', () => { $('feed').setAttribute('data-connected', 'true'); });
    source.addEventListener('error', () => { $('feed').setAttribute('data-connected', 'false'); });
  }

  // ---- Selection: centre, area, incidents, evidence ----
  function select(id) {
    const a = state.alerts.get(id);
    if (!a) return;
    state.selected = a;
    state.cited = [];
    for (const b of document.querySelectorAll('#feed button.selected')) b.classList.remove('selected');
    const btn = document.querySelector('#feed [data-alert-id="' + id + '"]');
    if (btn) btn.classList.add('selected');
    const loc = a.location || {};
    if (loc.lat !== undefined) { state.view.lat = loc.lat; state.view.lon = loc.lon; state.view.zoom = Math.max(state.view.zoom, 13); }
    showDetail(a, null);
    drawMap();
    const ids = (a.incident_ids || []).slice(0, 500);
    if (!ids.length) return;
    getJSON('/page/incidents?ids=' + ids.map(encodeURIComponent).join(',')).then((r) => {
      if (state.selected !== a || !r) return;
      state.cited = r.incidents;
      showDetail(a, r.incidents);
      drawMap();
    });
  }
  function showDetail(a, incidents) {
    const d = $('detail');
    d.className = '';
    while (d.firstChild) d.removeChild(d.firstChild);
    d.appendChild(h('p', 'summary', alertLabel(a)));
    const t = h('table'), rows = [['kind', a.kind], ['severity', a.severity], ['event time', a.event_time], ['window', a.window ? a.window.start + ' → ' + a.window.end : ''],
      ['key', JSON.stringify(a.key)], ['location', a.location ? a.location.lat + ', ' + a.location.lon + ' (' + a.location.cell + ')' : ''], ['id', a.id]];
    for (const k in (a.evidence || {})) rows.push(['evidence.' + k, typeof a.evidence[k] === 'object' ? JSON.stringify(a.evidence[k]) : String(a.evidence[k])]);
    for (const r of rows) { const tr = h('tr'); tr.appendChild(h('th', '', r[0])); tr.appendChild(h('td', '', r[1] || '')); t.appendChild(tr); }
    d.appendChild(t);
    const ids = a.incident_ids || [];
    d.appendChild(h('h3', '', 'Incidents (' + ids.length + ')'));
    const ul = h('ul');
    ul.id = 'incident-list';
    const known = new Map((incidents || []).map((i) => [i.id, i]));
    for (const id of ids) {
      const i = known.get(id), li = h('li', '', i ? id + ' · ' + i.category + ' · ' + i.event_time.replace('T', ' ') + (i.neighbourhood ? ' · ' + i.neighbourhood : '') : id + (incidents ? ' (no longer in the recent ring)' : ''));
      li.setAttribute('data-incident-id', id);
      ul.appendChild(li);
    }
    d.appendChild(ul);
  }

  // ---- Trends ----
  function refreshNames() {
    return getJSON('/page/names').then((n) => {
      if (!n) return;
      fillSelect($('nb'), n.neighbourhoods, null);
      fillSelect($('cat'), n.categories, 'All categories');
    });
  }
  function fillSelect(sel, values, allLabel) {
    const have = Array.from(sel.options).map((o) => o.value).filter((v) => v).join('\n');
    if (have === values.join('\n')) return;
    const keep = sel.value;
    while (sel.firstChild) sel.removeChild(sel.firstChild);
    if (allLabel) { const o = h('option', '', allLabel); o.value = ''; sel.appendChild(o); }
    for (const v of values) { const o = h('option', '', v); o.value = v; sel.appendChild(o); }
    if (values.indexOf(keep) >= 0) sel.value = keep;
  }
  function refreshTrends() {
    const nb = $('nb').value, cat = $('cat').value;
    if (!nb) return Promise.resolve();
    const url = '/page/trends?neighbourhood=' + encodeURIComponent(nb) + (cat ? '&category=' + encodeURIComponent(cat) : '');
    return getJSON(url).then((t) => {
      if (!t || $('nb').value !== nb || $('cat').value !== cat) return;
      const daily = t.daily.counts, expect = daily.map((_, i) => {
        const prev = [i - 7, i - 14, i - 21].filter((j) => j >= 0).map((j) => daily[j]);
        return prev.length ? prev.reduce((s, v) => s + v, 0) / prev.length : null;
      });
      drawBars($('daily'), daily, expect, t.daily.start, 86400e3, (d) => d.toISOString().slice(5, 10));
      drawBars($('hourly'), t.hourly.counts, null, t.hourly.start, 3600e3, (d) => d.toISOString().slice(11, 13) + 'h');
      $('trends-panel').setAttribute('data-trend', JSON.stringify({ neighbourhood: nb, category: cat || null, daily: daily, hourly: t.hourly.counts }));
    });
  }
  function drawBars(svg, counts, expect, start, step, label) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const r = svg.getBoundingClientRect(), w = Math.max(100, r.width), hh = Math.max(60, r.height), pad = 18;
    const max = Math.max(1, ...counts, ...(expect || []).filter((v) => v !== null));
    const bw = (w - 30) / Math.max(1, counts.length), t0 = start ? Date.parse(start) : 0;
    svg.appendChild(el('line', { class: 'axis', x1: 28, x2: w, y1: hh - pad, y2: hh - pad }));
    svg.appendChild(el('text', { x: 0, y: 10 }, String(max)));
    svg.appendChild(el('text', { x: 0, y: hh - pad }, '0'));
    counts.forEach((c, i) => {
      const bh = (hh - pad - 12) * c / max, x = 30 + i * bw, when = new Date(t0 + i * step);
      const rect = el('rect', { class: 'bar' + (i === counts.length - 1 ? ' now' : ''), x: x.toFixed(1), y: (hh - pad - bh).toFixed(1), width: Math.max(1, bw - 2).toFixed(1), height: bh.toFixed(1), 'data-count': c, 'data-start': when.toISOString() });
      rect.appendChild(el('title', {}, when.toISOString().replace('.000Z', 'Z') + ': ' + c + (expect && expect[i] !== null ? ' (expected ' + expect[i].toFixed(1) + ')' : '')));
      svg.appendChild(rect);
      if (i % Math.ceil(counts.length / 7) === 0) svg.appendChild(el('text', { x: x.toFixed(1), y: hh - 4 }, label(when)));
    });
    if (expect) {
      const pts = expect.map((v, i) => v === null ? null : (30 + i * bw + bw / 2).toFixed(1) + ',' + (hh - pad - (hh - pad - 12) * v / max).toFixed(1)).filter((p) => p);
      if (pts.length > 1) svg.appendChild(el('polyline', { class: 'expect', points: pts.join(' ') }));
    }
  }

  // ---- Health ----
  function refreshHealth() {
    return getJSON('/page/health').then((hlt) => {
      if (!hlt) return;
      const s = $('status');
      s.textContent = hlt.ready ? 'ready' : 'not ready: ' + hlt.not_ready_reason;
      s.className = 'pill ' + (hlt.ready ? 'ok' : 'bad');
      let rate = '—';
      const p = state.prevHealth;
      if (p && hlt.taken_at > p.taken_at) rate = ((hlt.consumed - p.consumed) / (hlt.taken_at - p.taken_at)).toFixed(0) + '/s';
      state.prevHealth = hlt;
      const dead = Object.keys(hlt.dead_letters).map((k) => k + ' ' + hlt.dead_letters[k]).join(', ') || 'none';
      const facts = [['broker', hlt.broker_reachable ? 'reachable' : 'unreachable: ' + (hlt.broker_reason || '')], ['events/s', rate],
        ['consumed', hlt.consumed], ['alerts', hlt.alerts], ['late incidents', hlt.late], ['dead letters', dead],
        ['model', hlt.model_version || 'none'], ['hotspots', hlt.hotspots]];
      const dl = $('health');
      while (dl.firstChild) dl.removeChild(dl.firstChild);
      for (const f of facts) { dl.appendChild(h('dt', '', f[0])); dl.appendChild(h('dd', '', String(f[1]))); }
      const tb = $('partitions').tBodies[0];
      while (tb.firstChild) tb.removeChild(tb.firstChild);
      for (const part of hlt.partitions) {
        const tr = h('tr');
        for (const v of [part.topic + '/' + part.partition, part.rebuilding ? 'rebuilding' : 'live', part.lag === null ? 'unknown' : part.lag, part.newest_event_time || '—']) tr.appendChild(h('td', '', String(v)));
        tb.appendChild(tr);
      }
    });
  }

  function every(ms, fn) { const run = () => { fn().catch(() => {}).then(() => setTimeout(run, ms)); }; run(); }

  function start() {
    getJSON('/page/config').then((cfg) => {
      state.cfg = cfg;
      if (cfg.tile_url) $('attribution').textContent = 'Basemap: ' + cfg.tile_attribution;
      fitView();
      setupMap();
      connect();
      every(3000, refreshMap);
      every(2000, refreshHealth);
      every(10000, () => refreshNames().then(refreshTrends));
      $('nb').addEventListener('change', refreshTrends);
      $('cat').addEventListener('change', refreshTrends);
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
