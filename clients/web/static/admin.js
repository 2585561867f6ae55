'use strict';
document.addEventListener('DOMContentLoaded', async () => {
  if (!await samhand.start('admin.html', 'title.admin')) return;
  const { t, el, word, when } = samhand;
  document.getElementById('verify').addEventListener('click', async () => {
    const out = document.getElementById('verify_result');
    const r = await samhand.get('/api/admin/verify');
    if (r.status !== 200) samhand.say(out, samhand.errorText(r.body.error), 'bad');
    else if (r.body.intact) samhand.say(out, t('admin.intact', { n: r.body.records }), 'ok');
    else samhand.say(out, t('admin.broken', { problem: r.body.problem }), 'bad');
  });
  async function dead() {
    const out = document.getElementById('dead_result');
    const list = document.getElementById('dead');
    const r = await samhand.get('/api/admin/dead-letters');
    list.textContent = '';
    if (r.status !== 200) { samhand.say(out, samhand.errorText(r.body.error), 'bad'); return; }
    if (!r.body.dead_letters.length) list.append(el('li', { text: t('admin.dead_empty') }));
    for (const d of r.body.dead_letters) {
      list.append(el('li', {}, el('p', { text: t('admin.dead_row', { id: d.delivery_id, kind: word('kind', d.kind),
        node: d.node, attempts: d.attempts, sender: d.sender, when: when(d.submitted_at) }) }),
      el('button', { type: 'button', class: 'secondary', text: t('admin.requeue'), onclick: async () => {
        const q = await samhand.post('/api/admin/requeue', { delivery_id: d.delivery_id });
        samhand.say(out, q.status === 200 ? t('admin.requeued') : samhand.errorText(q.body.error), q.status === 200 ? 'ok' : 'bad');
        dead();
        nodes();
      } })));
    }
  }
  dead();
  // Nodes connected and deliveries waiting (BrokerStatus).
  async function nodes() {
    const out = document.getElementById('nodes_result');
    const box = document.getElementById('nodes');
    const r = await samhand.get('/api/admin/status');
    box.textContent = '';
    if (r.status !== 200) { samhand.say(out, samhand.errorText(r.body.error), 'bad'); return; }
    const cols = ['node', 'connected', 'last_seen', 'pending', 'oldest'];
    const tbody = el('tbody');
    for (const n of r.body.nodes) {
      tbody.append(el('tr', { 'data-node': n.node, 'data-connected': n.connected ? '1' : '0' },
        el('td', { text: n.node }), el('td', { text: t(n.connected ? 'admin.connected' : 'admin.disconnected') }),
        el('td', { text: samhand.short(n.last_seen) }), el('td', { text: String(n.pending) }),
        el('td', { text: n.pending ? String(n.oldest_pending_age_s) : '' })));
    }
    box.append(el('table', {}, el('caption', { text: t('admin.nodes') }),
      el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', { scope: 'col', text: t('admin.col.' + c) })))), tbody));
  }
  nodes();
  const who = document.getElementById('who');
  who.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = document.getElementById('who_result');
    const box = document.getElementById('who_table');
    box.textContent = '';
    out.hidden = true;
    const data = samhand.formData(who);
    if (!data) return;
    const r = await samhand.post('/api/admin/who-received', data);
    if (r.status !== 200) { samhand.say(out, samhand.errorText(r.body.error), 'bad'); return; }
    if (!r.body.entries.length) { samhand.say(out, t('admin.who_empty')); return; }
    const cols = ['time', 'event', 'sender', 'node', 'agency', 'view', 'rule', 'legal_basis'];
    const table = el('table', {}, el('caption', { text: t('admin.who') }),
      el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', { scope: 'col', text: t('admin.col.' + c) })))));
    const tbody = el('tbody');
    for (const e of r.body.entries) {
      tbody.append(el('tr', {}, el('td', { text: samhand.short(e.time) }), el('td', { text: word('event', e.event) }),
        el('td', { text: e.sender || '' }),
        el('td', { text: e.node || '' }), el('td', { text: word('agency', e.agency || '') }),
        el('td', { text: word('view', e.view || '') }), el('td', { text: word('rule', e.rule || '') }),
        el('td', { text: e.legal_basis || '' })));
    }
    table.append(tbody);
    box.append(table);
  });
});
