'use strict';
document.addEventListener('DOMContentLoaded', async () => {
  await samhand.start('login.html', 'title.login');
  const msg = document.getElementById('msg');
  if (new URLSearchParams(location.search).get('ended')) samhand.say(msg, samhand.t('app.session_ended'), 'info');
  document.getElementById('login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const r = await samhand.post('/login', { name: form.name.value.trim(), password: form.password.value });
    if (r.status === 200) { location.href = '/live.html'; return; }
    form.password.value = '';
    if (r.status === 429) samhand.say(msg, samhand.t('login.wait', { seconds: r.body.error.seconds }), 'bad');
    else if (r.status === 401) samhand.say(msg, samhand.t('login.failed'), 'bad');
    else samhand.say(msg, samhand.errorText(r.body.error), 'bad');
    form.password.focus();
  });
});
