// One visit to a match: the TickwireClient, and what it drives on the page
// (the canvas each animation frame, the HUD on each snapshot, the input clock
// at the match's tick rate) until the player leaves.

import { TickwireClient } from './tickwire.js';
import { InputClock } from './controls.js';
import { Phase } from './hud.js';

/**
 * @typedef {import('./lobby.js').JoinRequest} JoinRequest
 * @typedef {{state: 'connecting'|'playing'|'spectating'|'reconnecting'|'closed', message: string, code?: number}} Status
 * @typedef {{id: number, kind: string, fields: Record<string, any>}} Entity
 */

const INTERPOLATION_TICKS = 2;
const STATS_MS = 500;

export class MatchSession {
  /**
   * @param {JoinRequest} request
   * @param {object} parts
   * @param {import('./hud.js').Hud} parts.hud
   * @param {import('./arena-render.js').ArenaRenderer} parts.renderer
   * @param {import('./controls.js').Keyboard} parts.keyboard
   * @param {(status: Status, session: MatchSession) => void} parts.onStatus
   */
  constructor(request, { hud, renderer, keyboard, onStatus }) {
    this.request = request;
    this.hud = hud;
    this.renderer = renderer;
    this.keyboard = keyboard;
    this.onStatus = onStatus;
    this.client = new TickwireClient({
      game: request.game,
      match: request.match,
      spectate: Boolean(request.spectate),
      name: request.name,
      reconnect: true,
      interpolationTicks: INTERPOLATION_TICKS,
    });
    /** @type {Status} */
    this.status = { state: 'connecting', message: 'Connecting…' };
    /** Whether a welcome ever arrived: a refusal before one sends the player back to the lobby. */
    this.welcomed = false;
    this.leaving = false;
    /** @type {string | null} the match of the last welcome */
    this.matchId = null;
    /** @type {{winner: number} | null} once the `over` event arrived */
    this.over = null;
    /** @type {{code: number, reason: string} | null} the server's last `error` message */
    this.refusal = null;

    this.clock = new InputClock(() => this.sendInput());
    this.frame = 0;
    this.statsTimer = 0;
    this.handlers = {
      status: (/** @type {Status} */ s) => this.onClientStatus(s),
      welcome: (/** @type {any} */ w) => this.onWelcome(w),
      snapshot: () => this.onSnapshot(),
      event: (/** @type {{name: string, to: number, fields: Record<string, any>}} */ e) => this.onEvent(e),
      error: (/** @type {{code: number, reason: string}} */ e) => { this.refusal = e; },
    };
    for (const [type, fn] of Object.entries(this.handlers)) this.client.on(type, fn);
  }

  /** The viewer's player id, 0 when spectating or before the welcome. */
  get me() { return this.client.welcome?.player ?? 0; }

  get spectating() { return this.request.spectate === true || this.client.welcome?.spectator === true; }

  start() {
    this.hud.reset(Boolean(this.request.spectate));
    this.client.connect();
    const loop = () => {
      this.frame = requestAnimationFrame(loop);
      this.render();
    };
    this.frame = requestAnimationFrame(loop);
    this.statsTimer = setInterval(() => this.hud.showStats(this.client.stats, this.spectating,
      this.status.state === 'playing' || this.status.state === 'spectating'), STATS_MS);
  }

  /** Closes the connection and stops drawing. The last frame stays on the canvas. */
  dispose() {
    this.leaving = true;
    this.clock.stop();
    this.keyboard.setEnabled(false);
    cancelAnimationFrame(this.frame);
    clearInterval(this.statsTimer);
    this.client.close();
    for (const [type, fn] of Object.entries(this.handlers)) this.client.off(type, fn);
  }

  /**
   * @private One input per tick, from the keys held, while seated in a
   * running match (the client skips one now and then to keep the server's
   * input queue short).
   */
  sendInput() {
    if (this.status.state !== 'playing' || this.client.state?.match?.phase === Phase.over) return;
    this.client.sendInput(this.keyboard.input());
  }

