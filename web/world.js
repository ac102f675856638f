// The world page (/world): pick a name, then play games/world on a canvas
// that follows your blob. /world?match=ID joins that match. The server sends
// only what lies near your blob (the game's spatial interest), so pellets
// and blobs arrive and leave as you move; the leaderboard comes from
// everywhere. While in a match, window.world = { client } exposes the
// TickwireClient.

import { TickwireClient } from './tickwire.js';
import { InputClock } from './controls.js';
import { element } from './lobby.js';
import { WorldRenderer } from './world-render.js';

/** The world game's name on the server (its folder in games/). */
const GAME = 'world';
const NAME_KEY = 'tickwire.name';
const STATS_MS = 500;
const TOAST_MS = 2500;
/** CSS pixels from the blob at which the pointer asks for full speed. */
const FULL_SPEED_PX = 140;

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const statusLine = $('status');
const startSection = $('start');
const worldSection = $('world');
const nameInput = /** @type {HTMLInputElement} */ ($('name'));
const canvas = /** @type {HTMLCanvasElement} */ ($('view'));
const minimap = /** @type {HTMLCanvasElement} */ ($('minimap'));
const toast = $('toast');

/** @type {WorldRenderer | null} made when the world is first shown, so that it can measure the canvas */
let renderer = null;
/** @type {Visit | null} */
let visit = null;

/** Steering: the pointer's place on the canvas, the pointers pressed, and Space. */
const steer = {
  /** @type {{x: number, y: number} | null} CSS pixels from the canvas's top left */
  at: null,
  /** @type {Set<number>} */
  down: new Set(),
  space: false,
  /** Whether the mouse button is held (a mouse pointer that is down). */
  mouse: false,
};

/** One stay in a match: the client, the input clock and the drawing loop. */
class Visit {
  /** @param {string} name @param {string | undefined} match */
  constructor(name, match) {
    this.client = new TickwireClient({ game: GAME, match, name, reconnect: true });
    this.welcomed = false;
    this.state = 'connecting';
    this.message = 'Connecting…';
    this.clock = new InputClock(() => this.sendInput());
    this.frame = 0;
    this.statsTimer = 0;
    this.toastTimer = 0;
    this.boardChanged = true;
    this.client.on('status', (/** @type {{state: string, message: string}} */ s) => this.onStatus(s));
    this.client.on('welcome', (/** @type {{match: string, tickRate: number}} */ w) => {
      this.welcomed = true;
      if (this.state === 'playing') this.clock.start(w.tickRate);
      if (new URLSearchParams(location.search).get('match') !== w.match) {
        history.replaceState(null, '', `/world?match=${encodeURIComponent(w.match)}`);
      }
    });
    this.client.on('event', (/** @type {{name: string, fields: Record<string, any>}} */ e) => this.onEvent(e));
    for (const type of ['added', 'removed', 'changed']) {
      this.client.on(type, (/** @type {{kind: string}} */ e) => { if (e.kind === 'leader') this.boardChanged = true; });
    }
    this.client.on('snapshot', () => this.onSnapshot());
  }

  /** The player's id, 0 before the welcome. */
  get me() { return this.client.welcome?.player ?? 0; }

  start() {
    this.client.connect();
    const loop = () => {
      this.frame = requestAnimationFrame(loop);
      const entities = this.client.state ? this.client.interpolated(performance.now()) : [];
      renderer?.draw(entities, {
        me: this.me, size: Number(this.client.state?.match?.size) || 8000,
        waiting: this.state === 'closed' ? '' : this.message || 'Connecting…',
      });
    };
    this.frame = requestAnimationFrame(loop);
    this.statsTimer = setInterval(() => this.showStats(), STATS_MS);
  }

  dispose() {
    this.clock.stop();
    cancelAnimationFrame(this.frame);
    clearInterval(this.statsTimer);
    clearTimeout(this.toastTimer);
    this.client.close();
  }

  /** @private Where the pointer is, as the game's input: a direction of length up to 127 and boost. */
  sendInput() {
    if (this.state !== 'playing' || !renderer) return;
    let dx = 0, dy = 0;
    if (steer.at) {
      const px = steer.at.x - renderer.width / 2, py = steer.at.y - renderer.height / 2;
      const len = Math.hypot(px, py);
      if (len > 2) {
        const k = Math.min(1, len / FULL_SPEED_PX) * 127 / len;
        dx = Math.round(px * k);
        dy = Math.round(-py * k);                // y is up in the world
      }
    }
    const boost = steer.space || steer.mouse || steer.down.size > 1;
    this.client.sendInput({ dx, dy, boost });
  }

  /** @private @param {{state: string, message: string}} status */
  onStatus({ state, message }) {
    this.state = state;
    this.message = message;
    if (state === 'playing' && this.client.welcome) this.clock.start(this.client.welcome.tickRate);
    else this.clock.stop();
    if (state === 'playing') setStatus(state, `In world ${this.client.welcome?.match ?? ''} as ${this.client.options.name}`);
    else setStatus(state, message);
    if (state === 'closed' && !this.welcomed) leave(message || 'Could not join the world.');
  }

  /** @private */
  onSnapshot() {
    const state = this.client.state;
    if (!state) return;
    /** @type {{id: number, fields: Record<string, any>} | null} */
    let mine = null, inView = 0;
    for (const e of state.entities.values()) {
      if (e.kind === 'blob' && e.fields.owner === this.me && (!mine || e.id < mine.id)) mine = e;
      if (e.kind === 'blob' || e.kind === 'food') inView += 1;
    }
    $('in-view').textContent = String(inView);
    $('me-line').textContent = mine ? `${mine.fields.name} · mass ${mine.fields.mass}` : '';
    const players = Number(state.match?.blobs) || 0;
    $('my-rank').textContent = mine && mine.fields.rank ? `You: #${mine.fields.rank} of ${players}` : `${players} playing`;
    if (this.boardChanged) this.showBoard();
  }

