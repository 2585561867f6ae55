/* Deliveries (inbox items, live events) in words: what came, from whom,
   which view, why, and the legal basis. Shared by live, inbox and case. */
'use strict';

const samhandItems = (() => {
  const { t, word, when, day, el } = samhand;

  function title(item) {
    let s = word('kind', item.kind);
    if (item.kind === 'alert' && item.alert) s = word('alert', item.alert.type);
    if (item.kind === 'consent_notice' && item.consent_notice) {
      s = t(item.consent_notice.withdrawn ? 'inbox.consent_withdrawn' : 'inbox.consent_given');
    }
    return s;
  }

  function acute(item) {
    return !!(item.acute || (item.alert && item.alert.acute) || item.urgency === 'acute');
  }

  function caseRef(item) {
    return item.case_ref || (item.alert && item.alert.case_ref) ||
      (item.consent_notice && item.consent_notice.case_ref) || '';
  }

  // One line: "Bekymringsmelding – akutt – RC-… – 1. desember 2026 14:05"
  function summary(item) {
    const parts = [title(item)];
    if (item.urgency) parts.push(word('urgency', item.urgency));
    if (item.level) parts.push(t('inbox.level') + ' ' + word('level', item.level));
    if (caseRef(item)) parts.push(caseRef(item));
    parts.push(when(item.submitted_at));
    return parts.join(' – ');
  }

  function row(dl, label, value) {
    if (value === undefined || value === null || value === '') return;
    dl.append(el('dt', { text: label }), el('dd', { text: value }));
  }

  function details(item, withFrom) {
    const box = el('div', { class: 'details' });
    const dl = el('dl');
    if (withFrom !== false) box.append(el('p', { class: 'from', text: t('inbox.from', {
      agency: word('agency', item.sender_agency || ''), node: item.sender_node || '' }) }));
    box.append(el('p', { text: t('inbox.when', { when: when(item.submitted_at) }) }));
    box.append(el('p', { class: 'view', text: t('inbox.view', { view: word('view', item.view) }) }));
    if (item.rule) box.append(el('p', { text: t('inbox.rule', { rule: word('rule', item.rule) }) }));
    if (item.legal_basis) box.append(el('p', { class: 'basis', text: t('inbox.basis', { basis: samhand.basis(item.rule, item.legal_basis) }) }));
    const s = item.subject || {};
    const person = [s.name, s.national_id, s.birth_date ? day(s.birth_date) : '', s.phone, s.address]
      .filter((x) => x).join(', ');
    row(dl, t('inbox.subject'), person);
    row(dl, t('inbox.case_ref'), caseRef(item));
    if (item.urgency) row(dl, t('inbox.urgency'), word('urgency', item.urgency));
    if (item.violence) row(dl, t('inbox.violence'), item.violence.map((v) => word('violence', v)).join(', '));
    if (item.children_involved) row(dl, t('inbox.children'), t('inbox.yes'));
    if (item.kind === 'concern_report' && item.subject_informed !== undefined) {
      row(dl, t('inbox.informed'), item.subject_informed ? t('inbox.yes') :
        (item.not_informed_reason ? t('inbox.not_informed', { reason: item.not_informed_reason }) : t('inbox.no')));
    }
    if (item.level) row(dl, t('inbox.level'), word('level', item.level) + (item.instrument ? ' (' + item.instrument + ')' : ''));
    if (item.imminent) row(dl, t('inbox.imminent'), t('inbox.yes'));
    if (item.serious_physical_harm) row(dl, t('inbox.serious'), t('inbox.yes'));
    if (item.risk_factors) row(dl, t('inbox.factors'), item.risk_factors.join(', '));
    if (item.measures) row(dl, t('inbox.measures'), item.measures.map((m) => word('measure', m)).join(', '));
    if (item.review_by) row(dl, t('inbox.review_by'), day(item.review_by));
    row(dl, t('inbox.text'), item.text || (item.alert && item.alert.text) || (item.consent_notice && item.consent_notice.text));
    row(dl, t('inbox.question'), item.question);
    if (dl.childNodes.length) box.append(dl);
    return box;
  }

  return { title, acute, caseRef, summary, details };
})();
