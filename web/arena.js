// The arena page: the lobby, and a match once the player joins or watches one.
// Opened as / or /?game=NAME (the game Play joins; arena by default).
// While in a match, window.arena = { client } exposes the TickwireClient.

import { Lobby } from './lobby.js';
import { MatchSession } from './match.js';
import { Hud } from './hud.js';
import { ArenaRenderer } from './arena-render.js';
import { Keyboard } from './controls.js';

/** @typedef {import('./lobby.js').JoinRequest} JoinRequest */

const params = new URLSearchParams(location.search);
const game = params.get('game')?.trim() || 'arena';

const statusLine = /** @type {HTMLElement} */ (document.getElementById('status'));
const gameSection = /** @type {HTMLElement} */ (document.getElementById('game'));
const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById('arena'));
const stage = /** @type {HTMLElement} */ (document.getElementById('stage'));

const hud = new Hud();
const keyboard = new Keyboard();
const lobby = new Lobby({ game, onJoin: join });
/** @type {ArenaRenderer | null} made when the match view is first shown, so that it can measure its stage */
let renderer = null;
/** @type {MatchSession | null} */
let session = null;

/**
 * The status line, with the SDK's state in data-state.
 * @param {string} state @param {string} message
 */
function setStatus(state, message) {
  statusLine.textContent = message;
  if (state) statusLine.dataset.state = state;
  else delete statusLine.dataset.state;
}

/** Leaves any match and enters the one asked for. @param {JoinRequest} request */
function join(request) {
  endSession();
  lobby.hide();
  gameSection.hidden = false;
  renderer ??= new ArenaRenderer(canvas, stage);
  renderer.resize();
  session = new MatchSession(request, { hud, renderer, keyboard, onStatus });
  window.arena = { client: session.client };
  setStatus('connecting', request.spectate ? `Connecting to watch match ${request.match}…` : 'Connecting…');
  canvas.focus({ preventScroll: true });
  session.start();
}

/**
 * Back to the lobby.
 * @param {string} [problem] why the match was refused or lost, shown in the lobby too
 */
function leave(problem) {
  const was = session;
  endSession();
  gameSection.hidden = true;
  lobby.show();
  lobby.notice(problem ?? '');
  if (was) setStatus('closed', problem ?? 'You left the match.');
  document.getElementById('play')?.focus({ preventScroll: true });
}

function endSession() {
  if (!session) return;
  const ending = session;
  session = null;
  ending.dispose();
  window.arena = null;
}

/** @param {import('./match.js').Status} status @param {MatchSession} from */
function onStatus(status, from) {
  if (from !== session) return;
  setStatus(status.state, status.message);
  if (status.state === 'closed' && !from.welcomed && !from.leaving) {
    // refused before the match took us (full, no such match, unreachable): say why in the lobby
    const reason = from.refusal?.reason;
    const message = status.message || (reason ? `The server refused: ${reason}` : 'Could not join the match.');
    leave(message);
  }
}

document.getElementById('leave')?.addEventListener('click', () => leave());
document.getElementById('banner-lobby')?.addEventListener('click', () => leave());
document.getElementById('banner-again')?.addEventListener('click', () => {
  const request = session?.request;
  join({ game: request?.game ?? game, name: request?.name ?? lobby.saveName() });
});
window.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && session) leave();
});

// Without this, window.arena would be the canvas (named access by id) outside a match.
window.arena = null;
lobby.show();