  /** @private The `leader` rows, rank order; empty ones left out. */
  showBoard() {
    this.boardChanged = false;
    const rows = [...(this.client.state?.entities.values() ?? [])]
      .filter((e) => e.kind === 'leader' && e.fields.player)
      .sort((a, b) => a.fields.rank - b.fields.rank);
    $('board').replaceChildren(...rows.map((row) => element('li', { className: row.fields.player === this.me ? 'me' : '' },
      element('span', { className: 'name', textContent: `${row.fields.rank}. ${row.fields.name}` }),
      element('span', { className: 'mass', textContent: String(row.fields.mass) }))));
  }

  /** @private */
  showStats() {
    const { ping, tickRate, bytesIn, bytesOut } = this.client.stats;
    $('ping').textContent = ping == null ? '–' : `${Math.round(ping)} ms`;
    $('tickrate').textContent = `${Math.round(tickRate)}/s`;
    $('bandwidth').textContent = `↓ ${kilo(bytesIn)}  ↑ ${kilo(bytesOut)}`;
  }

  /** @private @param {{name: string, fields: Record<string, any>}} event */
  onEvent({ name, fields }) {
    if (name === 'eaten') this.say(`Eaten by ${fields.by} at mass ${fields.mass}: back to the start`, 'bad');
    else if (name === 'ate') this.say(`You ate ${fields.name} (+${fields.mass})`, 'good');
  }

  /** @private @param {string} text @param {string} tone */
  say(text, tone) {
    toast.textContent = text;
    toast.dataset.tone = tone;
    toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { toast.hidden = true; }, TOAST_MS);
  }
}

/** @param {number} n bytes per second */
function kilo(n) {
  return n < 1000 ? `${Math.round(n)} B/s` : `${(n / 1000).toFixed(1)} kB/s`;
}

/** @param {string} state @param {string} message */
function setStatus(state, message) {
  statusLine.textContent = message;
  if (state) statusLine.dataset.state = state;
  else delete statusLine.dataset.state;
}

/** The name to play as: the field's, else its placeholder; remembered when typed. */
function playerName() {
  const typed = nameInput.value.trim().slice(0, 16);
  try {
    if (typed) localStorage.setItem(NAME_KEY, typed);
    else localStorage.removeItem(NAME_KEY);
  } catch { /* storage may be disabled: the name is just not remembered */ }
  return typed || nameInput.placeholder;
}

/** @param {string | undefined} match */
function play(match) {
  endVisit();
  startSection.hidden = true;
  worldSection.hidden = false;
  renderer ??= new WorldRenderer(canvas, minimap);
  renderer.resize();
  $('board').replaceChildren();
  toast.hidden = true;
  visit = new Visit(playerName(), match);
  window.world = { client: visit.client };
  setStatus('connecting', 'Joining the world…');
  canvas.focus({ preventScroll: true });
  visit.start();
}

/** Back to the start card. @param {string} [problem] why the world was refused or lost */
function leave(problem) {
  const was = visit;
  endVisit();
  if (location.search) history.replaceState(null, '', '/world');
  worldSection.hidden = true;
  startSection.hidden = false;
  const notice = $('notice');
  notice.textContent = problem ?? '';
  notice.hidden = !problem;
  if (was) setStatus('closed', problem ?? 'You left the world.');
}

function endVisit() {
  if (!visit) return;
  const ending = visit;
  visit = null;
  ending.dispose();
  window.world = null;
}

// ---- controls: the pointer (mouse, pen or fingers) and Space ----

/** @param {PointerEvent} event */
function pointAt(event) {
  const box = canvas.getBoundingClientRect();
  steer.at = { x: event.clientX - box.left, y: event.clientY - box.top };
}
canvas.addEventListener('pointermove', (event) => {
  // with two fingers down, the first steers and the second boosts
  if (event.pointerType !== 'touch' || steer.down.size === 0 || event.pointerId === [...steer.down][0]) pointAt(event);
});
canvas.addEventListener('pointerdown', (event) => {
  if (steer.down.size === 0) pointAt(event);
  steer.down.add(event.pointerId);
  if (event.pointerType === 'mouse') steer.mouse = true;
  canvas.setPointerCapture(event.pointerId);
  event.preventDefault();
});
for (const type of ['pointerup', 'pointercancel']) {
  canvas.addEventListener(type, (event) => {
    const pointer = /** @type {PointerEvent} */ (event);
    steer.down.delete(pointer.pointerId);
    if (pointer.pointerType === 'mouse') steer.mouse = false;
  });
}
window.addEventListener('keydown', (event) => {
  if (!visit) return;
  const typing = event.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(event.target.tagName);
  if (event.code === 'Space' && !typing) {
    steer.space = true;
    event.preventDefault();                      // no page scrolling
  }
  if (event.key === 'Escape') leave();
});
window.addEventListener('keyup', (event) => { if (event.code === 'Space') steer.space = false; });
window.addEventListener('blur', () => { steer.space = false; steer.mouse = false; steer.down.clear(); });

$('play-form').addEventListener('submit', (event) => {
  event.preventDefault();
  play(undefined);
});
$('leave').addEventListener('click', () => leave());

nameInput.value = (() => { try { return localStorage.getItem(NAME_KEY) ?? ''; } catch { return ''; } })();
nameInput.placeholder = `Blob ${100 + Math.floor(Math.random() * 900)}`;
window.world = null;
const asked = new URLSearchParams(location.search).get('match')?.trim();
if (asked) play(asked);
else setStatus('', '');
