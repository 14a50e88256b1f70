// The confirmation dialog every console action goes through (docs/screens.md:
// "Each action is confirmed in the page (a dialog that names what will
// happen) before it is sent"). One <dialog> in index.html, shown modally:
// focus stays inside it, Escape cancels, and the action runs only on Confirm.

const $ = (id) => document.getElementById(id);

/**
 * Shows the dialog and, on Confirm, runs `run(reason)` while it stays open.
 * A refusal from `run` is shown in the dialog (the user may correct the
 * reason or cancel). Resolves with run's result, or null when cancelled.
 *
 * opts: { title, what, items?: string[], reason?: boolean, okLabel, tone?: 'danger' | 'primary' (default danger) }
 */
export function confirmAction(opts, run) {
  const dialog = $('confirm');
  const form = $('confirm-form');
  const reasonField = $('confirm-reason-field');
  const reason = $('confirm-reason');
  const error = $('confirm-error');
  const ok = $('confirm-ok');
  const cancel = $('confirm-cancel');
  const list = $('confirm-list');

  $('confirm-title').textContent = opts.title;
  $('confirm-what').textContent = opts.what;
  list.replaceChildren(...(opts.items ?? []).map((t) => Object.assign(document.createElement('li'), { textContent: t })));
  list.hidden = !opts.items || opts.items.length === 0;
  reasonField.hidden = !opts.reason;
  reason.required = Boolean(opts.reason);
  reason.value = '';
  error.hidden = true;
  error.textContent = '';
  ok.textContent = opts.okLabel;
  ok.className = opts.tone === 'primary' ? '' : 'danger';
  ok.disabled = false;

  return new Promise((resolve) => {
    let busy = false;
    const finish = (value) => {
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onEscape);
      dialog.removeEventListener('close', onClose);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const showError = (text) => {
      error.textContent = text;
      error.hidden = false;
    };
    const onSubmit = async (ev) => {
      ev.preventDefault();
      if (busy) return;
      const why = reason.value.trim();
      if (opts.reason && why === '') {
        showError('Give a reason: it is recorded in the audit log with your name.');
        reason.focus();
        return;
      }
      busy = true;
      ok.disabled = true;
      error.hidden = true;
      try {
        finish(await run(why));
      } catch (e) {
        showError(`Refused: ${e.message}${e.code ? ` (${e.code})` : ''}`);
        ok.disabled = false;
      } finally {
        busy = false;
      }
    };
    const onCancel = () => {
      if (!busy) finish(null);
    };
    const onEscape = (ev) => {
      // Escape while the request is in flight would hide its outcome.
      if (busy) ev.preventDefault();
    };
    const onClose = () => finish(null);
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onEscape);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    (opts.reason ? reason : cancel).focus();
  });
}
