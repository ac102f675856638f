// What the page inspects, from its address, and the picker that lists every
// game (GET /games) and match (GET /matches) with links to join or watch:
//
//   /inspect?match=ID            spectate match ID
//   /inspect?match=ID&follow=N   spectate what player N sees
//   /inspect?game=NAME           join NAME (its fullest open match, or a new one)
//   /inspect?game=NAME&match=ID  join that match
//
// Moving to another match loads the page again: one page, one connection.

import { element } from './dom.js';

/**
 * @typedef {{game?: string, match?: string, spectate: boolean, follow?: number}} Target
 * @typedef {{name: string, title?: string, tickRate?: number, maxPlayers?: number,
 *            matches?: number, error?: string, reloadError?: string}} GameListing
 * @typedef {{id: string, game: string, players: number, spectators: number,
 *            capacity: number, tick: number, running: boolean, replay?: boolean}} MatchSummary
 */

/** The target named by a query string; null when it names none. @param {string} search @returns {Target|null} */
export function readTarget(search) {
  const params = new URLSearchParams(search);
  const game = params.get('game')?.trim() || undefined;
  const match = params.get('match')?.trim() || undefined;
  if (!game && !match) return null;
  const follow = Number(params.get('follow'));
  return { game, match, spectate: !game, follow: !game && Number.isInteger(follow) && follow >= 1 && follow <= 255 ? follow : undefined };
}

/** @param {string} game @param {string} [match] */
export function joinLink(game, match) {
  const q = new URLSearchParams({ game });
  if (match) q.set('match', match);
  return `/inspect?${q}`;
}

/** @param {string} match @param {number} [follow] a player whose view to watch */
export function spectateLink(match, follow) {
  const q = new URLSearchParams({ match });
  if (follow) q.set('follow', String(follow));
  return `/inspect?${q}`;
}

/** GET a JSON document of this server. @param {string} path */
export async function getJSON(path) {
  const response = await fetch(path, { cache: 'no-store', headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path} answered ${response.status} ${(await response.text()).trim()}`);
  return response.json();
}

/** The list of games and their matches, refreshed every few seconds. */
export class Picker {
  /** @param {HTMLElement} list */
  constructor(list) {
    this.list = list;
    this.timer = 0;
  }

  start() {
    this.refresh();
  }

  async refresh() {
    clearTimeout(this.timer);
    try {
      const [games, matches] = await Promise.all([getJSON('/games'), getJSON('/matches')]);
      this.render(games, matches);
    } catch (error) {
      this.list.replaceChildren(element('p', { className: 'empty problem' }, `Could not list the games: ${error.message ?? error}`));
    }
    this.timer = setTimeout(() => this.refresh(), 3000);
  }

  /** @param {GameListing[]} games @param {MatchSummary[]} matches */
  render(games, matches) {
    if (games.length === 0) {
      this.list.replaceChildren(element('p', { className: 'empty' }, 'This server has no games.'));
      return;
    }
    const rows = [];
    for (const g of [...games].sort((a, b) => a.name.localeCompare(b.name))) {
      const problem = g.error ?? g.reloadError;
      rows.push(element('tr', { className: 'game-row' },
        element('th', { scope: 'row' }, g.name),
        element('td', {}, problem ? element('span', { className: 'problem' }, problem)
          : `${g.tickRate} Hz, ${g.maxPlayers} seats`),
        element('td', { className: 'actions' }, g.error ? '' : element('a', { href: joinLink(g.name), className: 'button' }, 'Join'))));
      for (const m of matches.filter((x) => x.game === g.name && x.running !== false)) {
        const full = m.players >= m.capacity;
        const row = element('tr', { className: 'match-row' },
          element('td', {}),
          element('td', {}, element('code', {}, m.id), `${m.replay ? ' (replay)' : ''} ${m.players}/${m.capacity} players, ${m.spectators} watching, tick ${m.tick}`),
          element('td', { className: 'actions' },
            full || m.replay ? '' : element('a', { href: joinLink(g.name, m.id), className: 'button' }, 'Join'),
            ' ', element('a', { href: spectateLink(m.id), className: 'button secondary' }, 'Spectate')));
        row.dataset.match = m.id;
        rows.push(row);
      }
    }
    this.list.replaceChildren(element('table', { className: 'picker-table' }, element('tbody', {}, ...rows)));
  }
}
