// One table on the cards page: a TickwireClient seated at (or watching) a
// match of the cards game (games/cards), drawn as the players' seats with
// how many cards each holds, the top of the pile, the deck, this player's
// hand as buttons, and a log of the table's events. Moves are the game's
// client events: a card button sends `play` (an 8 asks for a suit first),
// the deck sends `draw`.
//
// The server sends a player their own cards and the top of the pile, and
// nothing of anyone else's hand; the page shows as its hand only the cards
// whose owner is this player, so even a server that sent more would show
// no other hand.

import { TickwireClient } from './tickwire.js';
import { element } from './lobby.js';

/** Lines kept in the log; older ones are dropped. */
const MAX_LINES = 200;
/** match.phase */
const WAITING = 1, PLAYING = 2, OVER = 3;
/** Suits 1..4 as the game numbers them. */
const SUITS = [null,
  { symbol: '♣', name: 'clubs', red: false },
  { symbol: '♦', name: 'diamonds', red: true },
  { symbol: '♥', name: 'hearts', red: true },
  { symbol: '♠', name: 'spades', red: false }];
/** Ranks 1 (ace) .. 13 (king). */
const RANKS = [null, 'A', '2', '3', '4', '5', '6', '7', '8', '9', '10', 'J', 'Q', 'K'];
const RANK_NAMES = [null, 'ace', '2', '3', '4', '5', '6', '7', '8', '9', '10', 'jack', 'queen', 'king'];

/** @typedef {{state: string, message: string, code?: number}} Status */
/** @typedef {{id: number, kind: string, fields: Record<string, any>}} Entity */

/** "7♥" @param {{rank: number, suit: number}} card */
export function cardText({ rank, suit }) {
  return `${RANKS[rank] ?? '?'}${SUITS[suit]?.symbol ?? '?'}`;
}

/** "7 of hearts" @param {{rank: number, suit: number}} card */
function cardName({ rank, suit }) {
  return `${RANK_NAMES[rank] ?? '?'} of ${SUITS[suit]?.name ?? '?'}`;
}

export class CardTable {
  /**
   * @param {object} options
   * @param {string} options.game      the cards game's name on the server
   * @param {string} options.match     the table
   * @param {string} options.name      the player's name
   * @param {boolean} options.spectate watch without a seat
   * @param {(status: Status, table: CardTable) => void} options.onStatus
   */
  constructor({ game, match, name, spectate, onStatus }) {
    this.match = match;
    this.spectate = spectate;
    this.onStatus = onStatus;
    /** Whether a welcome arrived (a refusal before it sends the page back to the list). */
    this.welcomed = false;
    /** The 8 waiting for a suit, by card id; 0 when none. */
    this.chosen = 0;
    /** The card this player drew last, marked in the hand until the next move. */
    this.drawn = 0;
    /** Names of the players by id, kept after they leave for the log. */
    this.names = new Map();
    /** @type {Entity[]} cards that came into this player's hand this tick */
    this.arrived = [];
    this.el = {
      phase: /** @type {HTMLElement} */ (document.getElementById('phase')),
      seats: /** @type {HTMLElement} */ (document.getElementById('seats')),
      top: /** @type {HTMLElement} */ (document.getElementById('top')),
      suit: /** @type {HTMLElement} */ (document.getElementById('suit')),
      deck: /** @type {HTMLElement} */ (document.getElementById('deck')),
      draw: /** @type {HTMLButtonElement} */ (document.getElementById('draw')),
      hand: /** @type {HTMLElement} */ (document.getElementById('hand')),
      handTitle: /** @type {HTMLElement} */ (document.getElementById('hand-title')),
      picker: /** @type {HTMLElement} */ (document.getElementById('suit-picker')),
      log: /** @type {HTMLOListElement} */ (document.getElementById('log')),
    };
    this.client = new TickwireClient({ game, match, name, spectate });
    this.client.on('status', (/** @type {Status} */ status) => this.onStatus(status, this));
    this.client.on('welcome', () => { this.welcomed = true; });
    this.client.on('added', (/** @type {Entity} */ e) => {
      if (e.kind === 'card' && this.me !== 0 && e.fields.owner === this.me) this.arrived.push(e);
    });
    this.client.on('event', (event) => this.event(event));
    this.client.on('snapshot', () => {
      this.render();
      this.arrived = [];
    });

    this.onHand = (/** @type {MouseEvent} */ event) => {
      const button = /** @type {HTMLButtonElement | null} */ (/** @type {HTMLElement} */ (event.target).closest('button[data-card]'));
      if (button && !button.disabled) this.choose(Number(button.dataset.card));
    };
    this.onDraw = () => this.send('draw', {});
    this.onPicker = (/** @type {MouseEvent} */ event) => {
      const button = /** @type {HTMLElement} */ (event.target).closest('button');
      if (!button) return;
      if (button.dataset.suit) this.send('play', { card: this.chosen, suit: Number(button.dataset.suit) });
      this.chosen = 0;
      this.render();
    };
    this.el.hand.addEventListener('click', this.onHand);
    this.el.draw.addEventListener('click', this.onDraw);
    this.el.picker.addEventListener('click', this.onPicker);
    this.el.log.replaceChildren();
    this.el.hand.replaceChildren();
    this.el.seats.replaceChildren();
    this.el.top.textContent = '';
    this.el.phase.textContent = '';
    this.el.picker.hidden = true;
    this.el.handTitle.textContent = spectate ? 'Watching: no hand is shown to spectators' : 'Your hand';
  }

