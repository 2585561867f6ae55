'use strict';
/* Screen 9: the risk plan of a case in this agency's view (the broker cut
   it), laid out like the paper form (risikohåndteringsplan, as the CLI's
   cli_plan_text), its history, the coordinator's edits and a print view. */
document.addEventListener('DOMContentLoaded', async () => {
  const me = await samhand.start('plan.html', 'title.plan');
  if (!me) return;
  const { t, el, word, day } = samhand;
  const mayEdit = me.may.includes('plan');
  const MEASURES = ['violence_alarm', 'restraining_order', 'reverse_violence_alarm', 'relocation', 'safety_plan',
    'crisis_bed', 'secret_address', 'other'];
  const COURT = MEASURES.slice(0, 3);
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
  const evaluateResult = document.getElementById('evaluate_result');
  let ref = '';
  let base = 0;             // the revision this page showed: an edit is made from it

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
        p.steps.map((x) => [t('plan.step_n', { n: x.step }), x.situation, x.action, agencyWords(x.responsible)])));
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

  // The current plan's measures and steps as things the coordinator may remove.
  function removable(p) {
    const rm = document.getElementById('remove_measure');
    const rs = document.getElementById('remove_step');
    rm.querySelectorAll('.check').forEach((c) => c.remove());
    rs.querySelectorAll('.check').forEach((c) => c.remove());
    samhand.checks(rm, 'remove_measure', p ? p.measures : [], 'measure');
    rm.hidden = !p || !p.measures.length;
    (p ? p.steps : []).forEach((x, i) => {
      const id = 'remove_step_' + (i + 1);
      rs.append(el('div', { class: 'check' }, el('input', { type: 'checkbox', id, name: 'remove_step', value: String(i + 1) }),
        el('label', { for: id, text: t('plan.step_n', { n: x.step }) + ': ' + (x.situation || '') })));
    });
    rs.hidden = !p || !p.steps.length;
  }

  async function load() {
    const r = await samhand.post('/api/plan', { case_ref: ref });
    article.hidden = true;
    historySection.hidden = true;
    tools.hidden = true;
    editSection.hidden = true;
    if (r.status !== 200) {
      base = 0;
      // No plan yet for a case this agency knows: the coordinator starts one.
      const none = r.status === 422 && mayEdit;
      samhand.say(msg, none ? t('plan.none_yet') : samhand.errorText(r.body.error), none ? 'info' : 'bad');
      if (none) {
        removable(null);
        newSubject.hidden = false;
        editSection.hidden = false;
        evaluate.hidden = true;
        document.getElementById('h_evaluate').hidden = true;
      }
      return;
    }
    msg.hidden = true;
    base = r.body.current_revision;
    if (r.body.plan) render(r.body);
    else samhand.say(msg, t('plan.not_shared'));
    renderHistory(r.body);
    tools.hidden = !r.body.plan;
    if (mayEdit && r.body.view === 'identified' && r.body.plan) {
      removable(r.body.plan);
      newSubject.hidden = true;
      editSection.hidden = false;
      evaluate.hidden = false;
      document.getElementById('h_evaluate').hidden = false;
    }
  }

  open.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ref = open.case_ref.value.trim();
    if (ref) load();
  });

  edit.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = samhand.formData(edit);
    if (!data) return;
    data.append('case_ref', ref);
    data.append('base', String(base));
    const r = await samhand.post('/api/plan/edit', data);
    const error = r.body.error;
    if (r.status === 200 && r.body.accepted) {
      edit.reset();
      await load();
      samhand.say(editResult, t('plan.saved', { rev: base }), 'ok');
    } else if (error && error.code === 'REVISION_CONFLICT') {
      samhand.say(editResult, t('error.REVISION_CONFLICT'), 'bad');
      editResult.setAttribute('role', 'alert');
    } else {
      samhand.say(editResult, t('plan.refused', { why: samhand.errorText(error) }), 'bad');
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
