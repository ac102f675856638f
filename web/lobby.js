// The lobby: the player's name (kept in localStorage), the Play button, the
// live list of running matches of every game from GET /matches, and every
// game from GET /games with a link to the inspector, refreshed every 2 s
// while the lobby is shown. This page draws its own game (arena by
// default); a match of another game is joined or watched in the inspector.

const NAME_KEY = 'tickwire.name';
const REFRESH_MS = 2000;

/**
 * @typedef {{id: string, game: string, players: number, spectators: number,
 *            capacity: number, tick: number, ageSeconds: number, running: boolean}} MatchSummary
 * @typedef {{game: string, match?: string, spectate?: boolean, name: string}} JoinRequest
 */

export class Lobby {
  /**
   * @param {object} options
   * @param {string} options.game          the game Play joins (from ?game=, default arena)
   * @param {(request: JoinRequest) => void} options.onJoin
   */
  constructor({ game, onJoin }) {
    this.game = game;
    this.onJoin = onJoin;
    this.section = document.getElementById('lobby');
    this.nameInput = /** @type {HTMLInputElement} */ (document.getElementById('name'));
    this.list = document.getElementById('matches');
    this.updated = document.getElementById('matches-updated');
    this.timer = 0;
    this.loading = false;
    this.active = false;
    /** @type {Map<string, HTMLTableRowElement>} the rows shown, by match id */
    this.rows = new Map();
    this.body = element('tbody', {});
    this.table = element('table', { className: 'match-table' },
      element('thead', {}, element('tr', {},
        element('th', { scope: 'col' }, 'Match'),
        element('th', { scope: 'col', className: 'num' }, 'Players'),
        element('th', { scope: 'col', className: 'num' }, 'Watching'),
        element('th', { scope: 'col', className: 'num' }, 'Age'),
        element('th', { scope: 'col' }, element('span', { className: 'visually-hidden' }, 'Actions')))),
      this.body);

    for (const el of document.querySelectorAll('[data-game-name]')) el.textContent = game;
    this.nameInput.value = storedName() ?? '';
    this.nameInput.placeholder = defaultName();
    this.nameInput.addEventListener('change', () => this.saveName());

    document.getElementById('play-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.onJoin({ game: this.game, name: this.saveName() });
    });
    this.list.addEventListener('click', (event) => {
      const button = /** @type {HTMLElement} */ (event.target).closest('button[data-action]');
      if (!button || /** @type {HTMLButtonElement} */ (button).disabled) return;
      const row = /** @type {HTMLElement} */ (button.closest('[data-match]'));
      if (row.dataset.game && row.dataset.game !== this.game) {
        const query = button.dataset.action === 'spectate' ? { match: row.dataset.match } : { game: row.dataset.game, match: row.dataset.match };
        location.href = `/inspect?${new URLSearchParams(query)}`;
        return;
      }
      this.onJoin({
        game: row.dataset.game || this.game,
        match: row.dataset.match,
        spectate: button.dataset.action === 'spectate',
        name: this.saveName(),
      });
    });
  }

  /** Shows the lobby and starts refreshing the match list. */
  show() {
    this.section.hidden = false;
    this.active = true;
    this.refresh();
  }

  /** A message over the lobby (why the last match was refused or lost); empty hides it. @param {string} text */
  notice(text) {
    const el = /** @type {HTMLElement} */ (document.getElementById('notice'));
    el.textContent = text;
    el.hidden = !text;
  }

  /** Hides the lobby and stops refreshing. */
  hide() {
    this.section.hidden = true;
    this.notice('');
    this.active = false;
    clearTimeout(this.timer);
  }

  /** The name to join with: the field's, else its placeholder. Saved when typed. */
  saveName() {
    const typed = this.nameInput.value.trim().slice(0, 16);
    try {
      if (typed) localStorage.setItem(NAME_KEY, typed);
      else localStorage.removeItem(NAME_KEY);
    } catch { /* storage may be disabled: the name is just not remembered */ }
    return typed || this.nameInput.placeholder;
  }

  async refresh() {
    clearTimeout(this.timer);
    if (!this.active || this.loading) return;
    this.loading = true;
    try {
      const [matches, games] = await Promise.all([getJSON('/matches'), getJSON('/games')]);
      // Every game's matches: this page's game first; the others open in the inspector.
      if (this.active) {
        this.render(/** @type {MatchSummary[]} */ (matches));
        this.renderGames(games);
      }
    } catch (error) {
      if (this.active) this.renderProblem(error instanceof TypeError ? 'the server is not reachable' : String(error.message ?? error));
    } finally {
      this.loading = false;
      if (this.active) this.timer = setTimeout(() => this.refresh(), REFRESH_MS);
    }
  }

  /**
   * Updates the list in place, row by row (keyed by match id), so that a
   * button someone is about to click is not replaced under them.
   * @param {MatchSummary[]} matches
   */
  render(matches) {
    this.updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    const shown = matches.filter((m) => m.running !== false)
      .sort((a, b) => Number(b.game === this.game) - Number(a.game === this.game) || a.ageSeconds - b.ageSeconds);

    if (shown.length === 0) {
      this.rows.clear();
      this.list.replaceChildren(element('p', { className: 'empty' },
        'No matches are running. Press ', element('strong', {}, 'Play'), ' to start one.'));
      return;
    }
    if (!this.list.contains(this.table)) this.list.replaceChildren(this.table);

    const seen = new Set();
    shown.forEach((m, index) => {
      seen.add(m.id);
      let row = this.rows.get(m.id);
      if (!row) {
        row = matchRow(m);
        this.rows.set(m.id, row);
      }
      updateRow(row, m);
      if (this.body.children[index] !== row) this.body.insertBefore(row, this.body.children[index] ?? null);
    });
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) { row.remove(); this.rows.delete(id); }
    }
  }

  /**
   * Every game on the server, each with a link to the inspector, which
   * joins any game (and says why one does not load).
   * @param {{name: string, tickRate?: number, maxPlayers?: number, error?: string}[]} games
   */
  renderGames(games) {
    const box = document.getElementById('games');
    if (!box) return;
    const key = JSON.stringify(games);
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren(element('ul', { className: 'game-list' }, ...games.map((g) => element('li', {},
      element('strong', {}, g.name), ' ',
      g.error ? element('span', { className: 'problem' }, `does not load: ${g.error}`)
        : element('span', { className: 'hint' }, `${g.tickRate} Hz, ${g.maxPlayers} seats `),
      g.error ? '' : element('a', { href: `/inspect?${new URLSearchParams({ game: g.name })}` }, 'Inspect')))));
  }

  /** @param {string} why */
  renderProblem(why) {
    this.rows.clear();
    this.body.replaceChildren();
    this.updated.textContent = '';
    this.list.replaceChildren(element('p', { className: 'empty problem' },
      `Could not list the matches: ${why}. Retrying…`));
  }
}

