// The match's side panel and overlays: connection figures (ping, snapshots
// per second, bytes per second), the scoreboard, the phase and clock, the
// kill feed, and the banner over the canvas (reconnecting, disconnected,
// match over).

import { playerColor } from './arena-render.js';
import { element } from './lobby.js';

/** match.phase values (games/arena/game.lua). */
export const Phase = { playing: 1, suddenDeath: 2, over: 3 };

const FEED_LINES = 5;
const FEED_MS = 8000;

/** @typedef {{id: number, kind: string, fields: Record<string, any>}} Entity */

export class Hud {
  constructor() {
    this.ping = byId('ping');
    this.tickrate = byId('tickrate');
    this.bandwidth = byId('bandwidth');
    this.phase = byId('phase');
    this.matchId = byId('match-id');
    this.scoreRows = /** @type {HTMLElement} */ (byId('scoreboard').querySelector('tbody'));
    this.feedList = byId('feed');
    this.controls = byId('controls');
    this.banner = byId('banner');
    this.bannerTitle = byId('banner-title');
    this.bannerText = byId('banner-text');
    this.bannerAgain = /** @type {HTMLButtonElement} */ (byId('banner-again'));
    this.scoresDrawn = '';
    this.phaseDrawn = '';
  }

  /** Clears everything for a new match. @param {boolean} spectating */
  reset(spectating) {
    this.ping.textContent = this.tickrate.textContent = this.bandwidth.textContent = '–';
    this.matchId.textContent = '';
    this.scoreRows.replaceChildren();
    this.feedList.replaceChildren();
    this.scoresDrawn = this.phaseDrawn = '';
    this.setPhase('Connecting…');
    this.controls.hidden = spectating;
    this.hideBanner();
  }

  /**
   * @param {{ping: number|null, tickRate: number, bytesIn: number, bytesOut: number}} stats
   * @param {boolean} spectating  no inputs, so no round trip to measure
   */
  showStats(stats, spectating) {
    setText(this.ping, stats.ping == null ? (spectating ? 'n/a' : '–') : `${Math.round(stats.ping)} ms`);
    setText(this.tickrate, `${formatRate(stats.tickRate)} /s`);
    setText(this.bandwidth, `↓ ${formatBytes(stats.bytesIn)}  ↑ ${formatBytes(stats.bytesOut)}`);
    this.ping.title = spectating ? 'Spectators send no inputs, so there is no round trip to time' : 'Round trip of an input';
  }

  /** @param {{match: string, player: number, tickRate: number}} welcome @param {string} myName */
  showWelcome(welcome, myName) {
    this.matchId.textContent = welcome.player === 0
      ? `Spectating match ${welcome.match}`
      : `Match ${welcome.match} · you are ${myName || `player ${welcome.player}`}`;
  }

  /**
   * The ships, best first: score, then fewer deaths, then player id.
   * @param {Entity[]} ships @param {number} me
   */
  showScores(ships, me) {
    const rows = ships.map((s) => ({
      player: Number(s.fields.player) || 0, name: String(s.fields.name ?? ''),
      score: Number(s.fields.score) || 0, deaths: Number(s.fields.deaths) || 0, alive: s.fields.alive !== false,
    })).sort((a, b) => b.score - a.score || a.deaths - b.deaths || a.player - b.player);
    const key = JSON.stringify(rows) + me;
    if (key === this.scoresDrawn) return;
    this.scoresDrawn = key;
    if (rows.length === 0) {
      this.scoreRows.replaceChildren(element('tr', {}, element('td', { colSpan: 3, className: 'empty' }, 'No players yet')));
      return;
    }
    this.scoreRows.replaceChildren(...rows.map((r) => {
      const swatch = element('span', { className: 'swatch' });
      swatch.style.background = playerColor(r.player);
      const tr = element('tr', { className: (r.player === me ? 'me' : '') + (r.alive ? '' : ' dead') },
        element('td', { className: 'who' }, swatch, r.name + (r.player === me ? ' (you)' : '')),
        element('td', { className: 'num' }, String(r.score)),
        element('td', { className: 'num' }, String(r.deaths)));
      tr.dataset.player = String(r.player);
      return tr;
    }));
  }

  /** @param {Record<string, any> | undefined} match  the match's fields */
  showMatch(match) {
    if (!match) return;
    const left = Number(match.time_left) || 0;
    const clock = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    switch (match.phase) {
      case Phase.playing: this.setPhase(`${clock} left`, 'playing'); break;
      case Phase.suddenDeath: this.setPhase('Sudden death: next kill wins', 'sudden'); break;
      case Phase.over: this.setPhase('Match over', 'over'); break;
      default: this.setPhase(match.phase === undefined ? 'In match' : `Phase ${match.phase}`);
    }
  }

  /** @param {string} text @param {string} [kind] */
  setPhase(text, kind = '') {
    if (this.phaseDrawn === text + kind) return;
    this.phaseDrawn = text + kind;
    this.phase.textContent = text;
    this.phase.dataset.phase = kind;
  }

  /** A line in the kill feed, faded out after a few seconds. @param {(string|Node)[]} parts */
  addFeed(...parts) {
    const line = element('li', {}, ...parts);
    this.feedList.prepend(line);
    while (this.feedList.children.length > FEED_LINES) this.feedList.lastElementChild?.remove();
    setTimeout(() => line.classList.add('old'), FEED_MS);
  }

  /** A player's name in their colour, for the feed. @param {Entity | undefined} ship */
  nameTag(ship) {
    const tag = element('strong', {}, ship ? String(ship.fields.name ?? '?') : 'someone');
    if (ship) tag.style.color = playerColor(Number(ship.fields.player) || 0, 72);
    return tag;
  }

  /**
   * The banner over the canvas.
   * @param {string} title @param {string} text
   * @param {{again?: boolean, tone?: 'info'|'warn'|'over'}} [options]  again: offer "Play again"
   */
  showBanner(title, text, { again = false, tone = 'info' } = {}) {
    this.banner.hidden = false;
    this.banner.dataset.tone = tone;
    setText(this.bannerTitle, title);
    setText(this.bannerText, text);
    this.bannerAgain.hidden = !again;
  }

  hideBanner() {
    this.banner.hidden = true;
  }
}

/** @param {string} id */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

/** @param {Element} el @param {string} text */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** @param {number} perSecond */
function formatBytes(perSecond) {
  const n = Number(perSecond) || 0;
  if (n < 1000) return `${Math.round(n)} B/s`;
  if (n < 1e6) return `${(n / 1000).toFixed(1)} kB/s`;
  return `${(n / 1e6).toFixed(2)} MB/s`;
}

/** @param {number} rate */
function formatRate(rate) {
  const n = Number(rate) || 0;
  return n >= 10 ? String(Math.round(n)) : n.toFixed(1);
}
