'use strict';
/* Screen 9: the risk plan of a case in this agency's view (the broker cut
   it), laid out like the paper form (risikohåndteringsplan, as the CLI's
   cli_plan_text), its history, the coordinator's edits and a print view.
   An edit is made from the revision the page showed (base): the fields
   for level, imminent, measures, next evaluation and note go as they
   are; each list part the coordinator changed (situations, factors,
   steps, follow-up, contacts, critical information) goes whole, as JSON
   in "parts". When someone saved in between, the broker refuses it
   (REVISION_CONFLICT): the page shows the newer version and keeps the
   coordinator's unsaved changes in the form and in words. */
document.addEventListener('DOMContentLoaded', async () => {
  const me = await samhand.start('plan.html', 'title.plan');
  if (!me) return;
  const { t, el, word, day } = samhand;
  const mayEdit = me.may.includes('plan');
  const MEASURES = ['violence_alarm', 'restraining_order', 'reverse_violence_alarm', 'relocation', 'safety_plan',
    'crisis_bed', 'secret_address', 'other'];
  const COURT = MEASURES.slice(0, 3);
  const AGENCIES = ['resource_centre', 'tryggest', 'police_risk', 'crisis_centre'];
  const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
  // The list parts of the plan, as the edit form lays them out. A field's
  // "field" is the broker's name for it (its refusals name it).
  const PARTS = [
    { key: 'risk_situations', one: 'plan.situation_one', added: 'plan.situation_new', add: 'plan.add_situation' },
    { key: 'risk_factors', one: 'plan.factor_one', added: 'plan.factor_new', add: 'plan.add_factor' },
    { key: 'steps', one: 'plan.step_row', added: 'plan.step_new', add: 'plan.add_step', fields: [
      { key: 'step', label: 'plan.step_number', options: ['1', '2', '3'], number: true },
      { key: 'responsible', label: 'plan.responsible', options: AGENCIES, words: 'plan.agency' },
      { key: 'situation', label: 'plan.situation', field: 'situation', required: true },
      { key: 'action', label: 'plan.action', field: 'action', required: true, area: true }] },
    { key: 'follow_up', one: 'plan.activity_row', added: 'plan.activity_new', add: 'plan.add_activity', fields: [
      { key: 'day', label: 'plan.day', options: DAYS, words: 'day' },
      { key: 'activity', label: 'plan.activity', field: 'activity', required: true },
      { key: 'responsible', label: 'plan.responsible', options: [''].concat(AGENCIES), words: 'plan.agency',
        none: 'plan.agency_none' }] },
    { key: 'contacts', one: 'plan.contact_row', added: 'plan.contact_new', add: 'plan.add_contact', fields: [
      { key: 'instance', label: 'plan.instance', field: 'instance' },
      { key: 'agency', label: 'plan.contact_agency', options: [''].concat(AGENCIES), words: 'plan.agency',
        none: 'plan.contact_agency_none' },
      { key: 'name', label: 'plan.name', field: 'name' },
      { key: 'role', label: 'plan.role', field: 'role' },
      { key: 'phone', label: 'plan.phone', field: 'phone', tel: true }] },
  ];
  const open = document.getElementById('open');
  const msg = document.getElementById('msg');
  const tools = document.getElementById('tools');
  const article = document.getElementById('plan');
  const historySection = document.getElementById('history_section');
  const history = document.getElementById('history');
  const editSection = document.getElementById('edit_section');
  const edit = document.getElementById('edit');
  const evaluate = document.getElementById('evaluate');
  const editResult = document.getElementById('edit_result');
  const editError = document.getElementById('edit_error');
  const critical = document.getElementById('e_critical');
  const evaluateResult = document.getElementById('evaluate_result');
  let ref = '';
  let base = 0;             // the revision this page showed: an edit is made from it
  let shown = null;         // that revision's plan (null: a new plan)

  samhand.checks(document.getElementById('add_measure'), 'add_measure', MEASURES, 'measure');
  samhand.fnrWatch(document.getElementById('e_national_id'), document.getElementById('e_national_id_check'));
  const newSubject = document.getElementById('new_subject');
  document.getElementById('print').addEventListener('click', () => window.print());

  const dash = (v) => (v === undefined || v === null || v === '' ? '–' : String(v));
  const agencyWords = (a) => (a ? t('plan.agency.' + a) : '–');
  function table(caption, cols, rows) {
    const tb = el('tbody');
    for (const r of rows) tb.append(el('tr', {}, ...r.map((c) => el('td', { text: dash(c) }))));
    return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
      el('table', {}, el('caption', { text: caption }),
        el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', { scope: 'col', text: c })))), tb));
  }
  function list(items) {
    if (!items || !items.length) return el('p', { text: '–' });
    return el('ol', {}, ...items.map((s) => el('li', { text: s })));
  }

  // The paper form, section by section.
  // The date the plan is next evaluated: set by the latest of the revision
  // and the evaluations recorded since.
  function nextEvaluation(body) {
    const p = body.plan;
    let next = p.next_evaluation || '';
    let at = p.edited_at || '';
    for (const e of body.evaluations || []) {
      if (e.evaluated_at >= at && e.next_date) { at = e.evaluated_at; next = e.next_date; }
    }
    return next;
  }

  function render(body) {
    const p = body.plan;
    const next = nextEvaluation(body);
    article.textContent = '';
    article.append(el('h2', { id: 'plan_title', text: t('plan.form_title') }),
      el('p', { text: t('plan.updated', { when: samhand.when(p.edited_at) || '–', rev: p.revision,
        who: dash(p.edited_by) }) }),
      el('p', { class: 'status-line', text: t('plan.view', { view: word('view', body.view),
        why: word('rule', body.rule || '') }) }));
    const s = p.subject;
    const facts = [
      [t('plan.case_ref'), p.case_ref],
      [t('plan.subject'), s ? s.name : t('plan.not_in_view')],
    ];
    if (s) {
      facts.push([t('plan.pid'), s.national_id], [t('plan.born'), s.birth_date ? day(s.birth_date) : ''],
        [t('plan.phone'), s.phone]);
      if (s.address) facts.push([t('plan.address'), s.address]);
    }
    facts.push([t('plan.instrument'), p.instrument], [t('plan.level'), p.level ? word('level', p.level) : ''],
      [t('plan.imminent'), p.imminent ? t('plan.yes_caps') : t('plan.no')]);
    const court = COURT.map((m) => (p.measures.includes(m) ? '☒ ' : '☐ ') + t('plan.court.' + m)).join('   ');
    facts.push([t('plan.court'), court]);
    const others = p.measures.filter((m) => !COURT.includes(m)).map((m) => word('measure', m));
    if (others.length) facts.push([t('plan.other_measures'), others.join(', ')]);
    const dl = el('dl');
    for (const [k, v] of facts) dl.append(el('dt', { text: k }), el('dd', { text: dash(v) }));
    article.append(dl, el('h3', { text: t('plan.management') }),
      el('h4', { text: t('plan.situations') }), list(p.risk_situations),
      el('h4', { text: t('plan.factors') }), list(p.risk_factors));
    if (p.steps.length) {
      article.append(table(t('plan.steps'), [t('plan.step'), t('plan.situation'), t('plan.action'), t('plan.responsible')],
        p.steps.map((x) => [t('plan.step_n', { n: x.step }), x.situation, x.action,
          agencyWords(x.responsible) + (x.text_clean === false ? ' ' + t('plan.step_unclean') : '')])));
    } else {
      article.append(el('p', { text: t('plan.no_steps') }));
    }
    article.append(el('h3', { text: t('plan.follow_up') }));
    article.append(p.follow_up.length
      ? table(t('plan.follow_up'), [t('plan.day'), t('plan.activity'), t('plan.responsible')],
        p.follow_up.map((a) => [word('day', a.day), a.activity, agencyWords(a.responsible)]))
      : el('p', { text: '–' }));
    article.append(el('h3', { text: t('plan.contacts') }));
    article.append(p.contacts.length
      ? table(t('plan.contacts'), [t('plan.instance'), t('plan.name'), t('plan.role'), t('plan.phone')],
        p.contacts.map((c) => [c.instance || agencyWords(c.agency), c.name, c.role, c.phone]))
      : el('p', { text: '–' }));
    if (p.primary_contact) article.append(el('p', { text: t('plan.primary', { node: p.primary_contact }) }));
    article.append(el('h3', { text: t('plan.critical') }), el('p', { class: 'preview-plain', text: dash(p.critical_info) }),
      el('p', { class: 'evaluation', text: t('plan.evaluated_monthly', { date: next ? day(next) : '–' }) }));
    if (p.changes) article.append(el('p', { text: t('plan.changes', { text: p.changes }) }));
    if (p.note) article.append(el('p', { text: t('plan.note_shown', { text: p.note }) }));
    article.hidden = false;
  }

  function renderHistory(body) {
    history.textContent = '';
    const revs = body.revisions.slice().sort((a, b) => b.revision - a.revision);
    history.append(table(t('plan.revisions'),
      [t('plan.col.revision'), t('plan.col.base'), t('plan.col.when'), t('plan.col.who'), t('plan.col.what')],
      revs.map((v) => [v.revision, v.base_revision, samhand.short(v.edited_at), v.edited_by,
        (v.significant ? t('plan.significant') + ' ' : '') + (v.purged ? t('plan.purged') : (v.changes || ''))])));
    history.append(el('h3', { text: t('plan.evaluations') }));
    if (!body.evaluations.length) history.append(el('p', { text: t('plan.no_evaluations') }));
    else {
      history.append(el('ul', { id: 'evaluations' }, ...body.evaluations.map((e) => {
        const row = t('plan.evaluation_row', { when: samhand.short(e.evaluated_at), who: e.evaluated_by,
          next: day(e.next_date) });
        return el('li', { text: e.note ? t('plan.evaluation_said', { row, note: e.note }) : row });
      })));
    }
    historySection.hidden = false;
  }

  // The current plan's measures as things the coordinator may remove.
  function removable(p) {
    const rm = document.getElementById('remove_measure');
    rm.querySelectorAll('.check').forEach((c) => c.remove());
    samhand.checks(rm, 'remove_measure', p ? p.measures : [], 'measure');
    rm.hidden = !p || !p.measures.length;
  }

  // ---- the list parts: one row per entry, changed in place, removed with
  // its check box; "add" puts a new empty row at the end. Row inputs have
  // no name: the page sends each part it changed whole, as JSON.
  let rowCount = 0;
  const blank = (part) => (part.fields ? Object.fromEntries(part.fields.map((f) => [f.key, f.number ? 1 : ''])) : '');
  // An entry as the form compares it: every field present ('' when empty).
  function normal(part, item) {
    if (!part.fields) return String(item || '');
    const o = {};
    for (const f of part.fields) {
      const v = item && item[f.key] !== undefined ? item[f.key] : '';
      o[f.key] = f.number ? Number(v) || 1 : String(v);
    }
    return o;
  }

  function fieldInput(part, f, id, value) {
    if (f.options) {
      return el('select', { id, 'data-key': f.key },
        ...f.options.map((o) => el('option', { value: o, selected: String(value) === o,
          text: o === '' ? t(f.none) : (f.words ? t(f.words + '.' + o) : o) })));
    }
    const attrs = { id, 'data-key': f.key, 'data-field': f.field, autocomplete: 'off' };
    if (f.area) return el('textarea', attrs, String(value));
    return el('input', Object.assign(attrs, { type: f.tel ? 'tel' : 'text', value: String(value) }));
  }

  function addRow(part, list, item, index) {
    const id = part.key + '_' + (++rowCount);
    const n = list.children.length + 1;
    const isNew = index === null;
    const title = isNew ? t(part.added) : t(part.one, { n });
    const remove = isNew ? null : el('div', { class: 'check' },
      el('input', { type: 'checkbox', id: id + '_remove', 'data-remove': '1' }),
      el('label', { for: id + '_remove', text: t('plan.remove_row', { what: title.toLowerCase() }) }));
    let row;
    if (!part.fields) {
      row = el('div', { class: 'row' }, el('label', { for: id, text: title }),
        el('input', { type: 'text', id, 'data-field': part.key, autocomplete: 'off', value: item }), remove);
    } else {
      row = el('fieldset', { class: 'row' }, el('legend', { text: title }),
        ...part.fields.flatMap((f) => [el('label', { for: id + '_' + f.key, text: t(f.label) }),
          fieldInput(part, f, id + '_' + f.key, item[f.key])]), remove);
    }
    row.dataset.index = isNew ? 'new' : String(index);
    list.append(row);
    return row;
  }

  function fillRows(part, items) {
    const box = document.getElementById('p_' + part.key);
    box.querySelectorAll('.rowlist, .add-row').forEach((e) => e.remove());
    const list = el('div', { class: 'rowlist' });
    items.forEach((item, i) => addRow(part, list, normal(part, item), i));
    const add = el('button', { type: 'button', class: 'secondary add-row', text: t(part.add),
      onclick: () => {
        const row = addRow(part, list, blank(part), null);
        row.querySelector('input, select, textarea').focus();
      } });
    box.append(list, add);
  }

  // The edit form made from PLAN (null: a new plan).
  function fill(p) {
    shown = p;
    removable(p);
    for (const part of PARTS) fillRows(part, p ? p[part.key] || [] : []);
    critical.value = p ? p.critical_info || '' : '';
  }

  // A row's entry as the form has it; null when it is removed or empty.
  function rowValue(part, row) {
    const removed = row.querySelector('[data-remove]');
    if (removed && removed.checked) return null;
    if (!part.fields) {
      const v = row.querySelector('input[type=text]').value.trim();
      return v === '' ? null : v;
    }
    const o = {};
    let any = false;
    for (const f of part.fields) {
      const e = row.querySelector('[data-key=' + f.key + ']');
      o[f.key] = f.number ? Number(e.value) : e.value.trim();
      if (!f.options && o[f.key] !== '') any = true;
    }
    return any ? o : null;
  }

  // The parts the coordinator changed, whole: { key: [...] }, or null
  // (after marking the rows that miss a required field).
  function changedParts() {
    const parts = {};
    let ok = true;
    for (const part of PARTS) {
      const list = [];
      document.getElementById('p_' + part.key).querySelectorAll('.row').forEach((row) => {
        const v = rowValue(part, row);
        if (v === null) return;
        for (const f of part.fields || []) {
          if (f.required && v[f.key] === '') {
            ok = false;
            invalid(row.querySelector('[data-key=' + f.key + ']'), t('plan.required', { field: t(f.label) }));
          }
        }
        list.push(v);
      });
      const before = (shown ? shown[part.key] || [] : []).map((x) => normal(part, x));
      if (JSON.stringify(list) !== JSON.stringify(before)) parts[part.key] = list;
    }
    if (critical.value.trim() !== (shown ? shown.critical_info || '' : '').trim()) {
      parts.critical_info = critical.value.trim();
    }
    return ok ? parts : null;
  }

  // ---- what the coordinator changed, in words (kept when a save is refused)
  function itemWords(part, v) {
    if (!part.fields) return v;
    if (part.key === 'steps') {
      return t('plan.step_n', { n: v.step }) + ': ' + v.situation + ' → ' + v.action + ' (' + agencyWords(v.responsible) + ')';
    }
    if (part.key === 'follow_up') return word('day', v.day) + ': ' + v.activity;
    return [v.instance, v.name, v.role, v.phone].filter((x) => x).join(', ');
  }
  function pendingWords() {
    const out = [];
    const level = edit.level.value;
    if (level) out.push(t('plan.level') + ': ' + word('level', level));
    if (edit.imminent.value) out.push(t('plan.imminent') + ': ' + t('plan.' + edit.imminent.value));
    edit.querySelectorAll('input[name=add_measure]:checked').forEach((c) => out.push(t('plan.pending.measure_added', { what: word('measure', c.value) })));
    edit.querySelectorAll('input[name=remove_measure]:checked').forEach((c) => out.push(t('plan.pending.measure_removed', { what: word('measure', c.value) })));
    for (const part of PARTS) {
      const name = t('plan.part.' + part.key);
      const before = shown ? shown[part.key] || [] : [];
      document.getElementById('p_' + part.key).querySelectorAll('.row').forEach((row) => {
        const v = rowValue(part, row);
        const i = row.dataset.index;
        if (i === 'new') {
          if (v !== null) out.push(t('plan.pending.added', { part: name, what: itemWords(part, v) }));
          return;
        }
        const old = normal(part, before[Number(i)]);
        if (v === null) out.push(t('plan.pending.removed', { part: name, what: itemWords(part, old) }));
        else if (JSON.stringify(v) !== JSON.stringify(old)) {
          out.push(t('plan.pending.changed', { part: name, from: itemWords(part, old), to: itemWords(part, v) }));
        }
      });
    }
    if (critical.value.trim() !== (shown ? shown.critical_info || '' : '').trim()) {
      out.push(t('plan.pending.critical', { what: critical.value.trim() || '–' }));
    }
    if (edit.next_evaluation.value) out.push(t('plan.next_evaluation') + ': ' + edit.next_evaluation.value);
    if (edit.note.value.trim()) out.push(t('plan.note') + ': ' + edit.note.value.trim());
    return out;
  }

  // ---- a refusal at its field: marked, said beside it, read out
  function invalid(input, text) {
    if (!input) return;
    const note = el('p', { id: input.id + '_error', class: 'hint bad field-error', text });
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', note.id);
    input.after(note);
  }
  function clearInvalid() {
    edit.querySelectorAll('.field-error').forEach((e) => e.remove());
    edit.querySelectorAll('[data-field][aria-invalid], [data-key][aria-invalid]').forEach((e) => {
      e.removeAttribute('aria-invalid');
      e.removeAttribute('aria-describedby');
    });
  }
  const bytes = (v) => new TextEncoder().encode(v).length;
  const phoneOk = (v) => /^\+?[0-9 ().-]*$/.test(v) && (v.match(/[0-9]/g) || []).length >= 8
    && (v.match(/[0-9]/g) || []).length <= 15 && v.length <= 24;
  // The broker names the field it refused ("field risk_situations is longer
  // than 256 bytes", "field ContactPoint.phone must be a phone number ...",
  // never the value): the inputs holding that field and a value it would
  // refuse are marked. Returns the words for the message, or null.
  function markRefusal(error) {
    const m = /^field (?:[A-Za-z]+\.)?([a-z_]+) (?:is longer than ([0-9]+) bytes|has more than ([0-9]+) entries|must be )/
      .exec(error.text || '');
    if (!m) return null;
    const field = m[1];
    const inputs = Array.from(edit.querySelectorAll('[data-field="' + field + '"]'))
      .filter((e) => !e.closest('[hidden]') && e.value.trim() !== '');
    let text;
    let bad;
    if (m[2]) {
      text = t('plan.too_long', { max: m[2] });
      bad = inputs.filter((e) => bytes(e.value.trim()) > Number(m[2]));
    } else if (m[3]) {
      text = t('plan.too_many', { max: m[3] });
      bad = inputs.slice(-1);
    } else {
      text = field === 'phone' ? t('plan.not_phone') : t('plan.field_refused');
      bad = field === 'phone' ? inputs.filter((e) => !phoneOk(e.value.trim())) : inputs;
    }
    bad.forEach((e) => invalid(e, text.charAt(0).toUpperCase() + text.slice(1) + '.'));
    if (bad.length) bad[0].focus();
    const name = word('field', field);
    return t('plan.refused_field', { field: name.charAt(0).toUpperCase() + name.slice(1), why: text });
  }

  function refuse(text) {
    editError.textContent = '';
    editError.className = 'message bad';
    editError.append(el('p', { text }));
    editError.hidden = false;
  }

  async function load() {
    const r = await samhand.post('/api/plan', { case_ref: ref });
    article.hidden = true;
    historySection.hidden = true;
    tools.hidden = true;
    editSection.hidden = true;
    editError.hidden = true;
    if (r.status !== 200) {
      base = 0;
      // No plan yet for a case this agency knows: the coordinator starts one.
      const none = r.status === 422 && mayEdit;
      samhand.say(msg, none ? t('plan.none_yet') : samhand.errorText(r.body.error), none ? 'info' : 'bad');
      if (none) {
        fill(null);
        newSubject.hidden = false;
        editSection.hidden = false;
        evaluate.hidden = true;
        document.getElementById('h_evaluate').hidden = true;
      }
      return r;
    }
    msg.hidden = true;
    base = r.body.current_revision;
    if (r.body.plan) render(r.body);
    else samhand.say(msg, t('plan.not_shared'));
    renderHistory(r.body);
    tools.hidden = !r.body.plan;
    if (mayEdit && r.body.view === 'identified' && r.body.plan) {
      fill(r.body.plan);
      newSubject.hidden = true;
      editSection.hidden = false;
      evaluate.hidden = false;
      document.getElementById('h_evaluate').hidden = false;
    }
    return r;
  }

  open.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ref = open.case_ref.value.trim();
    if (ref) load();
  });

  // Someone saved a newer revision meanwhile: it is shown above (the plan
  // and its history), the coordinator's changes stay in the form and are
  // listed; the form is made from the newer revision only when asked, so a
  // second save from the old one is refused again rather than lost.
  async function conflict(pending) {
    const r = await samhand.post('/api/plan', { case_ref: ref });
    editError.textContent = '';
    editError.className = 'message bad conflict';
    editError.append(el('p', { text: t('error.REVISION_CONFLICT') }));
    if (r.status === 200 && r.body.plan) {
      const p = r.body.plan;
      render(r.body);
      renderHistory(r.body);
      editError.append(el('p', { text: t('plan.conflict_newer', { rev: p.revision, who: dash(p.edited_by),
        when: samhand.when(p.edited_at) || '–', changes: dash(p.changes) }) }));
      editError.append(el('p', { text: t('plan.conflict_kept', { rev: base }) }));
      if (pending.length) editError.append(el('ul', { class: 'pending' }, ...pending.map((x) => el('li', { text: x }))));
      const newer = r.body;
      editError.append(el('button', { type: 'button', class: 'secondary', id: 'conflict_load',
        text: t('plan.conflict_load', { rev: p.revision }),
        onclick: () => {
          base = newer.current_revision;
          edit.reset();
          clearInvalid();
          fill(newer.plan);
          editError.hidden = true;
          editResult.textContent = '';
          editResult.className = 'message info';
          editResult.append(el('p', { text: t('plan.conflict_loaded', { rev: base }) }));
          if (pending.length) editResult.append(el('ul', { class: 'pending' }, ...pending.map((x) => el('li', { text: x }))));
          editResult.hidden = false;
          edit.level.focus();
        } }));
    } else {
      editError.append(el('p', { text: t('plan.conflict_reload') }));
    }
    editError.hidden = false;
  }

  edit.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearInvalid();
    editResult.hidden = true;
    editError.hidden = true;
    const parts = changedParts();
    const data = samhand.formData(edit);
    if (!data || !parts) {
      refuse(t('plan.fix_marked'));
      return;
    }
    const pending = pendingWords();
    // Nothing changed: no empty revision (a first revision always goes).
    if (shown && !pending.length) {
      samhand.say(editResult, t('plan.nothing_to_save'), 'info');
      return;
    }
    data.append('case_ref', ref);
    data.append('base', String(base));
    if (Object.keys(parts).length) data.append('parts', JSON.stringify(parts));
    const r = await samhand.post('/api/plan/edit', data);
    const error = r.body.error;
    if (r.status === 200 && r.body.accepted) {
      edit.reset();
      const now = await load();
      samhand.say(editResult, t('plan.saved', { rev: base }), 'ok');
      // The broker's identifier check: a step whose text may identify the
      // person does not reach an agency that gets the plan without identity.
      const views = Object.fromEntries((r.body.decisions || []).map((d) => [d.agency, d.view]));
      const steps = now.status === 200 && now.body.plan ? now.body.plan.steps : [];
      steps.forEach((x, i) => {
        if (x.text_clean === false && views[x.responsible] === 'pseudonymised') {
          editResult.append(el('p', { class: 'withheld', text: t('plan.step_withheld',
            { n: i + 1, agency: agencyWords(x.responsible) }) }));
        }
      });
    } else if (error && error.code === 'REVISION_CONFLICT') {
      await conflict(pending);
    } else if (r.status === 413) {
      refuse(t('plan.refused', { why: t('plan.too_much') }));
    } else {
      const at = error && error.code === 'INVALID_FIELD' ? markRefusal(error) : null;
      refuse(t('plan.refused', { why: at || samhand.errorText(error) }));
    }
  });

  evaluate.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = samhand.formData(evaluate);
    if (!data) return;
    data.append('case_ref', ref);
    const r = await samhand.post('/api/plan/evaluate', data);
    if (r.status === 200 && r.body.ok) {
      evaluate.reset();
      await load();
      samhand.say(evaluateResult, t('plan.evaluated', { date: day(r.body.next_date) }), 'ok');
    } else {
      samhand.say(evaluateResult, samhand.errorText(r.body.error), 'bad');
    }
  });

  const given = new URLSearchParams(location.search).get('case');
  if (given) {
    open.case_ref.value = given;
    ref = given;
    await load();
  }
});
