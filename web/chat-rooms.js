// The chat page's room list (a `MatchList`): a room is a match of the chat
// game; busiest rooms first, each with a Join button.

import { MatchList } from './match-list.js';

/** @typedef {import('./lobby.js').MatchSummary} MatchSummary */

export class RoomList extends MatchList {
  /** @param {{game: string, onJoin: (match: string) => void}} options */
  constructor({ game, onJoin }) {
    super({ game, noun: 'room', onJoin });
  }

  /** Busiest first, then oldest: where the conversation is. @param {MatchSummary[]} rooms */
  order(rooms) {
    rooms.sort((a, b) => b.players - a.players || b.ageSeconds - a.ageSeconds || a.id.localeCompare(b.id));
  }

  headings() { return ['Members']; }
}
