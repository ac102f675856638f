// The chat page's room list: the running rooms from GET /matches?game=chat,
// refreshed every 2 s while the list is shown, each with a Join button, and
// "New room" (POST /matches). A room is a match of the chat game.

import { element, formatAge } from './lobby.js';

const REFRESH_MS = 2000;

/** @typedef {import('./lobby.js').MatchSummary} MatchSummary */

export class RoomList {
  /**
   * @param {object} options
   * @param {string} options.game                 the chat game's name on the server
   * @param {(match: string) => void} options.onJoin
   */
  constructor({ game, onJoin }) {
    this.game = game;
    this.onJoin = onJoin;
    this.section = /** @type {HTMLElement} */ (document.getElementById('rooms'));
    this.list = /** @type {HTMLElement} */ (document.getElementById('room-list'));
    this.updated = /** @type {HTMLElement} */ (document.getElementById('rooms-updated'));
    this.timer = 0;
    this.active = false;
    this.loading = false;

    document.getElementById('name-form')?.addEventListener('submit', (event) => {
      event.preventDefault();
      this.create();
    });
    this.list.addEventListener('click', (event) => {
      const button = /** @type {HTMLElement} */ (event.target).closest('button[data-match]');
      if (button && !(/** @type {HTMLButtonElement} */ (button)).disabled) this.onJoin(button.dataset.match ?? '');
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

  /** A message over the list (why a room was refused or lost); empty hides it. @param {string} text */
  notice(text) {
    const el = /** @type {HTMLElement} */ (document.getElementById('notice'));
    el.textContent = text;
    el.hidden = !text;
  }

  /** Opens a new room and joins it. */
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
      const room = await response.json();
      this.onJoin(room.id);
    } catch (error) {
      this.notice(`Could not open a room: ${error instanceof TypeError ? 'the server is not reachable' : error.message}`);
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
      const rooms = await response.json();
      if (this.active) this.render(rooms.filter((r) => r.running !== false));
    } catch (error) {
      if (this.active) this.problem(error instanceof TypeError ? 'the server is not reachable' : String(error.message ?? error));
    } finally {
      this.loading = false;
      if (this.active) this.timer = setTimeout(() => this.refresh(), REFRESH_MS);
    }
  }

  /** @param {MatchSummary[]} rooms */
  render(rooms) {
    this.updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    if (rooms.length === 0) {
      this.list.replaceChildren(element('p', { className: 'empty' },
        'No rooms yet. Press ', element('strong', {}, 'New room'), ' to open one.'));
      return;
    }
    // Busiest first, then oldest: where the conversation is.
    rooms.sort((a, b) => b.players - a.players || b.ageSeconds - a.ageSeconds || a.id.localeCompare(b.id));
    const rows = rooms.map((r) => {
      const full = r.players >= r.capacity;
      const join = element('button', { type: 'button', className: 'join', disabled: full }, full ? 'Full' : 'Join');
      join.dataset.match = r.id;
      join.setAttribute('aria-label', `Join room ${r.id}`);
      const row = element('tr', {},
        element('td', {}, element('span', { className: 'match-id' }, r.id)),
        element('td', { className: 'num' }, `${r.players}/${r.capacity}`),
        element('td', { className: 'num' }, formatAge(r.ageSeconds)),
        element('td', { className: 'actions' }, join));
      row.dataset.match = r.id;
      return row;
    });
    // Rebuilt only when what it shows changed.
    const signature = rooms.map((r) => `${r.id}:${r.players}:${formatAge(r.ageSeconds)}`).join(',');
    if (signature === this.list.dataset.signature) return;
    this.list.dataset.signature = signature;
    this.list.replaceChildren(element('table', { className: 'match-table' },
      element('thead', {}, element('tr', {},
        element('th', { scope: 'col' }, 'Room'),
        element('th', { scope: 'col', className: 'num' }, 'Members'),
        element('th', { scope: 'col', className: 'num' }, 'Open for'),
        element('th', { scope: 'col' }, element('span', { className: 'visually-hidden' }, 'Actions')))),
      element('tbody', {}, ...rows)));
  }

  /** @param {string} why */
  problem(why) {
    this.updated.textContent = '';
    delete this.list.dataset.signature;
    this.list.replaceChildren(element('p', { className: 'empty problem' }, `Could not list the rooms: ${why}. Retrying…`));
  }
}
