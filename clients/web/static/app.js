/* samhand web client: what every page shares. No framework, no inline
   script (the Content-Security-Policy forbids it). Every word shown comes
   from i18n/nb.json; elements name their text with data-i18n. */
'use strict';

const samhand = (() => {
  let words = {};
  let me = null;
  const zone = 'Europe/Oslo';

  function t(key, args) {
    let s = Object.prototype.hasOwnProperty.call(words, key) ? words[key] : key;
    if (args) {
      for (const [k, v] of Object.entries(args)) s = s.split('{' + k + '}').join(String(v));
    }
    return s;
  }
  // A word for an enum-like name, falling back to the name itself.
  function word(prefix, name) {
    const key = prefix + '.' + name;
    return Object.prototype.hasOwnProperty.call(words, key) ? words[key] : name;
  }

  function translate(root) {
    root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => {
      el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
    });
    root.querySelectorAll('[data-i18n-label]').forEach((el) => {
      el.setAttribute('aria-label', t(el.dataset.i18nLabel));
    });
  }

  // 1. desember 2026 14:05 (Norwegian time)
  function when(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    if (isNaN(d)) return '';
    return new Intl.DateTimeFormat('nb-NO', {
      timeZone: zone, day: 'numeric', month: 'long', year: 'numeric',
      hour: '2-digit', minute: '2-digit',
    }).format(d);
  }
  // 01.12.2026 14:05, for tables
  function short(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    if (isNaN(d)) return '';
    return new Intl.DateTimeFormat('nb-NO', {
      timeZone: zone, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit',
    }).format(d);
  }
  function day(iso) {
    if (!iso) return '';
    const d = new Date(iso.length === 10 ? iso + 'T12:00:00Z' : iso);
    if (isNaN(d)) return iso;
    return new Intl.DateTimeFormat('nb-NO', { timeZone: zone, day: '2-digit', month: '2-digit', year: 'numeric' }).format(d);
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  async function request(method, path, data) {
    const opts = { method, credentials: 'same-origin', headers: {} };
    if (method === 'POST') {
      opts.headers['Content-Type'] = 'application/x-www-form-urlencoded';
      if (me) opts.headers['X-CSRF-Token'] = me.csrf;
      opts.body = data instanceof URLSearchParams ? data : new URLSearchParams(data || {});
    }
    let r;
    try { r = await fetch(path, opts); } catch (e) { return { status: 0, body: { error: { code: 'NO_ANSWER' } } }; }
    let body = {};
    try { body = await r.json(); } catch (e) { body = {}; }
    if (r.status === 401 && path !== '/login') {
      location.href = '/login.html?ended=1';
    }
    return { status: r.status, body };
  }
  const get = (path) => request('GET', path);
  const post = (path, data) => request('POST', path, data);

  function errorText(error) {
    if (!error) return '';
    if (error.code === 'NO_ANSWER') return t('app.no_answer');
    const key = 'error.' + error.code;
    if (Object.prototype.hasOwnProperty.call(words, key)) {
      return t(key, { field: error.field ? word('field', error.field) : '', text: '' });
    }
    return t('app.error', { code: error.code });
  }

  // Message area: role=status (polite) or role=alert.
  function say(target, text, kind) {
    target.textContent = '';
    target.className = 'message ' + (kind || 'info');
    target.append(el('p', { text }));
    target.hidden = false;
  }

  // The navigation, by what the person's role may do.
  function nav(current) {
    const items = [
      ['live.html', 'nav.live', null],
      ['ny.html', 'nav.new', 'concern'],
      ['innboks.html', 'nav.inbox', 'read'],
      ['sak.html', 'nav.case', 'read'],
      ['plan.html', 'nav.plan', 'plan_read'],
      ['drofting.html', 'nav.discussion', 'discussion'],
      ['koordinator.html', 'nav.coordinator', 'consent'],
      ['mine.html', 'nav.mine', null],
      ['admin.html', 'nav.admin', 'admin'],
    ];
    const ul = el('ul');
    for (const [href, key, needs] of items) {
      if (needs && !me.may.includes(needs)) continue;
      const a = el('a', { href: '/' + href, text: t(key) });
      if (href === current) a.setAttribute('aria-current', 'page');
      ul.append(el('li', {}, a));
    }
    const logout = el('button', { type: 'button', class: 'link', text: t('app.logout'),
      onclick: async () => { await post('/logout'); location.href = '/login.html'; } });
    const who = el('p', { class: 'who', text: t('app.logged_in_as', {
      user: me.user, role: word('role', me.role), agency: word('agency', me.agency) || me.node }) });
    const header = document.querySelector('header');
    header.append(el('nav', { 'aria-label': t('app.nav') }, ul), who, logout);
  }

  // Unread count in the title, kept by the pages that know it.
  let baseTitle = '';
  function unread(n) {
    document.title = n > 0 ? t('app.unread_title', { n, title: baseTitle }) : baseTitle;
  }

  // Logs out in the page too when the server's idle limit has passed.
  function idleWatch() {
    let last = Date.now();
    const bump = () => { last = Date.now(); };
    ['keydown', 'click'].forEach((e) => document.addEventListener(e, bump));
    setInterval(() => {
      if (Date.now() - last > me.idle_seconds * 1000 + 1000) location.href = '/login.html?ended=1';
    }, 5000);
  }

  async function start(page, titleKey) {
    const r = await fetch('/i18n/nb.json', { credentials: 'same-origin' });
    words = await r.json();
    document.documentElement.lang = 'nb';
    baseTitle = t(titleKey);
    document.title = baseTitle;
    translate(document);
    if (page === 'login.html') return null;
    const m = await get('/api/me');
    if (m.status !== 200) return null;
    me = m.body;
    nav(page);
    idleWatch();
    return me;
  }

  return { t, word, when, short, day, el, get, post, say, errorText, start, unread, translate,
           me: () => me };
})();

