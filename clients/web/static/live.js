'use strict';
document.addEventListener('DOMContentLoaded', async () => {
  if (!await samhand.start('live.html', 'title.live')) return;
  const { t, el } = samhand;
  const list = document.getElementById('events');
  const empty = document.getElementById('empty');
  const count = document.getElementById('count');
  const link = document.getElementById('link');
  const alertBox = document.getElementById('alert');
  const notifyButton = document.getElementById('notify');
  const shown = new Set();
  if (!('Notification' in window) || Notification.permission === 'granted') notifyButton.hidden = true;
  notifyButton.addEventListener('click', async () => {
    const p = await Notification.requestPermission();
    if (p === 'granted') { notifyButton.hidden = true; samhand.say(alertBox, t('live.notify_on')); }
  });
  const show = (item, fresh) => {
    if (shown.has(item.delivery_id) || item.read) return;
    shown.add(item.delivery_id);
    empty.hidden = true;
    const acute = samhandItems.acute(item);
    const li = el('li', { class: acute ? 'acute unread' : 'unread', 'data-delivery': item.delivery_id,
      'data-kind': item.kind },
      el('p', {}, acute ? el('span', { class: 'badge acute', text: t('inbox.acute') }) : null,
        el('strong', { text: samhandItems.summary(item) })),
      samhandItems.details(item),
      el('p', {}, el('a', { href: '/innboks.html#d' + item.delivery_id, text: t('live.open_inbox') })));
    list.prepend(li);
    if (fresh && acute) samhand.say(alertBox, samhandItems.summary(item), 'bad');
    count.textContent = t('live.unread', { n: samhandEvents.count() });
  };
  await samhandEvents.start(show, null, (up) => { link.textContent = t(up ? 'live.connected' : 'live.disconnected'); });
  count.textContent = t('live.unread', { n: samhandEvents.count() });
});
