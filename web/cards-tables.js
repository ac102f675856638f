// The cards page's table list: the running tables from GET
// /matches?game=cards, refreshed every 2 s while the list is shown, each
// with Join and Watch, and "New table" (POST /matches). A table is a match
// of the cards game; once its cards are dealt it seats nobody more, but
// anyone may watch (and sees no hand).

import { element, formatAge } from './lobby.js';

const REFRESH_MS = 2000;

/** @typedef {import('./lobby.js').MatchSummary} MatchSummary */

export class TableList {
  /**
   * @param {object} options
   * @param {string} options.game       the cards game's name on the server
   * @param {(match: string, how: {spectate: boolean}) => void} options.onJoin
   */
  constructor({ game, onJoin }) {
    this.game = game;
    this.onJoin = onJoin;
    this.section = /** @type {HTMLElement} */ (document.getElementById('tables'));
    this.list = /** @type {HTMLElement} */ (document.getElementById('table-list'));
    this.updated = /** @type {HTMLElement} */ (document.getElementById('tables-updated'));
    this.timer = 0;
    this.active = false;
    this.loading = false;

    document.getElementById('name-form')?.addEventListener('submit', (event) => {
      event.preventDefault();
      this.create();
    });
    this.list.addEventListener('click', (event) => {
      const button = /** @type {HTMLButtonElement | null} */ (/** @type {HTMLElement} */ (event.target).closest('button[data-match]'));
      if (button && !button.disabled) this.onJoin(button.dataset.match ?? '', { spectate: button.dataset.action === 'watch' });
    });
  }

  show() {
    this.section.hidden = false;
    this.active = true;
    this.refresh();
  }

  hide() {
    this.section.hidden = true;
    this.active = false;
    this.notice('');
    clearTimeout(this.timer);
  }

  /** A message over the list (why a table refused us); empty hides it. @param {string} text */
  notice(text) {
    const el = /** @type {HTMLElement} */ (document.getElementById('notice'));
    el.textContent = text;
    el.hidden = !text;
  }

  /** Opens a new table and sits down at it. */
  async create() {
    const button = /** @type {HTMLButtonElement} */ (document.getElementById('create'));
    button.disabled = true;
    try {
      const response = await fetch('/matches', {
        method: 'POST', cache: 'no-store',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ game: this.game }),
      });
      if (!response.ok) throw new Error(`the server answered ${response.status}: ${(await response.text()).trim()}`);
      /** @type {MatchSummary} */
      const table = await response.json();
      this.onJoin(table.id, { spectate: false });
    } catch (error) {
      this.notice(`Could not open a table: ${error instanceof TypeError ? 'the server is not reachable' : error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  async refresh() {
    clearTimeout(this.timer);
    if (!this.active || this.loading) return;
    this.loading = true;
    try {
      const response = await fetch(`/matches?game=${encodeURIComponent(this.game)}`,
        { cache: 'no-store', headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`the server answered ${response.status} ${(await response.text()).trim()}`);
      /** @type {MatchSummary[]} */
      const tables = await response.json();
      if (this.active) this.render(tables.filter((t) => t.running !== false));
    } catch (error) {
      if (this.active) this.problem(error instanceof TypeError ? 'the server is not reachable' : String(error.message ?? error));
    } finally {
      this.loading = false;
      if (this.active) this.timer = setTimeout(() => this.refresh(), REFRESH_MS);
    }
  }

  /** @param {MatchSummary[]} tables */
  render(tables) {
    this.updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    if (tables.length === 0) {
      this.list.replaceChildren(element('p', { className: 'empty' },
        'No tables yet. Press ', element('strong', {}, 'New table'), ' to open one.'));
      return;
    }
    // Newest first: the table most likely still waiting for players.
    tables.sort((a, b) => a.ageSeconds - b.ageSeconds || a.id.localeCompare(b.id));
    const rows = tables.map((t) => {
      const full = t.players >= t.capacity;
      const join = element('button', { type: 'button', className: 'join', disabled: full }, full ? 'Full' : 'Join');
      join.dataset.match = t.id;
      join.dataset.action = 'join';
      join.setAttribute('aria-label', `Join table ${t.id}`);
      const watch = element('button', { type: 'button', className: 'secondary' }, 'Watch');
      watch.dataset.match = t.id;
      watch.dataset.action = 'watch';
      watch.setAttribute('aria-label', `Watch table ${t.id}`);
      const row = element('tr', {},
        element('td', {}, element('span', { className: 'match-id' }, t.id)),
        element('td', { className: 'num' }, `${t.players}/${t.capacity}`),
        element('td', { className: 'num' }, String(t.spectators ?? 0)),
        element('td', { className: 'num' }, formatAge(t.ageSeconds)),
        element('td', { className: 'actions' }, join, watch));
      row.dataset.match = t.id;
      return row;
    });
    // Rebuilt only when what it shows changed.
    const signature = tables.map((t) => `${t.id}:${t.players}:${t.spectators}:${formatAge(t.ageSeconds)}`).join(',');
    if (signature === this.list.dataset.signature) return;
    this.list.dataset.signature = signature;
    this.list.replaceChildren(element('table', { className: 'match-table' },
      element('thead', {}, element('tr', {},
        element('th', { scope: 'col' }, 'Table'),
        element('th', { scope: 'col', className: 'num' }, 'Players'),
        element('th', { scope: 'col', className: 'num' }, 'Watching'),
        element('th', { scope: 'col', className: 'num' }, 'Open for'),
        element('th', { scope: 'col' }, element('span', { className: 'visually-hidden' }, 'Actions')))),
      element('tbody', {}, ...rows)));
  }

  /** @param {string} why */
  problem(why) {
    this.updated.textContent = '';
    delete this.list.dataset.signature;
    this.list.replaceChildren(element('p', { className: 'empty problem' }, `Could not list the tables: ${why}. Retrying…`));
  }
}
