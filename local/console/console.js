// The local test console: plain DOM code, no build step. It calls the same
// routes a deployed API serves, plus the local-only /local/* routes.
'use strict';

const $ = (selector) => document.querySelector(selector);

/** The form's filled fields; `playback-delay` only for a call (/sms-verify would refuse it by name). */
function parametersOf(form, path) {
  const parameters = {};
  for (const [name, value] of new FormData(form)) {
    if (name === 'as-form' || value === '') continue; // empty fields are left out, as a caller would
    if (name === 'playback-delay' && path !== '/phone-verify') continue;
    parameters[name] = value;
  }
  return parameters;
}

/** In API-key mode, the User-ID and API-Key headers from the credentials panel; none otherwise. */
function credentialHeaders() {
  if ($('#credentials').hidden) return {};
  const form = $('#credentials-form');
  const headers = {};
  if (form.elements['user-id'].value) headers['user-id'] = form.elements['user-id'].value;
  if (form.elements['api-key'].value) headers['api-key'] = form.elements['api-key'].value;
  return headers;
}

async function callApi(form, path = form.dataset.path) {
  const parameters = parametersOf(form, path);
  const asForm = form.elements['as-form'].checked;
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': asForm ? 'application/x-www-form-urlencoded' : 'application/json', ...credentialHeaders() },
    body: asForm ? new URLSearchParams(parameters).toString() : JSON.stringify(parameters),
  });
  const text = await response.text();
  const status = $('#response-status');
  status.textContent = `${response.status} ${response.statusText} · POST ${path}`;
  status.className = response.ok ? 'ok' : 'bad';
  let shown = text;
  try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* show as sent back */ }
  $('#response-body').textContent = shown;
  return { parameters, response };
}

$('#send-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  // "Call me" posts the same fields to /phone-verify; "Send code" to the form's own /sms-verify.
  const { parameters } = await callApi(event.target, event.submitter?.dataset.path ?? event.target.dataset.path);
  // Carry the number over, so verifying is one code away.
  const verify = $('#verify-form');
  verify.elements.number.value = parameters.number ?? '';
  verify.elements['country-code'].value = parameters['country-code'] ?? '';
  refreshOutbox();
});

$('#verify-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  await callApi(event.target);
});

let outboxSignature = '';
async function refreshOutbox() {
  let messages;
  try {
    messages = await (await fetch('/local/outbox')).json();
  } catch {
    return; // the server is restarting; the next poll tries again
  }
  const signature = JSON.stringify(messages);
  if (signature === outboxSignature) return;
  outboxSignature = signature;
  $('#outbox-count').textContent = String(messages.length);
  const list = $('#outbox');
  list.replaceChildren(...messages.slice().reverse().map(renderMessage));
}

function renderMessage(message) {
  const item = document.createElement('li');
  const meta = document.createElement('div');
  meta.className = 'meta';
  const how = message.channel === 'voice' ? `call via ${message.route}` : `via ${message.route}`;
  for (const text of [message.to, how, new Date(message.at).toLocaleTimeString()]) {
    const span = document.createElement('span');
    span.textContent = text;
    meta.append(span);
  }
  // Conversion feedback, once the outcomes function reported it (End User Messaging's routes only).
  if (message.feedback) {
    const feedback = document.createElement('span');
    feedback.className = `feedback ${message.feedback.toLowerCase()}`;
    feedback.textContent = message.feedback === 'RECEIVED' ? 'reported received' : 'reported failed';
    meta.append(feedback);
  }
  const body = document.createElement('div');
  body.className = 'body';
  // A text ends with its code; a call reads the digits one by one ("4 2 4 2 4 2"), twice: the first reading is taken.
  const match = message.channel === 'voice' ? /((?:\d ){3,11}\d)/.exec(message.body) : /(\d{4,12})\s*$/.exec(message.body);
  if (match) {
    const digits = match[1].replace(/ /g, '');
    body.append(message.body.slice(0, match.index));
    const code = document.createElement('button');
    code.type = 'button';
    code.className = 'code';
    code.title = 'Use this code in the verify form';
    code.textContent = digits;
    code.addEventListener('click', () => {
      const verify = $('#verify-form');
      verify.elements.number.value = message.to;
      verify.elements['country-code'].value = '';
      verify.elements['security-code'].value = digits;
      verify.elements['security-code'].focus();
    });
    body.append(code);
    if (message.channel === 'voice') body.append(message.body.slice(match.index + match[1].length));
  } else {
    body.textContent = message.body;
  }
  item.append(meta, body);
  return item;
}

$('#clear-outbox').addEventListener('click', async () => {
  await fetch('/local/outbox', { method: 'DELETE' });
  refreshOutbox();
});

const FAULT_MODES = ['ok', 'throttle', 'error', 'error-after-accept', 'reject', 'timeout'];
async function loadFaults() {
  const faults = await (await fetch('/local/faults')).json();
  const form = $('#faults-form');
  form.replaceChildren(
    ...Object.entries(faults).map(([route, mode]) => {
      const label = document.createElement('label');
      label.textContent = route;
      const select = document.createElement('select');
      select.name = route;
      for (const option of FAULT_MODES) select.add(new Option(option, option, false, option === mode));
      select.addEventListener('change', async () => {
        await fetch('/local/faults', { method: 'PUT', body: JSON.stringify({ [route]: select.value }) });
      });
      label.append(select);
      return label;
    }),
  );
}

loadFaults();
let eventsSignature = '';
async function refreshEvents() {
  let events;
  try {
    events = await (await fetch('/local/events')).json();
  } catch {
    return;
  }
  const signature = JSON.stringify(events);
  if (signature === eventsSignature) return;
  eventsSignature = signature;
  $('#events-count').textContent = String(events.length);
  // The latest 50: a long session would otherwise grow the page without end.
  $('#events').replaceChildren(
    ...events.slice(-50).reverse().map((event) => {
      const item = document.createElement('li');
      const type = document.createElement('strong');
      type.textContent = event['detail-type'];
      const about = document.createElement('span');
      about.className = 'muted';
      const { number, route, status, attempt, failedChecks } = event.detail;
      about.textContent = ` ${[number, route, status, attempt && `attempt ${attempt}`, failedChecks && `${failedChecks} failed`].filter(Boolean).join(' · ')}`;
      item.append(type, about);
      return item;
    }),
  );
}

refreshOutbox();
refreshEvents();
setInterval(() => {
  refreshOutbox();
  refreshEvents();
}, 1000);

// API-key mode: show the credentials panel, and make keys through the local-only /local/keys.
(async () => {
  const config = await (await fetch('/local/config')).json();
  if (config.auth !== 'api-key') return;
  $('#credentials').hidden = false;
})();

$('#make-key').addEventListener('click', async () => {
  const form = $('#credentials-form');
  const userId = form.elements['user-id'].value || 'console';
  const response = await fetch('/local/keys', { method: 'POST', body: JSON.stringify({ 'user-id': userId }) });
  const answer = await response.json();
  if (!response.ok) {
    $('#response-status').textContent = `${response.status} · POST /local/keys`;
    $('#response-status').className = 'bad';
    $('#response-body').textContent = JSON.stringify(answer, null, 2);
    return;
  }
  form.elements['user-id'].value = answer['user-id'];
  form.elements['api-key'].value = answer['api-key'];
});
