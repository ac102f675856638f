// The cards page's table list (a `MatchList`), each table with Join and
// Watch. A table is a match of the cards game; once its cards are dealt it
// seats nobody more, but anyone may watch (and sees no hand).

import { MatchList } from './match-list.js';

/** @typedef {import('./lobby.js').MatchSummary} MatchSummary */

export class TableList extends MatchList {
  /** @param {{game: string, onJoin: (match: string, how: {spectate: boolean}) => void}} options */
  constructor({ game, onJoin }) {
    super({ game, noun: 'table', onJoin });
  }

  /** Newest first: the table most likely still waiting for players. @param {MatchSummary[]} tables */
  order(tables) {
    tables.sort((a, b) => a.ageSeconds - b.ageSeconds || a.id.localeCompare(b.id));
  }

  headings() { return ['Players', 'Watching']; }

  /** @param {MatchSummary} t */
  cells(t) { return [`${t.players}/${t.capacity}`, String(t.spectators ?? 0)]; }

  /** @param {MatchSummary} t */
  buttons(t) {
    return [this.button(t, 'join', t.players >= t.capacity ? 'Full' : 'Join', 'join'), this.button(t, 'watch', 'Watch', 'secondary')];
  }
}
