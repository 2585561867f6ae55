'use strict';
document.addEventListener('DOMContentLoaded', async () => {
  if (!await samhand.start('mine.html', 'title.mine')) return;
  const { t, el, word, when } = samhand;
  const box = document.getElementById('messages');
  const empty = document.getElementById('empty');
  const msg = document.getElementById('msg');

  async function load() {
    const r = await samhand.get('/api/sent');
    if (r.status !== 200) { samhand.say(msg, samhand.errorText(r.body.error), 'bad'); return; }
    box.textContent = '';
    empty.hidden = r.body.messages.length > 0;
    for (const m of r.body.messages) {
      const s = m.status || { state: m.answer, nodes: [] };
      const table = el('table', { 'data-message': m.message_id },
        el('caption', { text: t('mine.caption', { kind: word('kind', m.kind), when: when(s.submitted_at),
          by: m.author && m.author !== '-' ? t('mine.by', { author: m.author }) : '',
          state: word('state', s.state) }) + (m.case_ref ? ' – ' + m.case_ref : '') }),
        el('thead', {}, el('tr', {}, ...['mine.agency', 'mine.node', 'mine.view', 'mine.state', 'mine.received', 'mine.read']
          .map((k) => el('th', { scope: 'col', text: t(k) })))));
      const tbody = el('tbody');
      for (const n of s.nodes || []) {
        tbody.append(el('tr', { 'data-node': n.node, 'data-state': n.state },
          el('td', { text: word('agency', n.agency) }), el('td', { text: n.node }),
          el('td', { text: word('view', n.view) }), el('td', { class: 'state', text: word('state', n.state) }),
          el('td', { text: samhand.short(n.received_at) }), el('td', { text: samhand.short(n.read_at) })));
      }
      table.append(tbody);
      box.append(el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': table.caption.textContent }, table));
    }
  }
  await load();
  // Status reports pushed by the broker: reload (a recipient read one).
  const source = new EventSource('/api/events');
  source.onmessage = (ev) => {
    try { if (JSON.parse(ev.data).type === 'status') load(); } catch (x) { /* ignore */ }
  };
});
