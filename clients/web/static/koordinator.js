'use strict';
document.addEventListener('DOMContentLoaded', async () => {
  if (!await samhand.start('koordinator.html', 'title.coordinator')) return;
  const { t, el, word, day } = samhand;
  samhand.checks(document.getElementById('measures'), 'measures',
    ['violence_alarm', 'restraining_order', 'reverse_violence_alarm', 'relocation', 'safety_plan',
     'crisis_bed', 'secret_address', 'other'], 'measure');
  samhand.checks(document.getElementById('agencies'), 'agencies',
    ['resource_centre', 'tryggest', 'police_risk', 'crisis_centre'], 'agency');
  samhand.checks(document.getElementById('purposes'), 'purposes', ['follow_up', 'risk_management'], 'coord.purpose');
  samhand.checks(document.getElementById('classes'), 'classes',
    ['identity', 'contact', 'address', 'risk_level', 'risk_factors', 'health', 'free_text'], 'class');
  samhand.fnrWatch(document.getElementById('r_national_id'), document.getElementById('r_national_id_check'));
  samhand.fnrWatch(document.getElementById('c_national_id'), document.getElementById('c_national_id_check'));

  const risk = document.getElementById('risk');
  risk.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = document.getElementById('risk_result');
    const data = samhand.formData(risk);
    if (!data) return;
    const r = await samhand.post('/api/risk', data);
    if (r.status === 200) samhand.decisions(out, r.body);
    else samhand.say(out, samhand.errorText(r.body.error), 'bad');
  });

  const consent = document.getElementById('consent');
  const out = document.getElementById('consent_result');
  const list = document.getElementById('consents');
  const sec = (s) => new Date(s * 1000).toISOString();
  // Consent times arrive in RFC 3339 (as every time in the CLI's JSON): to Unix seconds.
  const secs = (v) => (typeof v === 'number' ? v : Math.floor(Date.parse(v) / 1000));
  const person = () => {
    const d = new URLSearchParams();
    for (const k of ['name', 'national_id', 'birth_date', 'phone']) {
      let v = consent.elements[k].value.trim();
      if (v && k === 'birth_date') v = samhand.isoDate(v) || v;
      if (v) d.append(k, v);
    }
    return d;
  };
  async function showList() {
    const r = await samhand.post('/api/consent/list', person());
    list.textContent = '';
    if (r.status !== 200) { samhand.say(out, samhand.errorText(r.body.error), 'bad'); return; }
    if (!r.body.consents.length) list.append(el('li', { text: t('coord.none') }));
    for (const c of r.body.consents) {
      const text = t('coord.consent_row', {
        agencies: (c.agencies || []).map((a) => word('agency', a)).join(', '),
        classes: (c.classes || []).map((x) => word('class', x)).join(', '),
        // The period ends before valid_until (the next midnight).
        from: day(sec(secs(c.valid_from))), until: day(sec(secs(c.valid_until) - 1)), form: word('form', c.form) });
      const off = !!c.withdrawn_at;
      const li = el('li', { 'data-consent': c.consent_id },
        el('p', { text: text }),
        el('p', { class: 'hint', text: off ? t('coord.consent_state_off', { when: samhand.when(sec(secs(c.withdrawn_at))) }) : t('coord.consent_state_on') }));
      if (!off) {
        li.append(el('button', { type: 'button', class: 'secondary', text: t('coord.withdraw'),
          onclick: async () => {
            const w = await samhand.post('/api/consent/withdraw', { consent_id: c.consent_id });
            if (w.status === 200) samhand.say(out, t('coord.withdrawn', { n: w.body.redecided }), 'ok');
            else samhand.say(out, samhand.errorText(w.body.error), 'bad');
            showList();
          } }));
      }
      list.append(li);
    }
  }
  consent.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = samhand.formData(consent);
    if (!data) return;
    const r = await samhand.post('/api/consent/grant', data);
    if (r.status === 200 && r.body.ok) { samhand.say(out, t('coord.granted'), 'ok'); showList(); }
    else samhand.say(out, samhand.errorText(r.body.error), 'bad');
  });
  document.getElementById('c_list').addEventListener('click', showList);

  const weekly = document.getElementById('weekly');
  weekly.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const o = document.getElementById('weekly_result');
    const data = samhand.formData(weekly);
    if (!data) return;
    const r = await samhand.post('/api/weekly', data);
    if (r.status === 200) samhand.decisions(o, r.body);
    else samhand.say(o, samhand.errorText(r.body.error), 'bad');
  });
});
