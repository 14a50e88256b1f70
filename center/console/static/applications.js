// Adding applications (POST /api/applications, operator or admin): the JSON
// `cardline center applications add` takes (center/application-input.ts),
// one application or an array. The page only checks that it is JSON with an
// `id` on each application and within the route's 256 KiB, so the dialog can
// name what will be added; the server validates every field. The text holds
// one-time codes: it is cleared once the center has it and is never shown
// back (the dialog names IDs only).
import { post } from './api.js';
import { confirmAction } from './confirm.js';

const MAX_BYTES = 256 * 1024;

/** The IDs in the text, or a message saying why it cannot be sent. */
function inspect(text) {
  if (text.trim() === '') return { error: 'Paste the applications JSON first.' };
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_BYTES) return { error: `The JSON is ${Math.ceil(bytes / 1024)} KiB; at most 256 KiB can be sent at once. Split it.` };
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { error: `This is not valid JSON: ${e.message}` };
  }
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) return { error: 'The array is empty: give at least one application.' };
  const ids = [];
  for (const [i, a] of list.entries()) {
    if (!a || typeof a !== 'object' || Array.isArray(a) || typeof a.id !== 'string') return { error: `Application #${i + 1} has no "id".` };
    ids.push(a.id);
  }
  return { ids };
}

export function createApplicationsView(section, ctx) {
  const form = section.querySelector('#apps-form');
  const input = section.querySelector('#apps-json');
  const error = section.querySelector('#apps-error');
  const showError = (text) => {
    error.textContent = text;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      error.hidden = true;
      input.removeAttribute('aria-invalid');
      if (!ctx.can('add-applications')) return showError('Your role may not add applications.');
      const text = input.value;
      const r = inspect(text);
      if (r.error) {
        showError(r.error);
        input.focus();
        return;
      }
      const n = r.ids.length;
      const shown = r.ids.slice(0, 20);
      const done = await confirmAction(
        {
          title: `Add ${n} application${n === 1 ? '' : 's'}?`,
          what: `The center will add ${n} application${n === 1 ? '' : 's'}, each with a PENDING job that a customer can collect at any kiosk with its one-time code:`,
          items: r.ids.length > shown.length ? [...shown, `… and ${r.ids.length - shown.length} more`] : shown,
          reason: false,
          tone: 'primary',
          okLabel: `Add ${n} application${n === 1 ? '' : 's'}`,
        },
        () => post('/api/applications', text),
      );
      if (done === null) return;
      input.value = '';
      const added = Array.isArray(done.added) ? done.added : [];
      const named = added.length > 10 ? `${added.slice(0, 10).join(', ')} and ${added.length - 10} more` : added.join(', ');
      ctx.notify(`Added ${added.length} application${added.length === 1 ? '' : 's'}: ${named}.`);
    })();
  });

  return {
    show() {},
    hide() {},
  };
}
