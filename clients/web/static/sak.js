'use strict';
document.addEventListener('DOMContentLoaded', async () => {
  if (!await samhand.start('sak.html', 'title.case')) return;
  const { t, el, word, day } = samhand;
  const form = document.getElementById('case');
  const msg = document.getElementById('msg');
  const summary = document.getElementById('summary');
  const list = document.getElementById('timeline');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const ref = form.case_ref.value.trim();
    const r = await samhand.post('/api/case', { case_ref: ref });
    list.textContent = '';
    summary.textContent = '';
    if (r.status !== 200) { samhand.say(msg, samhand.errorText(r.body.error), 'bad'); return; }
    const items = r.body.items.slice().sort((a, b) => String(a.submitted_at).localeCompare(String(b.submitted_at)));
    msg.hidden = items.length > 0;
    if (!items.length) samhand.say(msg, t('case.empty'));
    const levels = items.filter((i) => i.level);
    if (levels.length) {
      summary.append(el('h2', { text: t('case.level') }),
        el('ol', {}, ...levels.map((i) => el('li', { text: samhand.when(i.submitted_at) + ': ' + word('level', i.level) }))));
      const last = levels[levels.length - 1];
      if (last.review_by) summary.append(el('p', { text: t('case.review', { date: day(last.review_by) }) }));
    }
    const weekly = items.filter((i) => i.kind === 'case_status');
    if (weekly.length) {
      const days = Math.floor((Date.now() - new Date(weekly[weekly.length - 1].submitted_at)) / 86400000);
      summary.append(el('p', { text: days >= 7 ? t('case.weekly_due', { days }) : t('case.weekly_ok') }));
    } else if (items.length) {
      summary.append(el('p', { text: t('case.weekly_none') }));
    }
    for (const item of items) {
      list.append(el('li', { class: samhandItems.acute(item) ? 'acute' : '' },
        el('p', {}, el('strong', { text: samhandItems.summary(item) })), samhandItems.details(item)));
    }
    if (r.body.sent && r.body.sent.length) {
      summary.append(el('h2', { text: t('case.sent') }),
        el('ul', {}, ...r.body.sent.map((s) => el('li', { text: word('kind', s.kind) + (s.author !== '-' ? ' – ' + s.author : '') }))));
    }
  });
});