/* Norwegian national identity number (fødselsnummer / D-number): two
   mod-11 check digits. Shows the result beside the field as you type. */
samhand.fnrValid = function (s) {
  if (!/^[0-9]{11}$/.test(s)) return false;
  const d = s.split('').map(Number);
  const w1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
  const w2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
  let k1 = 11 - (w1.reduce((a, w, i) => a + w * d[i], 0) % 11);
  if (k1 === 11) k1 = 0;
  if (k1 === 10 || k1 !== d[9]) return false;
  let k2 = 11 - (w2.reduce((a, w, i) => a + w * d[i], 0) % 11);
  if (k2 === 11) k2 = 0;
  return k2 !== 10 && k2 === d[10];
};

samhand.fnrWatch = function (input, note) {
  const check = () => {
    const v = input.value.replace(/\s/g, '');
    if (!v) {
      note.textContent = samhand.t('person.national_id_hint');
      input.removeAttribute('aria-invalid');
      note.className = 'hint';
    } else if (v.length < 11 && /^[0-9]*$/.test(v)) {
      note.textContent = samhand.t('person.national_id_short', { n: v.length });
      input.removeAttribute('aria-invalid');
      note.className = 'hint';
    } else if (samhand.fnrValid(v)) {
      note.textContent = samhand.t('person.national_id_ok');
      input.setAttribute('aria-invalid', 'false');
      note.className = 'hint ok';
    } else {
      note.textContent = samhand.t('person.national_id_bad');
      input.setAttribute('aria-invalid', 'true');
      note.className = 'hint bad';
    }
  };
  input.addEventListener('input', check);
  check();
};

// Check boxes for a list of names, with words from PREFIX.
samhand.checks = function (fieldset, name, values, prefix) {
  for (const v of values) {
    const id = fieldset.id + '_' + v.replace(/[^a-z0-9_]/g, '_');
    fieldset.append(samhand.el('div', { class: 'check' },
      samhand.el('input', { type: 'checkbox', id, name, value: v }),
      samhand.el('label', { for: id, text: samhand.word(prefix, v) })));
  }
};

// The submit answer in plain words: per agency, what it got and why.
samhand.decisions = function (target, body) {
  const { t, word, el } = samhand;
  target.textContent = '';
  target.hidden = false;
  if (!body.accepted) {
    target.className = 'message bad';
    target.append(el('p', { text: t('new.refused') }), el('p', { text: samhand.errorText(body.error) }));
    return;
  }
  target.className = 'message ok';
  target.append(el('p', { text: t('new.sent') }));
  if (body.case_ref) target.append(el('p', { text: t('new.case_ref', { ref: body.case_ref }) }));
  if (body.decisions && body.decisions.length) {
    target.append(el('h2', { text: t('new.decisions') }));
    const ul = el('ul', { class: 'decisions' });
    for (const d of body.decisions) {
      ul.append(el('li', { 'data-agency': d.agency },
        el('p', { text: t('new.decision', { agency: word('agency', d.agency),
          view: word('view', d.view || 'not_shown'),
          why: word('rule', d.rule) }) }),
        el('p', { class: 'basis', text: t('new.basis', { basis: samhand.basis(d.rule, d.legal_basis) }) })));
    }
    target.append(ul);
  }
};

// The legal basis of a rule in Norwegian, else the broker's own words.
samhand.basis = function (rule, text) {
  const w = samhand.word('basis', rule);
  return w !== rule ? w : (text || '');
};

// dd.mm.åååå (or d.m.åååå, or åååå-mm-dd) as åååå-mm-dd, or null.
samhand.isoDate = function (text) {
  const s = text.trim();
  let m = /^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$/.exec(s);
  let y, mo, d;
  if (m) { d = +m[1]; mo = +m[2]; y = +m[3]; }
  else if ((m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s))) { y = +m[1]; mo = +m[2]; d = +m[3]; }
  else return null;
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return String(y).padStart(4, '0') + '-' + String(mo).padStart(2, '0') + '-' + String(d).padStart(2, '0');
};

// A form's values, check boxes and radios included, for samhand.post.
// Dates (data-date) go as åååå-mm-dd; a date that is not one marks its
// field, says so beside it, and returns null (nothing is sent).
samhand.formData = function (form) {
  const data = new URLSearchParams();
  let ok = true;
  for (const e of form.elements) {
    if (!e.name || e.disabled) continue;
    if ((e.type === 'checkbox' || e.type === 'radio') && !e.checked) continue;
    if (e.value === '' && e.type !== 'checkbox') continue;
    let v = e.type === 'text' || e.tagName === 'TEXTAREA' ? e.value.trim() : e.value;
    if (e.dataset.date) {
      const iso = samhand.isoDate(v);
      const note = document.getElementById(e.id + '_error') ||
        samhand.el('p', { id: e.id + '_error', class: 'hint bad', role: 'alert' });
      if (!iso) {
        ok = false;
        e.setAttribute('aria-invalid', 'true');
        e.setAttribute('aria-describedby', note.id);
        note.textContent = samhand.t('date.invalid');
        if (!note.parentNode) e.after(note);
        continue;
      }
      e.removeAttribute('aria-invalid');
      if (note.parentNode) note.remove();
      v = iso;
    }
    data.append(e.name, v);
  }
  return ok ? data : null;
};
