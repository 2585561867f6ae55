'use strict';
document.addEventListener('DOMContentLoaded', async () => {
  if (!await samhand.start('ny.html', 'title.new')) return;
  samhand.checks(document.getElementById('violence'), 'violence',
    ['physical', 'psychological', 'sexual', 'economic', 'material', 'digital', 'latent',
     'structural', 'negative_social_control', 'honour_related'], 'violence');
  samhand.fnrWatch(document.getElementById('national_id'), document.getElementById('national_id_check'));
  const form = document.getElementById('concern');
  const result = document.getElementById('result');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = samhand.formData(form);
    if (!data) return;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    samhand.say(result, samhand.t('new.sending'));
    const r = await samhand.post('/api/concern', data);
    button.disabled = false;
    if (r.status === 200) {
      samhand.decisions(result, r.body);
      if (r.body.accepted) {
        form.reset();
        form.national_id.dispatchEvent(new Event('input'));
      }
    } else {
      samhand.say(result, samhand.errorText(r.body.error), 'bad');
    }
    result.focus && result.setAttribute('tabindex', '-1');
    result.focus();
  });
});
