/* The server-sent event stream of the node's deliveries and status
   reports, with the unread count in the page title and a sound and a
   browser notification for an acute concern or an escalation. Used by
   every page that shows incoming work. */
'use strict';

const samhandEvents = (() => {
  const unread = new Set();
  let audio = null;

  // How many sounds and notifications this page has raised, on <body>
  // (data-sounds, data-notifications), so a person's tools and the tests
  // can see that an alarm went off.
  function counted(name) {
    const b = document.body.dataset;
    b[name] = String(Number(b[name] || 0) + 1);
  }

  function beep() {
    counted('sounds');
    try {
      audio = audio || new AudioContext();
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.frequency.value = 880;
      g.gain.value = 0.2;
      o.connect(g);
      g.connect(audio.destination);
      o.start();
      o.stop(audio.currentTime + 0.6);
    } catch (e) { /* no sound available */ }
  }

  function notify(text) {
    try {
      if ('Notification' in window && Notification.permission === 'granted') {
        new Notification(samhand.t('app.name'), { body: text, tag: 'samhand' });
        counted('notifications');
      }
    } catch (e) { /* notifications unavailable */ }
  }

  // Calls ONITEM (item, isNew) for each delivery and ONSTATUS (report).
  async function start(onItem, onStatus, onLink) {
    const r = await samhand.get('/api/inbox');
    if (r.status === 200) {
      for (const item of r.body.items) if (!item.read) unread.add(item.delivery_id);
      samhand.unread(unread.size);
      if (onItem) for (const item of r.body.items) onItem(item, false);
    }
    const source = new EventSource('/api/events');
    source.onopen = () => onLink && onLink(true);
    source.onerror = () => onLink && onLink(false);
    source.onmessage = (ev) => {
      let e;
      try { e = JSON.parse(ev.data); } catch (x) { return; }
      if (e.type === 'deliver') {
        const item = e.item;
        const fresh = !unread.has(item.delivery_id);
        unread.add(item.delivery_id);
        samhand.unread(unread.size);
        const escalation = item.alert && item.alert.type === 'escalation';
        if (fresh && (escalation || (item.kind === 'concern_report' && samhandItems.acute(item)))) {
          beep();
          notify(samhand.t(escalation ? 'live.escalation_notice' : 'live.acute_notice'));
        }
        if (onItem) onItem(item, fresh);
      } else if (e.type === 'status' && onStatus) {
        onStatus(e);
      }
    };
    return source;
  }

  function markRead(id) {
    unread.delete(id);
    samhand.unread(unread.size);
  }

  return { start, markRead, count: () => unread.size };
})();
