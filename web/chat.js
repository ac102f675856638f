// The chat page (/chat): pick a name, list the rooms or open one, and chat
// in a room. /chat?match=ID goes straight into that room (the link to
// share); the address follows the room the page is in. While in a room,
// window.chat = { client } exposes its TickwireClient.

import { RoomList } from './chat-rooms.js';
import { ChatRoom } from './chat-room.js';

/** The chat game's name on the server (its folder in games/). */
const GAME = 'chat';
const NAME_KEY = 'tickwire.name';

const statusLine = /** @type {HTMLElement} */ (document.getElementById('status'));
const roomSection = /** @type {HTMLElement} */ (document.getElementById('room'));
const nameInput = /** @type {HTMLInputElement} */ (document.getElementById('name'));
const rooms = new RoomList({ game: GAME, onJoin: enter });
/** @type {ChatRoom | null} */
let room = null;

nameInput.value = storedName() ?? '';
nameInput.placeholder = `Guest ${100 + Math.floor(Math.random() * 900)}`;
nameInput.addEventListener('change', name);
document.getElementById('leave')?.addEventListener('click', () => leave());
window.addEventListener('popstate', route);
route();

/** Shows what the address asks for: a room (?match=ID) or the list. */
function route() {
  const match = new URLSearchParams(location.search).get('match')?.trim();
  if (match) enter(match, { push: false });
  else leave(undefined, { push: false });
}

/** The name to chat as: the field's, else its placeholder; remembered when typed. */
function name() {
  const typed = nameInput.value.trim().slice(0, 16);
  try {
    if (typed) localStorage.setItem(NAME_KEY, typed);
    else localStorage.removeItem(NAME_KEY);
  } catch { /* storage may be disabled: the name is just not remembered */ }
  return typed || nameInput.placeholder;
}

function storedName() {
  try { return localStorage.getItem(NAME_KEY); } catch { return null; }
}

/** @param {string} state @param {string} message */
function setStatus(state, message) {
  statusLine.textContent = message;
  if (state) statusLine.dataset.state = state;
  else delete statusLine.dataset.state;
}

/**
 * Leaves any room and enters `match`.
 * @param {string} match @param {{push?: boolean}} [how]
 */
function enter(match, { push = true } = {}) {
  endRoom();
  if (push) history.pushState(null, '', `/chat?match=${encodeURIComponent(match)}`);
  rooms.hide();
  roomSection.hidden = false;
  /** @type {HTMLElement} */ (document.getElementById('room-id')).textContent = match;
  room = new ChatRoom({ game: GAME, match, name: name(), onStatus });
  window.chat = { client: room.client };
  setStatus('connecting', `Joining room ${match}…`);
  room.start();
}

/**
 * Back to the room list.
 * @param {string} [problem] why the room was refused or lost
 * @param {{push?: boolean}} [how]
 */
function leave(problem, { push = true } = {}) {
  const was = room;
  endRoom();
  if (push && location.search) history.pushState(null, '', '/chat');
  roomSection.hidden = true;
  rooms.show();
  rooms.notice(problem ?? '');
  if (was) setStatus('closed', problem ?? 'You left the room.');
  else setStatus('', '');
}

function endRoom() {
  if (!room) return;
  const ending = room;
  room = null;
  ending.dispose();
  window.chat = null;
}

/** @param {import('./chat-room.js').Status} status @param {ChatRoom} from */
function onStatus(status, from) {
  if (from !== room) return;
  if (status.state === 'playing') setStatus('playing', `In room ${from.match} as ${from.client.options.name}`);
  else setStatus(status.state, status.message);
  // Refused before the room took us (full, gone, unreachable): say why in the list.
  if (status.state === 'closed' && !from.welcomed) leave(status.message);
}
