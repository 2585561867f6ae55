'use strict';
/* The composer shows the broker's identifier check inline: each finding
   (field, byte offset, length) is marked in a copy of the text, listed
   with a button that selects it in the text area, so the writer can
   remove it and send again. */
document.addEventListener('DOMContentLoaded', async () => {
  if (!await samhand.start('drofting.html', 'title.discussion')) return;
  const { t, el, word } = samhand;
  const form = document.getElementById('discussion');
  const box = document.getElementById('findings');
  const result = document.getElementById('result');

  // UTF-8 byte offset -> string index.
  function index(text, bytes) {
    const enc = new TextEncoder();
    let b = 0;
    let i = 0;
    for (const ch of text) {
      if (b >= bytes) return i;
      b += enc.encode(ch).length;
      i += ch.length;
    }
    return i;
  }

  function show(findings) {
    box.textContent = '';
    box.hidden = false;
    box.className = 'message bad';
    box.append(el('p', { text: t('discussion.refused') }), el('p', { text: t('discussion.findings') }));
    const byField = { text: form.text, question: form.question };
    const ul = el('ul');
    for (const [name, area] of Object.entries(byField)) {
      const mine = findings.filter((f) => (f.field || 'text') === name)
        .map((f) => ({ ...f, from: index(area.value, f.offset), to: index(area.value, f.offset + f.length) }))
        .sort((a, b) => a.from - b.from);
      if (!mine.length) { area.removeAttribute('aria-invalid'); continue; }
      area.setAttribute('aria-invalid', 'true');
      const preview = el('p', { class: 'preview', 'data-field': name });
      let at = 0;
      for (const f of mine) {
        if (f.from < at) continue;
        preview.append(area.value.slice(at, f.from), el('mark', { text: area.value.slice(f.from, f.to) }));
        at = f.to;
        const label = t('finding.at', { kind: word('finding', f.kind), field: document.querySelector('label[for=' + name + ']').textContent, from: f.from + 1, to: f.to });
        ul.append(el('li', {}, el('span', { text: label + ' ' }),
          el('button', { type: 'button', class: 'link', text: t('discussion.go'),
            onclick: () => { area.focus(); area.setSelectionRange(f.from, f.to); } })));
      }
      preview.append(area.value.slice(at));
      box.append(preview);
    }
    box.append(ul);
    const first = findings.length ? byField[findings[0].field || 'text'] : form.text;
    const f0 = findings[0];
    if (f0) {
      first.focus();
      first.setSelectionRange(index(first.value, f0.offset), index(first.value, f0.offset + f0.length));
    }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    result.hidden = true;
    const r = await samhand.post('/api/discussion', samhand.formData(form));
    if (r.status === 200 && r.body.accepted) {
      box.hidden = true;
      form.text.removeAttribute('aria-invalid');
      form.question.removeAttribute('aria-invalid');
      samhand.decisions(result, r.body);
      result.querySelector('p').textContent = t('discussion.sent');
      form.reset();
    } else if (r.body.error && r.body.error.code === 'IDENTIFIER_FOUND') {
      show(r.body.error.findings || []);
    } else {
      samhand.say(result, samhand.errorText(r.body.error), 'bad');
    }
  });
});
