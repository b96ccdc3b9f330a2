// Herald's web console. Everything it shows comes from the network and is
// treated as hostile: text goes into the page with textContent and DOM
// nodes only, never as markup. The control token stays in sessionStorage
// and travels in the Authorization header, never in a URL.
(function () {
  'use strict';

  var TOKEN_KEY = 'herald.controlToken';
  var WORLD_KEY = 'herald.world';

  var state = {
    world: sessionStorage.getItem(WORLD_KEY) || '',
    view: '',
    entries: new Map(), // journal entries by id
    selected: 0,
    stream: null, // AbortController of the live tail
    streamGen: 0,
    loadGen: 0,
    clock: null, // {now: Date, frozen, readAt}
    inbox: null, // the last inbox read
    page: null, // the journal page's counts
    proxy: false // herald proxy: the journal only
  };

  // ---- DOM helpers

  function $(id) { return document.getElementById(id); }

  // el builds an element: attrs sets properties and attributes (never
  // innerHTML), children are nodes or strings (made text nodes).
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) { return; }
        if (k === 'class') { node.className = v; } else if (k === 'text') { node.textContent = v; } else if (k.indexOf('on') === 0) { node.addEventListener(k.slice(2), v); } else { node.setAttribute(k, v === true ? '' : String(v)); }
      });
    }
    for (var i = 2; i < arguments.length; i++) { append(node, arguments[i]); }
    return node;
  }

  function append(node, child) {
    if (child === undefined || child === null || child === false) { return; }
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function showError(id, err) {
    var p = $(id);
    if (!err) { p.hidden = true; p.textContent = ''; return; }
    p.textContent = err.message || String(err);
    p.hidden = false;
  }

  function badge(text, kind) { return el('span', { class: 'badge' + (kind ? ' ' + kind : ''), text: text }); }

  function fmtTime(s) {
    if (!s) { return ''; }
    var d = new Date(s);
    if (isNaN(d.getTime())) { return String(s); }
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, ' UTC');
  }

  function clockTime(s) {
    var d = new Date(s);
    if (isNaN(d.getTime())) { return String(s); }
    return d.toISOString().slice(11, 19);
  }

  // ---- the API, with the token in a header

  function AuthError() { this.message = 'The control token is needed.'; }

  function controlBase(root) {
    return root || !state.world ? '/_herald/v1/' : '/_herald/worlds/' + encodeURIComponent(state.world) + '/_herald/v1/';
  }

  // api fetches a control route (path relative to the control API of the
  // current world, or of the root with opts.root), with the token.
  function api(path, opts) {
    opts = opts || {};
    var headers = new Headers(opts.headers || {});
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (token) { headers.set('Authorization', 'Bearer ' + token); }
    var init = { method: opts.method || 'GET', headers: headers, cache: 'no-store', credentials: 'omit', signal: opts.signal, referrerPolicy: 'no-referrer' };
    if (opts.json !== undefined) {
      headers.set('Content-Type', 'application/json');
      init.body = JSON.stringify(opts.json);
    }
    return fetch(controlBase(opts.root) + path, init).then(function (res) {
      if (res.status === 401) {
        askToken(token ? 'That token was refused.' : '');
        throw new AuthError();
      }
      if (!res.ok && !opts.raw) {
        return res.text().then(function (t) {
          var msg = res.status + ' ' + res.statusText;
          try {
            var e = JSON.parse(t).error;
            if (e && e.message) { msg = e.message + (e.field ? ' (' + e.field + ')' : '') + ' [' + res.status + ']'; }
          } catch (ignore) { /* not JSON: keep the status */ }
          throw new Error(msg);
        });
      }
      return res;
    });
  }

  function apiJSON(path, opts) { return api(path, opts).then(function (r) { return r.json(); }); }

  // ---- the token form

  function askToken(message) {
    var dlg = $('token-dialog');
    showError('token-error', message ? new Error(message) : null);
    if (dlg.hidden) {
      dlg.hidden = false;
      $('token-input').value = '';
      $('token-input').focus();
    }
    stopStream();
  }

  function initToken() {
    $('token-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var v = $('token-input').value.trim();
      if (!v) { return; }
      sessionStorage.setItem(TOKEN_KEY, v);
      $('token-input').value = '';
      $('token-dialog').hidden = true;
      $('token-forget').hidden = false;
      start();
    });
    $('token-forget').hidden = !sessionStorage.getItem(TOKEN_KEY);
    $('token-forget').addEventListener('click', function () {
      sessionStorage.removeItem(TOKEN_KEY);
      $('token-forget').hidden = true;
      stopStream();
      start();
    });
  }

  function quiet(err) {
    if (err instanceof AuthError || (err && err.name === 'AbortError')) { return null; }
    return err;
  }

  // ---- views

  var views = { journal: showJournal, inbox: loadInbox, deliveries: loadDeliveries };

  function route() {
    var v = (location.hash || '#journal').slice(1);
    if (!views[v] || state.proxy) { v = 'journal'; }
    state.view = v;
    Object.keys(views).forEach(function (k) {
      $('view-' + k).hidden = k !== v;
      $('tab-' + k).classList.toggle('active', k === v);
    });
    if (v !== 'journal') { stopStream(); }
    views[v]();
  }

  // start (re)loads what the page shows: after the token is given, or the
  // world changes.
  function start() {
    loadSystems().then(function () {
      if (!state.proxy) {
        loadWorlds();
        loadClock();
      }
      route();
    });
  }

  // applyMode shows what this Herald has: a proxy (herald proxy) has its
  // journal only, no inbox, deliveries, worlds or clock.
  function applyMode(info) {
    state.proxy = info.mode === 'proxy';
    document.body.dataset.mode = state.proxy ? 'proxy' : 'simulator';
    $('mode').hidden = !state.proxy;
    ['tab-inbox', 'tab-deliveries', 'world-box', 'clock'].forEach(function (id) { $(id).hidden = state.proxy; });
    $('journal-empty').textContent = state.proxy
      ? 'No exchange yet. Requests through the proxy appear here as they arrive, with what they and the deployment\u2019s answers broke.'
      : 'No exchange yet. Requests to the simulated systems appear here as they arrive.';
  }

  // ---- worlds

  function loadWorlds() {
    apiJSON('worlds', { root: true }).then(function (worlds) {
      var sel = $('world');
      clear(sel);
      sel.appendChild(el('option', { value: '', text: 'default' }));
      var found = !state.world;
      worlds.forEach(function (w) {
        sel.appendChild(el('option', { value: w.id, text: w.id }));
        found = found || w.id === state.world;
      });
      if (!found) { // the world was deleted
        sel.appendChild(el('option', { value: state.world, text: state.world + ' (gone)' }));
      }
      sel.value = state.world;
    }).catch(function (err) { if (quiet(err)) { notice(err); } });
  }

  function notice(err) {
    var n = $('notice');
    n.textContent = err ? err.message : '';
    n.hidden = !err;
  }

  function initWorlds() {
    $('world').addEventListener('change', function () {
      state.world = $('world').value;
      if (state.world) { sessionStorage.setItem(WORLD_KEY, state.world); } else { sessionStorage.removeItem(WORLD_KEY); }
      state.entries.clear();
      state.selected = 0;
      stopStream();
      notice(null);
      loadClock();
      loadSystems();
      route();
    });
    $('world-refresh').addEventListener('click', loadWorlds);
  }

  // ---- clock

  function renderClock() {
    var c = state.clock;
    if (!c) { return; }
    var now = c.frozen ? c.now : new Date(c.now.getTime() + (Date.now() - c.readAt));
    $('clock-now').textContent = now.toISOString().replace(/\.\d+Z$/, 'Z');
    var st = $('clock-state');
    st.textContent = c.frozen ? 'frozen' : 'running';
    st.className = 'badge' + (c.frozen ? ' info' : '');
  }

  function gotClock(c) {
    state.clock = { now: new Date(c.now), frozen: c.frozen, readAt: Date.now() };
    showError('clock-error', null);
    renderClock();
  }

  function loadClock() {
    return apiJSON('clock').then(gotClock).catch(function (err) { if (quiet(err)) { showError('clock-error', err); } });
  }

  function clockAction(promise) {
    promise.then(function (r) { return r.json(); }).then(function (c) {
      gotClock(c);
      if (state.view !== 'journal') { route(); } // lifecycles and attempts move with the clock
    }).catch(function (err) { if (quiet(err)) { showError('clock-error', err); } });
  }

  function initClock() {
    $('clock-freeze').addEventListener('click', function () {
      var now = state.clock ? $('clock-now').textContent : new Date().toISOString();
      clockAction(api('clock', { method: 'PUT', json: { now: now, frozen: true } }));
    });
    $('clock-run').addEventListener('click', function () {
      clockAction(api('clock', { method: 'PUT', json: { now: $('clock-now').textContent, frozen: false } }));
    });
    $('clock-real').addEventListener('click', function () { clockAction(api('clock', { method: 'DELETE' })); });
    $('clock-set').addEventListener('click', function () {
      var v = $('clock-set-value').value.trim();
      if (!v) { return; }
      clockAction(api('clock', { method: 'PUT', json: { now: v, frozen: true } }));
    });
    $('clock-advance').addEventListener('click', function () {
      var v = $('clock-advance-by').value.trim();
      if (!v) { return; }
      clockAction(api('clock/advance', { method: 'POST', json: { by: v } }));
    });
    setInterval(renderClock, 1000);
    setInterval(function () { if (!document.hidden && !state.proxy) { loadClock(); } }, 15000);
  }

  // ---- journal

  function loadSystems() {
    return apiJSON('info').then(function (info) {
      applyMode(info);
      var sel = $('f-system');
      var cur = sel.value;
      clear(sel);
      sel.appendChild(el('option', { value: '', text: 'every system' }));
      (info.systems || []).forEach(function (s) { sel.appendChild(el('option', { value: s.name, text: s.name })); });
      sel.value = cur;
    }).catch(function (err) { if (quiet(err)) { notice(err); } });
  }

  function filterQuery() {
    var q = new URLSearchParams();
    var add = function (name, id) { var v = $(id).value.trim(); if (v) { q.set(name, v); } };
    add('system', 'f-system');
    add('operation', 'f-operation');
    add('status', 'f-status');
    add('verdict', 'f-verdict');
    add('q', 'f-text');
    return q;
  }

  function showJournal() {
    loadJournal();
  }

  function loadJournal() {
    stopStream();
    var gen = ++state.loadGen; // only the last read counts: filters and worlds change fast
    var q = filterQuery();
    q.set('limit', '200');
    apiJSON('journal?' + q.toString()).then(function (page) {
      if (gen !== state.loadGen) { return; }
      showError('journal-error', null);
      state.entries.clear();
      var max = 0;
      (page.entries || []).forEach(function (e) { state.entries.set(e.id, e); max = Math.max(max, e.id); });
      state.page = { matched: page.matched, capacity: page.capacity, evicted: page.evicted };
      renderList();
      if (state.selected && state.entries.has(state.selected)) { renderDetail(state.entries.get(state.selected)); } else { state.selected = 0; renderDetail(null); }
      startStream(max);
    }).catch(function (err) { if (gen === state.loadGen && quiet(err)) { showError('journal-error', err); } });
  }

  function stopStream() {
    state.streamGen++;
    if (state.stream) { state.stream.abort(); state.stream = null; }
    setLive('off');
  }

  function setLive(s) {
    var l = $('live');
    l.dataset.state = s;
    l.textContent = s === 'live' ? 'live' : s === 'connecting' ? 'connecting…' : 'paused';
  }

  // startStream reads the live tail with fetch (an EventSource cannot send
  // the token in a header) and parses its Server-Sent Events.
  function startStream(after) {
    stopStream();
    var gen = state.streamGen;
    var ctl = new AbortController();
    state.stream = ctl;
    var q = filterQuery();
    q.set('after', String(after));
    var last = after;
    setLive('connecting');
    api('journal/stream?' + q.toString(), { signal: ctl.signal, headers: { Accept: 'text/event-stream' } }).then(function (res) {
      if (gen !== state.streamGen) { return null; }
      setLive('live');
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buf = '';
      var pump = function () {
        return reader.read().then(function (chunk) {
          if (chunk.done) { return null; }
          buf += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n');
          var cut;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            var frame = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            var ev = parseFrame(frame);
            if (ev && ev.event === 'exchange') {
              try {
                var entry = JSON.parse(ev.data);
                last = Math.max(last, entry.id);
                addEntry(entry);
              } catch (ignore) { /* a broken frame: skip it */ }
            } else if (ev && ev.event === 'overflow') {
              return 'overflow';
            }
          }
          return pump();
        });
      };
      return pump();
    }).then(function (why) {
      if (gen !== state.streamGen) { return; }
      setLive('connecting');
      // The stream ended (a restart, an overflow): read the journal again.
      setTimeout(function () { if (gen === state.streamGen) { why === 'overflow' ? loadJournal() : startStream(last); } }, 1000);
    }).catch(function (err) {
      if (gen !== state.streamGen || !quiet(err)) { return; }
      setLive('connecting');
      setTimeout(function () { if (gen === state.streamGen) { startStream(last); } }, 2000);
    });
  }

  function parseFrame(frame) {
    var ev = { event: 'message', data: [], id: '' };
    var any = false;
    frame.split('\n').forEach(function (line) {
      if (line === '' || line[0] === ':') { return; }
      var i = line.indexOf(':');
      var field = i < 0 ? line : line.slice(0, i);
      var value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') { ev.event = value; any = true; } else if (field === 'data') { ev.data.push(value); any = true; } else if (field === 'id') { ev.id = value; }
    });
    if (!any) { return null; }
    ev.data = ev.data.join('\n');
    return ev;
  }

  function renderCount() {
    var p = state.page;
    if (!p) { return; }
    var shown = state.entries.size;
    $('journal-count').textContent = p.matched + ' matching' + (p.matched > shown ? ', the newest ' + shown + ' shown' : '') +
      (state.proxy
        ? ' · the journal keeps the last ' + p.capacity + ' exchanges' + (p.evicted ? ' · ' + p.evicted + ' dropped to make room' : '')
        : ' · the journal keeps the last ' + p.capacity + ' exchanges, every world\u2019s together' + (p.evicted ? ' · ' + p.evicted + ' of this world\u2019s dropped to make room' : ''));
  }

  function addEntry(e) {
    if (state.entries.has(e.id)) { return; }
    state.entries.set(e.id, e);
    if (state.page) { state.page.matched++; }
    var list = $('journal-list');
    list.insertBefore(entryRow(e), list.firstChild);
    while (list.childNodes.length > 500) {
      var lastRow = list.lastChild;
      state.entries.delete(Number(lastRow.dataset.id));
      list.removeChild(lastRow);
    }
    $('journal-empty').hidden = true;
    renderCount();
  }

  function sortedEntries() {
    return Array.from(state.entries.values()).sort(function (a, b) { return b.id - a.id; });
  }

  function renderList() {
    var list = $('journal-list');
    clear(list);
    var all = sortedEntries();
    all.forEach(function (e) { list.appendChild(entryRow(e)); });
    $('journal-empty').hidden = all.length > 0;
    renderCount();
  }

  function statusClass(s) { return 's' + String(s || 0).charAt(0); }

  function verdictBadges(e) {
    var out = [];
    if (e.verdict) {
      out.push(e.verdict.request === 'refused' ? badge('refused', 'bad') : badge('accepted', 'ok'));
      if (e.verdict.response === 'violates') { out.push(badge('answer violates spec', 'warn')); }
    }
    if (e.auth && e.auth.outcome === 'refused') { out.push(badge('auth refused', 'bad')); }
    if (!e.operation) { out.push(badge('no operation', 'warn')); }
    return out;
  }

  function entryReason(e) {
    if (e.refusal && e.refusal.reason) { return e.refusal.reason; }
    if (e.auth && e.auth.outcome === 'refused' && e.auth.reason) { return e.auth.reason; }
    if (e.violations && e.violations.length) { return e.violations[0].pointer + ': ' + e.violations[0].reason; }
    return '';
  }

  function entryRow(e) {
    var req = e.request || {};
    var res = e.response || {};
    var reason = entryReason(e);
    var row = el('li', { class: 'entry' + (e.id === state.selected ? ' selected' : ''), 'data-id': e.id, tabindex: '0',
      onclick: function () { select(e.id); },
      onkeydown: function (ev) { if (ev.key === 'Enter') { select(e.id); } } },
      el('span', { class: 'method', text: req.method || '' }),
      el('span', { class: 'path', text: (req.path || '') + (req.query ? '?' + req.query : ''), title: req.path || '' }),
      el('span', { class: 'status ' + statusClass(res.status), text: res.status ? String(res.status) : '—' }),
      el('div', { class: 'meta' },
        el('span', { class: 'mono', text: clockTime(e.time) }),
        badge(e.system || '?', 'info'),
        el('span', { class: 'mono', text: e.operation || '' }),
        verdictBadges(e),
        reason ? el('span', { class: 'reason', text: reason }) : null));
    return row;
  }

  function select(id) {
    state.selected = id;
    Array.prototype.forEach.call($('journal-list').childNodes, function (li) {
      li.classList.toggle('selected', Number(li.dataset.id) === id);
    });
    renderDetail(state.entries.get(id));
  }

  // pointerOf escapes one JSON pointer token.
  function pointerToken(k) { return String(k).replace(/~/g, '~0').replace(/\//g, '~1'); }

  // jsonNode renders a JSON value as DOM, marking the values whose pointer
  // is in marks.
  function jsonNode(v, ptr, indent, marks) {
    var wrap;
    if (v === null || typeof v !== 'object') {
      var cls = typeof v === 'string' ? 'str' : typeof v === 'number' ? 'num' : 'lit';
      wrap = el('span', { class: cls, text: JSON.stringify(v) });
    } else {
      var isArr = Array.isArray(v);
      var keys = isArr ? v.map(function (_, i) { return i; }) : Object.keys(v);
      wrap = el('span');
      if (!keys.length) {
        append(wrap, isArr ? '[]' : '{}');
      } else {
        append(wrap, isArr ? '[\n' : '{\n');
        var pad = '  '.repeat(indent + 1);
        keys.forEach(function (k, i) {
          append(wrap, pad);
          if (!isArr) { append(wrap, [el('span', { class: 'k', text: JSON.stringify(k) }), ': ']); }
          append(wrap, jsonNode(v[k], ptr + '/' + pointerToken(k), indent + 1, marks));
          append(wrap, i < keys.length - 1 ? ',\n' : '\n');
        });
        append(wrap, '  '.repeat(indent) + (isArr ? ']' : '}'));
      }
    }
    if (marks.has(ptr)) {
      wrap.classList.add('hit');
      wrap.setAttribute('data-pointer', ptr);
    }
    return wrap;
  }

  // bodyView shows a body: pretty JSON with pointers marked when it parses,
  // else the text as it is.
  function bodyView(msg, marks) {
    var body = msg.body || '';
    var pre = el('pre', { class: 'body' });
    if (!body) {
      pre.appendChild(el('span', { class: 'muted', text: msg.bodyBytes ? '(not kept)' : '(empty)' }));
      return pre;
    }
    var parsed;
    var isJSON = false;
    try { parsed = JSON.parse(body); isJSON = true; } catch (ignore) { isJSON = false; }
    if (isJSON) { pre.appendChild(jsonNode(parsed, '', 0, marks)); } else { pre.textContent = body; }
    if (msg.bodyTruncated) { pre.appendChild(el('span', { class: 'muted', text: '\n… truncated: ' + msg.bodyBytes + ' bytes in all' })); }
    return pre;
  }

  function headersTable(h) {
    var names = Object.keys(h || {}).sort(function (a, b) { return a.toLowerCase() < b.toLowerCase() ? -1 : 1; });
    if (!names.length) { return el('p', { class: 'muted small', text: 'No headers.' }); }
    var t = el('table', { class: 'headers' });
    names.forEach(function (n) {
      (h[n] || []).forEach(function (v) { t.appendChild(el('tr', null, el('td', { text: n }), el('td', { text: v }))); });
    });
    return t;
  }

  function bodyPointers(e, side) {
    var marks = new Set();
    if (side === 'request' && e.refusal && e.refusal.pointer && (!e.refusal.in || e.refusal.in === 'body')) { marks.add(e.refusal.pointer); }
    (e.violations || []).forEach(function (v) {
      if (v.side === side && v.pointer && !/^\/(query|path|header|headers)\//.test(v.pointer)) { marks.add(v.pointer); }
    });
    return marks;
  }

  function renderDetail(e) {
    var d = $('detail');
    clear(d);
    if (!e) {
      d.appendChild(el('p', { class: 'empty', text: 'Select an exchange to see its request, its answer and why.' }));
      return;
    }
    var req = e.request || {};
    var res = e.response || {};
    d.setAttribute('data-id', e.id);
    d.appendChild(el('h2', { text: (req.method || '') + ' ' + (req.path || '') }));
    d.appendChild(el('div', { class: 'summary' },
      el('span', { class: 'status mono ' + statusClass(res.status), text: String(res.status || '—') }),
      badge(e.system || '?', 'info'),
      e.operation ? el('code', { text: e.operation }) : null,
      verdictBadges(e),
      e.verdict && e.verdict.response === 'conforms' ? badge('answer conforms', 'ok') : null,
      e.verdict && e.verdict.response === 'unchecked' ? badge('answer unchecked') : null));
    d.appendChild(el('dl', { class: 'facts' },
      el('dt', { text: 'Exchange' }), el('dd', { class: 'mono', text: '#' + e.id + (e.world ? ' in world ' + e.world : '') }),
      el('dt', { text: 'Received' }), el('dd', { class: 'mono', text: fmtTime(e.time) }),
      state.proxy ? null : [el('dt', { text: 'Simulator clock' }), el('dd', { class: 'mono', text: fmtTime(e.simTime) })],
      el('dt', { text: 'Took' }), el('dd', { class: 'mono', text: (Math.round((e.durationMs || 0) * 100) / 100) + ' ms' })));

    var a = e.auth || { outcome: 'none' };
    // A refusal by the authentication is told once, under Authentication.
    if (e.refusal && !(a.outcome === 'refused' && a.reason === e.refusal.reason)) {
      var r = e.refusal;
      var stages = { route: 'Refused: no operation matched', auth: 'Refused by the authentication', spec: 'Refused: the request breaks the spec',
        fault: 'Refused: a fault injected through the control API', handler: 'Refused by ' + (e.system || 'the system') + '\u2019s rules or state' };
      d.appendChild(el('h3', { text: stages[r.stage] || 'Refused' }));
      d.appendChild(el('div', { class: 'box bad refusal' },
        el('div', { class: 'msg-title' },
          badge(r.kind || 'refused', 'bad'),
          r.in ? el('span', { class: 'muted', text: 'in ' + r.in }) : null,
          r.field ? el('code', { class: 'field', text: r.field }) : null,
          r.pointer ? el('span', { class: 'pointer', text: r.pointer }) : null),
        el('p', { class: 'reason', text: r.reason || '' })));
    }
    if (e.violations && e.violations.length) {
      d.appendChild(el('h3', { text: 'Spec violations' }));
      d.appendChild(el('ul', { class: 'box warn violations' }, e.violations.map(function (v) {
        return el('li', { class: 'violation' },
          badge(v.side, v.side === 'request' ? 'bad' : 'warn'), ' ',
          el('span', { class: 'pointer', text: v.pointer || '(whole)' }), ' ',
          el('span', { class: 'reason', text: v.reason }));
      })));
    }
    d.appendChild(el('h3', { text: 'Authentication' }));
    d.appendChild(el('div', { class: 'box auth ' + (a.outcome === 'refused' ? 'bad' : a.outcome === 'accepted' ? 'ok' : '') },
      el('div', { class: 'msg-title' }, badge(a.outcome, a.outcome === 'refused' ? 'bad' : a.outcome === 'accepted' ? 'ok' : '')),
      a.reason ? el('p', { class: 'reason auth-reason', text: a.reason }) : el('p', { class: 'reason muted', text: a.outcome === 'none' ? 'The operation needs none, or the request did not get that far.' : '' })));
    if (e.closestMiss) {
      var m = e.closestMiss;
      d.appendChild(el('h3', { text: 'Closest documented operation' }));
      d.appendChild(el('div', { class: 'box warn closest' },
        el('div', { class: 'msg-title' }, el('code', { text: m.operation }), el('span', { class: 'mono', text: m.method + ' ' + m.path })),
        el('ul', null, (m.differences || []).map(function (x) { return el('li', { text: x }); }))));
    }

    d.appendChild(el('h3', { text: 'Request' }));
    d.appendChild(el('p', { class: 'mono req-line', text: (req.method || '') + ' ' + (req.path || '') + (req.query ? '?' + req.query : '') }));
    d.appendChild(headersTable(req.headers));
    d.appendChild(bodyView(req, bodyPointers(e, 'request')));
    d.appendChild(el('h3', { text: 'Answer' }));
    d.appendChild(el('p', { class: 'mono status ' + statusClass(res.status), text: 'HTTP ' + String(res.status || '') }));
    d.appendChild(headersTable(res.headers));
    d.appendChild(bodyView(res, bodyPointers(e, 'response')));
  }

  function downloadBlob(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = el('a', { href: url, download: name });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function initJournal() {
    var timer = 0;
    var changed = function () {
      clearTimeout(timer);
      timer = setTimeout(loadJournal, 250);
    };
    ['f-system', 'f-verdict'].forEach(function (id) { $(id).addEventListener('change', loadJournal); });
    ['f-operation', 'f-status', 'f-text'].forEach(function (id) { $(id).addEventListener('input', changed); });
    $('journal-filters').addEventListener('submit', function (ev) { ev.preventDefault(); loadJournal(); });
    $('journal-har').addEventListener('click', function () {
      api('journal/har?' + filterQuery().toString()).then(function (r) { return r.blob(); }).then(function (b) {
        downloadBlob(b, 'herald-journal' + (state.world ? '-' + state.world : '') + '.har');
      }).catch(function (err) { if (quiet(err)) { showError('journal-error', err); } });
    });
    $('journal-clear').addEventListener('click', function () {
      api('journal', { method: 'DELETE' }).then(function () {
        state.selected = 0;
        loadJournal();
      }).catch(function (err) { if (quiet(err)) { showError('journal-error', err); } });
    });
  }

  // ---- MNotify inbox

  var LANGS = { ro: 'Romanian', ru: 'Russian', en: 'English' };

  function loadInbox() {
    var gen = ++state.loadGen;
    apiJSON('mnotify/messages?limit=500').then(function (v) {
      if (gen !== state.loadGen) { return; }
      showError('inbox-error', null);
      state.inbox = v;
      renderInbox(v);
    }).catch(function (err) { if (quiet(err)) { showError('inbox-error', err); } });
  }

  function renderInbox(v) {
    var box = $('inbox');
    clear(box);
    var text = $('inbox-text').value.trim().toLowerCase();
    var lang = $('inbox-language').value;
    var msgs = (v.messages || []).filter(function (m) {
      if (lang && m.language !== lang) { return false; }
      if (!text) { return true; }
      return [m.to, m.recipient && m.recipient.value, m.subject, m.body, m.bodyShort, m.channel].join('\n').toLowerCase().indexOf(text) >= 0;
    });
    $('inbox-count').textContent = msgs.length + ' shown of ' + v.matched + ' messages';
    if (!msgs.length) {
      box.appendChild(el('p', { class: 'empty', text: 'No message. What MNotify would deliver to citizens appears here once a notification is sent.' }));
      return;
    }
    var groups = [];
    msgs.forEach(function (m) {
      var g = groups[groups.length - 1];
      if (!g || g.id !== m.notificationId) { groups.push(g = { id: m.notificationId, n: m.notification, msgs: [] }); }
      g.msgs.push(m);
    });
    groups.forEach(function (g) { box.appendChild(notificationCard(g)); });
  }

  function statusKind(s) {
    return s === 'Delivered' || s === 'Read' ? 'ok' : s === 'Failed' ? 'bad' : s === 'Cancelled' || s === 'Cancelling' ? 'warn' : 'info';
  }

  function notificationCard(g) {
    var n = g.n || {};
    var life = n.lifecycle || [];
    return el('article', { class: 'card notification', 'data-notification': g.id },
      el('div', { class: 'card-head' },
        el('span', { class: 'title', text: 'Notification' }),
        el('code', { text: g.id }),
        badge(n.status || '?', statusKind(n.status)),
        n.priority ? badge(n.priority + ' priority') : null,
        el('span', { class: 'muted small', text: 'from ' + (n.sender || '?') })),
      el('div', { class: 'notif' },
        el('div', { class: 'messages' }, g.msgs.map(messageCard)),
        el('div', null,
          el('div', { class: 'muted small', text: 'Lifecycle (simulator clock)' }),
          el('ol', { class: 'timeline' }, life.map(function (s, i) {
            return el('li', { class: i === life.length - 1 ? 'now' : '' },
              el('span', { class: 'st', text: s.status }), el('span', { class: 'at', text: fmtTime(s.at) }));
          })))));
  }

  function messageCard(m) {
    var r = m.recipient || {};
    return el('div', { class: 'message', 'data-language': m.language, 'data-channel': m.channel, 'data-to': m.to },
      el('div', { class: 'envelope' },
        badge(m.channel, 'info'),
        el('span', { class: 'to', text: m.to }),
        r.type === 'Email' && r.value === m.to ? null : el('span', { class: 'muted', text: 'for ' + r.type + ' ' + r.value }),
        el('span', { class: 'lang', title: LANGS[m.language] || m.language, text: m.language }),
        el('span', { class: 'spacer' }),
        badge(m.status, statusKind(m.status))),
      el('div', { class: 'content' },
        el('p', { class: 'subject', text: m.subject }),
        el('p', { class: 'text', text: m.body }),
        m.bodyShort && m.bodyShort !== m.body ? el('p', { class: 'short', text: m.bodyShort }) : null));
  }

  function initInbox() {
    $('inbox-refresh').addEventListener('click', loadInbox);
    var rerender = function () { if (state.inbox) { renderInbox(state.inbox); } else { loadInbox(); } };
    $('inbox-text').addEventListener('input', rerender);
    $('inbox-language').addEventListener('change', rerender);
  }

  // ---- Monnet deliveries

  function loadDeliveries() {
    var q = new URLSearchParams();
    if ($('deliveries-state').value) { q.set('state', $('deliveries-state').value); }
    var gen = ++state.loadGen;
    apiJSON('monnet/deliveries?' + q.toString()).then(function (list) {
      if (gen !== state.loadGen) { return; }
      showError('deliveries-error', null);
      var box = $('deliveries');
      clear(box);
      $('deliveries-count').textContent = list.length + (list.length === 1 ? ' delivery' : ' deliveries');
      if (!list.length) {
        box.appendChild(el('p', { class: 'empty', text: 'No delivery. Monnet signs and posts a notification to the merchant\u2019s receiver when a payout reaches its final stage.' }));
        return;
      }
      list.slice().reverse().forEach(function (dlv) { box.appendChild(deliveryCard(dlv)); });
    }).catch(function (err) { if (quiet(err)) { showError('deliveries-error', err); } });
  }

  function stateKind(s) { return s === 'delivered' ? 'ok' : s === 'failed' ? 'bad' : 'warn'; }

  function deliveryCard(dlv) {
    var result = el('div', { class: 'verify-result' });
    var card = el('article', { class: 'card delivery', 'data-delivery': dlv.id, 'data-state': dlv.state },
      el('div', { class: 'card-head' },
        el('span', { class: 'title mono', text: dlv.id }),
        badge(dlv.state, stateKind(dlv.state)),
        dlv.forgery ? badge('forgery: ' + dlv.forgery, 'warn') : null,
        el('span', { class: 'muted small', text: 'merchant ' + dlv.merchantId + ' · payout ' + dlv.payoutId + (dlv.orderId ? ' · order ' + dlv.orderId : '') + (dlv.of ? ' · copy of ' + dlv.of : '') }),
        el('span', { class: 'actions' },
          el('button', { type: 'button', class: 'verify', disabled: !dlv.body || dlv.withheld ? true : null, onclick: function () { verify(dlv, result); } }, 'Verify signature'),
          el('button', { type: 'button', class: 'redeliver', disabled: dlv.withheld ? true : null, onclick: function (ev) { redeliver(dlv, card, ev.target); } }, 'Redeliver'))),
      el('dl', { class: 'facts' },
        el('dt', { text: 'Due' }), el('dd', { class: 'mono', text: fmtTime(dlv.due) }),
        dlv.next ? [el('dt', { text: 'Next attempt' }), el('dd', { class: 'mono', text: fmtTime(dlv.next) })] : null,
        dlv.withheld ? [el('dt', { text: 'Withheld' }), el('dd', { class: 'error', text: dlv.withheld })] : null),
      attemptsTable(dlv.attempts || []),
      result,
      el('details', null, el('summary', { class: 'muted small', text: 'Body sent' }), bodyView({ body: dlv.body, bodyBytes: (dlv.body || '').length }, new Set())));
    return card;
  }

  function attemptsTable(attempts) {
    if (!attempts.length) { return el('p', { class: 'muted small', text: 'No attempt yet.' }); }
    return el('table', { class: 'attempts' },
      el('thead', null, el('tr', null, ['#', 'At (simulator)', 'Receiver', 'Status', 'Latency', 'Error'].map(function (h) { return el('th', { text: h }); }))),
      el('tbody', null, attempts.map(function (a, i) {
        var ok = a.status >= 200 && a.status < 300;
        return el('tr', { class: 'attempt', 'data-status': a.status },
          el('td', { text: String(i + 1) + (a.redelivery ? ' ↻' : ''), title: a.redelivery ? 'redelivery' : null }),
          el('td', { class: 'mono', text: fmtTime(a.at) }),
          el('td', { class: 'mono', text: a.url || '' }),
          el('td', null, badge(a.status ? String(a.status) : 'none', ok ? 'ok' : 'bad')),
          el('td', { class: 'mono', text: (Math.round((a.latencyMs || 0) * 10) / 10) + ' ms' }),
          el('td', { class: 'err', text: a.error || '' }));
      })));
  }

  function pemBytes(pem) {
    var b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }

  // verify checks the verification header in the page, with WebCrypto:
  // RSASSA-PKCS1-v1_5 SHA-256 over merchantId followed by the raw body,
  // against the notifier's public key.
  function verify(dlv, out) {
    clear(out);
    var say = function (kind, text) { clear(out); out.appendChild(el('div', { class: 'box ' + kind }, el('span', { class: 'verify-text', text: text }))); };
    if (!window.crypto || !window.crypto.subtle) { say('warn', 'This browser offers WebCrypto only on https or localhost: open the console there to verify.'); return; }
    if (!dlv.verification) { say('bad', 'No verification header was sent with this notification.'); return; }
    var sig;
    try { sig = pemBytes(dlv.verification); } catch (e) { say('bad', 'The verification header is not standard base64.'); return; }
    api('monnet/notifier/public-key').then(function (r) { return r.text(); }).then(function (pem) {
      return crypto.subtle.importKey('spki', pemBytes(pem), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
    }).then(function (key) {
      var signed = new TextEncoder().encode(dlv.merchantId + dlv.body);
      return crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, sig, signed);
    }).then(function (ok) {
      say(ok ? 'ok' : 'bad', ok
        ? 'Valid: RSASSA-PKCS1-v1_5 SHA-256 by the notifier\u2019s key over merchantId \u201c' + dlv.merchantId + '\u201d followed by the body.'
        : 'Invalid: the signature does not verify over merchantId \u201c' + dlv.merchantId + '\u201d followed by the body, with the notifier\u2019s key.');
    }).catch(function (err) { if (quiet(err)) { say('bad', 'Could not verify: ' + err.message); } });
  }

  // redeliver asks for one more attempt, then reads the delivery until it
  // shows it.
  function redeliver(dlv, card, button) {
    button.disabled = true;
    var before = (dlv.attempts || []).length;
    var path = 'monnet/deliveries/' + encodeURIComponent(dlv.id);
    var deadline = Date.now() + 15000;
    api(path + '/redeliver', { method: 'POST' }).then(function () {
      var poll = function () {
        return apiJSON(path).then(function (d) {
          if ((d.attempts || []).length > before || Date.now() > deadline) { return d; }
          return new Promise(function (resolve) { setTimeout(resolve, 200); }).then(poll);
        });
      };
      return poll();
    }).then(function (d) {
      card.replaceWith(deliveryCard(d));
    }).catch(function (err) {
      button.disabled = false;
      if (quiet(err)) { showError('deliveries-error', err); }
    });
  }

  function initDeliveries() {
    $('deliveries-refresh').addEventListener('click', loadDeliveries);
    $('deliveries-state').addEventListener('change', loadDeliveries);
  }

  // ---- start

  document.addEventListener('DOMContentLoaded', function () {
    initToken();
    initWorlds();
    initClock();
    initJournal();
    initInbox();
    initDeliveries();
    window.addEventListener('hashchange', route);
    start();
  });
}());