  start() { this.client.connect(); }

  dispose() {
    this.el.hand.removeEventListener('click', this.onHand);
    this.el.draw.removeEventListener('click', this.onDraw);
    this.el.picker.removeEventListener('click', this.onPicker);
    this.client.close();
  }

  /** This player's id, 0 for a spectator or before the welcome. */
  get me() { return this.client.welcome?.player ?? 0; }

  /** A card of the hand was pressed: play it, or first ask for a suit if it is an 8. @param {number} id */
  choose(id) {
    const card = this.client.state?.entities.get(id);
    if (!card) return;
    if (card.fields.rank === 8) {
      this.chosen = id;
      this.render();
      return;
    }
    this.send('play', { card: id, suit: 0 });
  }

  /** @param {string} name @param {Record<string, number>} fields */
  send(name, fields) {
    this.drawn = 0;
    if (!this.client.sendEvent(name, fields)) this.log('Not connected: the move was not sent.', 'refused');
  }

  /** @param {number} id */
  nameOf(id) {
    if (id === this.me) return 'You';
    return this.names.get(id) ?? `Player ${id}`;
  }

  /** @param {{name: string, to: number, fields: Record<string, any>}} event */
  event({ name, fields }) {
    this.learnNames();
    switch (name) {
      case 'dealt':
        this.log(`The cards are dealt: ${fields.players} players, ${fields.cards} cards each.`);
        break;
      case 'played': {
        const named = fields.named ? `, naming ${SUITS[fields.named]?.name}` : '';
        this.log(`${this.nameOf(fields.player)} played the ${cardName(fields)}${named}.`, '', cardText(fields));
        break;
      }
      case 'drew': {
        const late = fields.timed_out ? ' (out of time)' : '';
        const mine = fields.player === this.me ? this.arrived.find((c) => c.fields.owner === this.me) : undefined;
        if (mine) this.drawn = mine.id;
        this.log(mine ? `You drew the ${cardName(mine.fields)}${late}.` : `${this.nameOf(fields.player)} drew a card${late}.`);
        break;
      }
      case 'passed':
        this.log(`${this.nameOf(fields.player)} passed: nothing is left to draw${fields.timed_out ? ' (out of time)' : ''}.`);
        break;
      case 'reshuffled':
        this.log(`The pile is shuffled into a new deck of ${fields.cards} cards.`);
        break;
      case 'over': {
        const who = fields.winner ? (fields.winner === this.me ? 'You win' : `${this.nameOf(fields.winner)} wins`) : 'Nobody wins';
        this.log(`${who} (${fields.reason}).`, 'over');
        break;
      }
      case 'refused':
        this.log(`Not taken: ${fields.reason}.`, 'refused');
        break;
      default: break;
    }
  }

  /** Adds a line to the log, following it if the reader was at the bottom. */
  log(text, kind = '', card = '') {
    const log = this.el.log;
    const follow = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    const li = element('li', { className: kind }, text);
    if (kind === 'refused') li.setAttribute('role', 'alert');
    if (card) li.dataset.card = card;
    log.append(li);
    while (log.childElementCount > MAX_LINES) log.firstElementChild?.remove();
    if (follow) log.scrollTop = log.scrollHeight;
  }

