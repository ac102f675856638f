// A page's list of the running matches of one game (GET /matches?game=),
// refreshed every 2 s while it is shown, each row with its buttons, and a
// "New …" form that opens a match (POST /matches) and joins it. The chat
// page's rooms and the cards page's tables are such lists; a subclass says
// how rows are ordered and drawn.

import { element, formatAge } from './lobby.js';

const REFRESH_MS = 2000;

/** @typedef {import('./lobby.js').MatchSummary} MatchSummary */

export class MatchList {
  /**
   * @param {object} options
   * @param {string} options.game       the game's name on the server
   * @param {string} options.noun       what a match is called on the page ("room", "table"): the page's
   *                                    elements are #nouns, #noun-list and #nouns-updated
   * @param {(match: string, how: {spectate: boolean}) => void} options.onJoin
   */
  constructor({ game, noun, onJoin }) {
    this.game = game;
    this.noun = noun;
    this.onJoin = onJoin;
    this.section = /** @type {HTMLElement} */ (document.getElementById(`${noun}s`));
    this.list = /** @type {HTMLElement} */ (document.getElementById(`${noun}-list`));
    this.updated = /** @type {HTMLElement} */ (document.getElementById(`${noun}s-updated`));
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

  /** A message over the list (why a match refused us, or was lost); empty hides it. @param {string} text */
  notice(text) {
    const el = /** @type {HTMLElement} */ (document.getElementById('notice'));
    el.textContent = text;
    el.hidden = !text;
  }

  /** Opens a new match and joins it. */
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
      const match = await response.json();
      this.onJoin(match.id, { spectate: false });
    } catch (error) {
      this.notice(`Could not open a ${this.noun}: ${error instanceof TypeError ? 'the server is not reachable' : error.message}`);
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
      const matches = await response.json();
      if (this.active) this.render(matches.filter((m) => m.running !== false));
    } catch (error) {
      if (this.active) this.problem(error instanceof TypeError ? 'the server is not reachable' : String(error.message ?? error));
    } finally {
      this.loading = false;
      if (this.active) this.timer = setTimeout(() => this.refresh(), REFRESH_MS);
    }
  }

  /** @param {MatchSummary[]} matches */
  render(matches) {
    this.updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    const Noun = this.noun[0].toUpperCase() + this.noun.slice(1);
    if (matches.length === 0) {
      this.list.replaceChildren(element('p', { className: 'empty' },
        `No ${this.noun}s yet. Press `, element('strong', {}, `New ${this.noun}`), ' to open one.'));
      return;
    }
    this.order(matches);
    // Rebuilt only when what it shows changed.
    const signature = matches.map((m) => `${m.id}:${m.players}:${m.spectators}:${formatAge(m.ageSeconds)}`).join(',');
    if (signature === this.list.dataset.signature) return;
    this.list.dataset.signature = signature;
    const rows = matches.map((m) => {
      const row = element('tr', {},
        element('td', {}, element('span', { className: 'match-id' }, m.id)),
        ...this.cells(m).map((text) => element('td', { className: 'num' }, text)),
        element('td', { className: 'num' }, formatAge(m.ageSeconds)),
        element('td', { className: 'actions' }, ...this.buttons(m)));
      row.dataset.match = m.id;
      return row;
    });
    this.list.replaceChildren(element('table', { className: 'match-table' },
      element('thead', {}, element('tr', {},
        element('th', { scope: 'col' }, Noun),
        ...this.headings().map((h) => element('th', { scope: 'col', className: 'num' }, h)),
        element('th', { scope: 'col', className: 'num' }, 'Open for'),
        element('th', { scope: 'col' }, element('span', { className: 'visually-hidden' }, 'Actions')))),
      element('tbody', {}, ...rows)));
  }

  /** A button of a row: `action` is "join" or "watch". @param {MatchSummary} m @param {string} action */
  button(m, action, label, className) {
    const b = element('button', { type: 'button', className, disabled: action === 'join' && m.players >= m.capacity }, label);
    b.dataset.match = m.id;
    b.dataset.action = action;
    b.setAttribute('aria-label', `${action === 'join' ? 'Join' : 'Watch'} ${this.noun} ${m.id}`);
    return b;
  }

  // What a subclass says.

  /** Sorts the matches in place, the ones to show first on top. @param {MatchSummary[]} matches */
  order(matches) { matches.sort((a, b) => a.id.localeCompare(b.id)); }
  /** The headings of the number columns between the id and the age. @returns {string[]} */
  headings() { return ['Players']; }
  /** @param {MatchSummary} m @returns {string[]} */
  cells(m) { return [`${m.players}/${m.capacity}`]; }
  /** @param {MatchSummary} m @returns {HTMLElement[]} */
  buttons(m) { return [this.button(m, 'join', m.players >= m.capacity ? 'Full' : 'Join', 'join')]; }

  /** @param {string} why */
  problem(why) {
    this.updated.textContent = '';
    delete this.list.dataset.signature;
    this.list.replaceChildren(element('p', { className: 'empty problem' }, `Could not list the ${this.noun}s: ${why}. Retrying…`));
  }
}
