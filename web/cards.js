// The cards page (/cards): pick a name, list the tables or open one, and
// play Crazy Eights at a table (or watch one). /cards?match=ID sits down at
// that table (the link to share), /cards?match=ID&watch=1 watches it; the
// address follows the table the page is at. While at a table,
// window.cards = { client } exposes its TickwireClient.

import { TableList } from './cards-tables.js';
import { CardTable } from './cards-table.js';

/** The cards game's name on the server (its folder in games/). */
const GAME = 'cards';
const NAME_KEY = 'tickwire.name';

const statusLine = /** @type {HTMLElement} */ (document.getElementById('status'));
const tableSection = /** @type {HTMLElement} */ (document.getElementById('table'));
const nameInput = /** @type {HTMLInputElement} */ (document.getElementById('name'));
const tables = new TableList({ game: GAME, onJoin: enter });
/** @type {CardTable | null} */
let table = null;

nameInput.value = storedName() ?? '';
nameInput.placeholder = `Guest ${100 + Math.floor(Math.random() * 900)}`;
nameInput.addEventListener('change', name);
document.getElementById('leave')?.addEventListener('click', () => leave());
window.addEventListener('popstate', route);
route();

/** Shows what the address asks for: a table (?match=ID, &watch=1) or the list. */
function route() {
  const query = new URLSearchParams(location.search);
  const match = query.get('match')?.trim();
  if (match) enter(match, { spectate: query.get('watch') === '1', push: false });
  else leave(undefined, { push: false });
}

/** The name to play as: the field's, else its placeholder; remembered when typed. */
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
 * Leaves any table and sits down at (or watches) `match`.
 * @param {string} match @param {{spectate?: boolean, push?: boolean}} [how]
 */
function enter(match, { spectate = false, push = true } = {}) {
  endTable();
  const query = new URLSearchParams({ match });
  if (spectate) query.set('watch', '1');
  if (push) history.pushState(null, '', `/cards?${query}`);
  tables.hide();
  tableSection.hidden = false;
  /** @type {HTMLElement} */ (document.getElementById('table-id')).textContent = match;
  table = new CardTable({ game: GAME, match, name: name(), spectate, onStatus });
  window.cards = { client: table.client };
  setStatus('connecting', `${spectate ? 'Watching' : 'Joining'} table ${match}…`);
  table.start();
}

/**
 * Back to the table list.
 * @param {string} [problem] why the table refused us or was lost
 * @param {{push?: boolean}} [how]
 */
function leave(problem, { push = true } = {}) {
  const was = table;
  endTable();
  if (push && location.search) history.pushState(null, '', '/cards');
  tableSection.hidden = true;
  tables.show();
  tables.notice(problem ?? '');
  if (was) setStatus('closed', problem ?? 'You left the table.');
  else setStatus('', '');
}

function endTable() {
  if (!table) return;
  const ending = table;
  table = null;
  ending.dispose();
  window.cards = null;
}

/** @param {import('./cards-table.js').Status} status @param {CardTable} from */
function onStatus(status, from) {
  if (from !== table) return;
  if (status.state === 'playing') setStatus('playing', `At table ${from.match} as ${from.client.options.name}`);
  else if (status.state === 'spectating') setStatus('spectating', `Watching table ${from.match}`);
  else setStatus(status.state, status.message);
  // Refused before the table took us (its game started, full, gone): say why in the list.
  if (status.state === 'closed' && !from.welcomed) leave(status.message);
}
