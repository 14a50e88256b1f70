// The shape every data view shares: load when shown, on Refresh, and (for
// views that say so) every few seconds while shown; a stale answer (the view
// was hidden or reloaded meanwhile) is dropped; a failure is shown in place.
import { h, replace } from './dom.js';

/**
 * `render()` fetches and returns the nodes of the view's content.
 * opts.every: auto-refresh period in ms while the view is shown (none if absent).
 */
export function dataView(section, render, opts = {}) {
  const content = section.querySelector('.content');
  const refreshButton = section.querySelector('.refresh');
  let generation = 0;
  let shown = false;
  let timer = null;

  const load = async () => {
    const mine = ++generation;
    section.setAttribute('aria-busy', 'true');
    try {
      const nodes = await render();
      if (mine !== generation || !shown) return;
      // A reload must not throw the keyboard user's focus away: the control with the same key gets it back.
      const key = content.contains(document.activeElement) ? document.activeElement.dataset.focusKey : undefined;
      replace(content, nodes);
      if (key) content.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
      section.dataset.loaded = String(mine);
    } catch (e) {
      if (mine !== generation || !shown) return;
      replace(content, h('p', { class: 'error', attrs: { role: 'alert' } }, `Could not load: ${e.message}${e.code ? ` (${e.code})` : ''}`));
    } finally {
      if (mine === generation) section.removeAttribute('aria-busy');
    }
  };

  refreshButton?.addEventListener('click', () => void load());

  return {
    show() {
      shown = true;
      void load();
      clearInterval(timer);
      if (opts.every) timer = setInterval(() => void load(), opts.every);
    },
    hide() {
      shown = false;
      generation++;
      clearInterval(timer);
      timer = null;
    },
    refresh: () => (shown ? load() : Promise.resolve()),
    get shown() {
      return shown;
    },
  };
}