  /** The seats, in seat order. @returns {Entity[]} */
  seats() {
    return [...(this.client.state?.entities.values() ?? [])]
      .filter((e) => e.kind === 'seat')
      .sort((a, b) => a.fields.player - b.fields.player);
  }

  learnNames() {
    for (const s of this.seats()) this.names.set(s.fields.player, s.fields.name);
  }

  /** This player's cards, by suit then rank. Only cards they own: never anyone else's. @returns {Entity[]} */
  hand() {
    if (this.me === 0) return [];
    return [...(this.client.state?.entities.values() ?? [])]
      .filter((e) => e.kind === 'card' && e.fields.owner === this.me)
      .sort((a, b) => a.fields.suit - b.fields.suit || a.fields.rank - b.fields.rank || a.id - b.id);
  }

  render() {
    const state = this.client.state;
    if (!state) return;
    const m = state.match;
    this.learnNames();
    const seats = this.seats();
    const mine = m.phase === PLAYING && m.turn === this.me && this.me !== 0;
    const top = m.top ? state.entities.get(m.top) : undefined;

    // What is going on, in one line.
    let line = '';
    if (m.phase === WAITING) {
      const missing = Math.max(0, m.needed - seats.length);
      line = m.starts_in > 0 ? `Dealing in ${m.starts_in} s: more players may still sit down`
        : `Waiting for ${missing} more player${missing === 1 ? '' : 's'}`;
    } else if (m.phase === PLAYING) {
      line = mine ? `Your turn: ${m.turn_left} s` : `${this.nameOf(m.turn)}'s turn: ${m.turn_left} s`;
    } else if (m.phase === OVER) {
      line = m.winner === this.me && this.me !== 0 ? 'You win!' : m.winner ? `${this.nameOf(m.winner)} wins` : 'Game over';
    }
    this.el.phase.textContent = line;
    this.el.phase.dataset.mine = String(mine);
    this.el.phase.dataset.phase = String(m.phase);

    this.el.seats.replaceChildren(...seats.map((s) => {
      const f = s.fields;
      const li = element('li', {},
        element('span', { className: 'name' }, f.player === this.me ? `${f.name} (you)` : f.name),
        element('span', { className: 'count' }, `${f.cards} card${f.cards === 1 ? '' : 's'}`));
      li.dataset.player = String(f.player);
      li.dataset.cards = String(f.cards);
      li.classList.toggle('me', f.player === this.me);
      li.classList.toggle('turn', m.phase === PLAYING && f.player === m.turn);
      return li;
    }));

    this.el.top.textContent = top ? cardText(top.fields) : '';
    this.el.top.classList.toggle('red', Boolean(top && SUITS[top.fields.suit]?.red));
    this.el.top.dataset.card = top ? cardText(top.fields) : '';
    this.el.top.setAttribute('aria-label', top ? `Top card: ${cardName(top.fields)}` : 'No card on the pile yet');
    const suit = SUITS[m.suit];
    this.el.suit.textContent = suit ? `${suit.symbol} ${suit.name}` : '—';
    this.el.suit.classList.toggle('red', Boolean(suit?.red));
    this.el.suit.dataset.suit = String(m.suit);
    this.el.deck.textContent = String(m.deck);
    this.el.draw.disabled = !mine;

    const hand = this.hand();
    if (!hand.some((c) => c.id === this.chosen) || !mine) this.chosen = 0;
    const playable = (/** @type {Entity} */ c) => mine && top !== undefined
      && (c.fields.rank === 8 || c.fields.suit === m.suit || c.fields.rank === top.fields.rank);
    const signature = `${hand.map((c) => c.id).join(',')}|${mine}|${m.suit}|${m.top}|${this.chosen}|${this.drawn}`;
    if (signature !== this.el.hand.dataset.signature) {
      this.el.hand.dataset.signature = signature;
      this.el.hand.replaceChildren(...hand.map((c) => {
        const button = element('button', { type: 'button', className: 'playing-card face', disabled: !playable(c) },
          cardText(c.fields));
        button.dataset.card = String(c.id);
        button.dataset.rank = String(c.fields.rank);
        button.dataset.suit = String(c.fields.suit);
        button.classList.toggle('red', Boolean(SUITS[c.fields.suit]?.red));
        button.classList.toggle('new', c.id === this.drawn);
        button.classList.toggle('chosen', c.id === this.chosen);
        button.setAttribute('aria-label', `Play the ${cardName(c.fields)}`);
        return button;
      }));
    }
    this.el.picker.hidden = this.chosen === 0;
  }
}