  /** @private */
  render() {
    const now = performance.now();
    const entities = this.client.state ? this.client.interpolated(now) : [];
    const waiting = this.status.state === 'closed' ? '' : this.status.message || 'Connecting…';
    this.renderer.draw(entities, { me: this.me, now, waiting });
  }

  /** @private @param {Status} status */
  onClientStatus(status) {
    this.status = status;
    if (this.leaving) return;
    const playing = status.state === 'playing';
    if (!playing) this.clock.stop();
    this.keyboard.setEnabled(playing);
    if (playing && this.client.welcome && !this.clock.running) this.clock.start(this.client.welcome.tickRate);

    if (status.state === 'reconnecting') {
      this.hud.showBanner('Connection lost', status.message || 'Reconnecting…', { tone: 'warn' });
    } else if (status.state === 'closed') {
      if (this.over) this.showOver();
      else this.hud.showBanner('Disconnected', status.message || 'The connection closed.', { again: true, tone: 'warn' });
    } else if (!this.over) {
      this.hud.hideBanner();
    }
    this.onStatus(status, this);
  }

  /** @private @param {{player: number, match: string, tickRate: number, spectator?: boolean}} welcome */
  onWelcome(welcome) {
    this.welcomed = true;
    if (welcome.match !== this.matchId) {
      // a new match (first join, or a fresh join after the old seat was lost)
      if (this.matchId !== null) this.hud.reset(this.spectating);
      this.matchId = welcome.match;
      this.over = null;
      this.renderer.effects = [];
    }
    this.hud.showWelcome(welcome, this.request.name);
    this.hud.controls.hidden = this.spectating;
    if (this.status.state === 'playing') this.clock.start(welcome.tickRate);
  }

  /** @private */
  onSnapshot() {
    const state = this.client.state;
    if (!state) return;
    const ships = [...state.entities.values()].filter((e) => e.kind === 'ship');
    this.hud.showScores(ships, this.me);
    this.hud.showMatch(state.match);
    if (state.match?.phase === Phase.over && !this.over) {
      // joined or resumed after the `over` event: the leader is the winner
      this.over = { winner: 0 };
      this.showOver();
    }
  }

  /** @private @param {{name: string, fields: Record<string, any>}} event */
  onEvent({ name, fields }) {
    const entities = this.client.state?.entities;
    const ship = (/** @type {number} */ id) => /** @type {Entity | undefined} */ (entities?.get(id));
    const now = performance.now();
    const delay = this.client.interpolationDelayMs();
    switch (name) {
      case 'hit': this.renderer.addEffect('hit', ship(fields.target), now, delay); break;
      case 'spawn': this.renderer.addEffect('spawn', ship(fields.ship), now, delay); break;
      case 'kill': {
        const victim = ship(fields.victim), killer = ship(fields.killer);
        this.renderer.addEffect('kill', victim, now, delay);
        this.hud.addFeed(this.hud.nameTag(killer), ' destroyed ', this.hud.nameTag(victim));
        break;
      }
      case 'over':
        this.over = { winner: Number(fields.winner) || 0 };
        this.showOver();
        break;
    }
  }

  /** @private The result banner. */
  showOver() {
    const ships = [...(this.client.state?.entities.values() ?? [])].filter((e) => e.kind === 'ship');
    let winner = this.over?.winner ?? 0;
    if (!winner) {
      // a draw, or the `over` event was missed: a single leader is the winner
      const best = Math.max(...ships.map((s) => Number(s.fields.score) || 0));
      const top = ships.filter((s) => (Number(s.fields.score) || 0) === best);
      if (top.length === 1) winner = Number(top[0].fields.player) || 0;
    }
    const winnerShip = ships.find((s) => s.fields.player === winner);
    let title = 'Draw';
    if (winner && winner === this.me) title = 'You win!';
    else if (winner) title = `${winnerShip?.fields.name ?? `Player ${winner}`} wins`;
    const kills = Number(winnerShip?.fields.score) || 0;
    const text = winnerShip ? `${kills} ${kills === 1 ? 'kill' : 'kills'}. The match is over.` : 'Nobody came out ahead. The match is over.';
    this.hud.showBanner(title, text, { again: true, tone: 'over' });
  }
}