/** A new row for a match: its cells are filled by updateRow. @param {MatchSummary} m */
function matchRow(m) {
  const join = element('button', { type: 'button', className: 'join' }, 'Join');
  join.dataset.action = 'join';
  join.setAttribute('aria-label', `Join match ${m.id}`);
  const spectate = element('button', { type: 'button', className: 'spectate secondary', title: `Watch match ${m.id}` }, 'Spectate');
  spectate.dataset.action = 'spectate';
  spectate.setAttribute('aria-label', `Spectate match ${m.id}`);
  const inspect = element('a', { className: 'inspect', href: `/inspect?${new URLSearchParams({ match: m.id })}`,
    title: `Watch match ${m.id} in the inspector` }, 'Inspect');
  const row = /** @type {HTMLTableRowElement} */ (element('tr', {},
    element('td', {}, element('span', { className: 'game-name' }), element('span', { className: 'match-id' }, m.id), ' ', inspect),
    element('td', { className: 'num players' }),
    element('td', { className: 'num spectators' }),
    element('td', { className: 'num age' }),
    element('td', { className: 'actions' }, join, spectate)));
  row.dataset.match = m.id;
  return row;
}

/** @param {HTMLTableRowElement} row @param {MatchSummary} m */
function updateRow(row, m) {
  const full = m.players >= m.capacity;
  row.dataset.game = m.game;
  setText(row.querySelector('.game-name'), m.game);
  setText(row.querySelector('.players'), `${m.players}/${m.capacity}`);
  setText(row.querySelector('.spectators'), String(m.spectators));
  setText(row.querySelector('.age'), formatAge(m.ageSeconds));
  const join = /** @type {HTMLButtonElement} */ (row.querySelector('button.join'));
  join.disabled = full;
  join.title = full ? 'This match is full' : `Take a seat in match ${m.id}`;
  setText(join, full ? 'Full' : 'Join');
  row.classList.toggle('full', full);
}

/** GET a JSON document of this server. @param {string} path */
async function getJSON(path) {
  const response = await fetch(path, { cache: 'no-store', headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`the server answered ${response.status} ${(await response.text()).trim()}`);
  return response.json();
}

/** @param {Element | null} el @param {string} text */
function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

function storedName() {
  try { return localStorage.getItem(NAME_KEY); } catch { return null; }
}

let generated = '';
function defaultName() {
  if (!generated) generated = `Pilot ${100 + Math.floor(Math.random() * 900)}`;
  return generated;
}

/** @param {number} seconds */
export function formatAge(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, '0')} min`;
}

/**
 * A small DOM builder: element('td', {className: 'num'}, 'text', child…).
 * @param {string} tag
 * @param {Record<string, any>} props
 * @param {...(Node|string)} children
 */
export function element(tag, props, ...children) {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}
