// Notices for a game designer working with `tickwire serve --dev`: each
// reload of the rules (the SDK's `reload` event), and the games whose files
// do not load, with the file:line the server reports (GET /games lists a
// game's `error`, or its `reloadError` when the last good rules still run).
// GET /games is polled every 2 seconds; without --dev nothing ever shows.

import { element } from './dom.js';
import { getJSON } from './links.js';

export class DevNotices {
  /** @param {HTMLElement} box */
  constructor(box) {
    this.box = box;
    this.errors = element('div', { className: 'load-errors' });
    this.reloads = element('div', { className: 'reloads' });
    box.append(this.errors, this.reloads);
    this.shown = '';
    this.timer = 0;
  }

  start() {
    this.poll();
  }

  async poll() {
    clearTimeout(this.timer);
    try {
      /** @type {import('./links.js').GameListing[]} */
      const games = await getJSON('/games');
      this.showErrors(games.filter((g) => g.error || g.reloadError));
    } catch { /* the status line already says when the server is gone */ }
    this.timer = setTimeout(() => this.poll(), 2000);
  }

  showErrors(broken) {
    const key = JSON.stringify(broken.map((g) => [g.name, g.error, g.reloadError]));
    if (key === this.shown) return;
    this.shown = key;
    this.errors.replaceChildren(...broken.map((g) => {
      const p = element('p', { className: 'notice error' },
        element('strong', {}, g.error ? `${g.name} does not load: ` : `${g.name}: the new rules do not load (the previous ones still run): `),
        element('code', {}, g.error ?? g.reloadError ?? ''));
      p.dataset.game = g.name;
      return p;
    }));
  }

  /** The match's rules were reloaded. @param {{tick: number}} welcome */
  reloaded(welcome) {
    const p = element('p', { className: 'notice reload' }, `Rules reloaded at tick ${welcome.tick} (${new Date().toLocaleTimeString()}).`);
    this.reloads.replaceChildren(p);
  }
}
