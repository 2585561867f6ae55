'use strict';
document.addEventListener('DOMContentLoaded', async () => {
  if (!await samhand.start('innboks.html', 'title.inbox')) return;
  const { t, el } = samhand;
  const list = document.getElementById('items');
  const empty = document.getElementById('empty');
  const msg = document.getElementById('msg');
  const items = new Map();

  async function open(item, li, button) {
    const details = li.querySelector('.details');
    if (details) {
      details.remove();
      button.setAttribute('aria-expanded', 'false');
      button.textContent = t('inbox.open');
      return;
    }
    li.append(samhandItems.details(item, false));
    button.setAttribute('aria-expanded', 'true');
    button.textContent = t('inbox.close');
    if (!item.read) {
      const r = await samhand.post('/api/read', { delivery_id: item.delivery_id });
      if (r.status === 200) {
        item.read = true;
        samhandEvents.markRead(item.delivery_id);
        li.classList.remove('unread');
        li.querySelector('.state').textContent = t('inbox.read');
        samhand.say(msg, t('inbox.marked_read'), 'ok');
      } else {
        samhand.say(msg, samhand.errorText(r.body.error), 'bad');
      }
    }
  }

  function render() {
    const all = [...items.values()];
    all.sort((a, b) => (a.read - b.read) || (samhandItems.acute(b) - samhandItems.acute(a)) ||
      String(b.submitted_at).localeCompare(String(a.submitted_at)));
    list.textContent = '';
    empty.hidden = all.length > 0;
    for (const item of all) {
      const acute = samhandItems.acute(item) && !item.read;
      const button = el('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false',
        id: 'open' + item.delivery_id, text: t('inbox.open') });
      const li = el('li', { class: (item.read ? '' : 'unread') + (acute ? ' acute' : ''), id: 'd' + item.delivery_id,
        'data-delivery': item.delivery_id, 'data-kind': item.kind },
        el('p', {}, acute ? el('span', { class: 'badge acute', text: t('inbox.acute') }) : null,
          el('span', { class: 'badge state', text: t(item.read ? 'inbox.read' : 'inbox.unread') }),
          el('strong', { text: samhandItems.summary(item) })),
        el('p', { class: 'hint', text: t('inbox.from', { agency: samhand.word('agency', item.sender_agency || ''),
          node: item.sender_node || '' }) }),
        button);
      button.addEventListener('click', () => open(item, li, button));
      list.append(li);
    }
  }

  let ready = false;
  await samhandEvents.start((item) => {
    if (!items.has(item.delivery_id)) items.set(item.delivery_id, item);
    if (ready) render();
  }, null, null);
  ready = true;
  render();
  const target = location.hash && document.getElementById('open' + location.hash.slice(2));
  if (target) target.focus();
});
