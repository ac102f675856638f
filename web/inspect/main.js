// The inspector: any game on this server, joined or watched, drawn and
// tabulated live (docs/inspector.md). Opened as /inspect (pick a game or a
// match), /inspect?game=NAME[&match=ID] (join) or /inspect?match=ID
// (spectate). On a server that plays a replay (a match whose summary says
// `replay`), /inspect watches it with the replay bar.
// window.inspector exposes the client and the panels, for tools and tests.

import { TickwireClient } from '../tickwire.js';
import { byId, element, setText } from './dom.js';
import { Picker, readTarget, getJSON, joinLink, spectateLink } from './links.js';
import { EntityView } from './view.js';
import { StateTables } from './tables.js';
import { InputPanel } from './controls.js';
import { StatsPanel } from './stats.js';
import { EventLog } from './events.js';
import { ReplayBar, replayStatus } from './replay.js';
import { DevNotices } from './dev.js';

const statusLine = byId('status');

/** The status line, with the SDK's state in data-state. @param {string} state @param {string} message */
function setStatus(state, message) {
  setText(statusLine, message);
  statusLine.dataset.state = state;
}

/** Joins or watches `target` and fills the page from what arrives. @param {import('./links.js').Target} target */
function inspect(target) {
  byId('live').hidden = false;
  const client = new TickwireClient({ game: target.game, match: target.match, spectate: target.spectate, follow: target.follow,
    name: 'Inspector' });
  const view = new EntityView(/** @type {HTMLCanvasElement} */ (byId('view')));
  const tables = new StateTables(byId('match-fields'), byId('tables'), byId('players'), target.follow);
  const controls = new InputPanel(byId('controls'));
  const stats = new StatsPanel(/** @type {HTMLCanvasElement} */ (byId('chart')));
  const log = new EventLog(/** @type {HTMLOListElement} */ (byId('event-log')), /** @type {HTMLInputElement} */ (byId('event-filter')));
  /** @type {ReplayBar|null} */
  let replay = null;
  window.inspector = { client, view, tables, controls, log, get replay() { return replay; } };

  const plane = /** @type {HTMLSelectElement} */ (byId('plane'));
  plane.addEventListener('change', () => view.setPlane(/** @type {any} */ (plane.value)));
  byId('fit').addEventListener('click', () => view.fit());

  /** Builds the panels for a welcome (the first, a reconnect's, or a reload's); answers the match's summary. */
  function setUp(welcome) {
    view.setSchema(welcome.schema, welcome.player);
    tables.setWelcome(welcome);
    byId('legend').replaceChildren(...view.legend().map((k) => {
      const swatch = element('span', { className: 'swatch' });
      swatch.style.background = k.colour;
      return element('span', { className: k.placed ? 'legend-kind' : 'legend-kind unplaced', title: k.placed ? '' : 'no position: not drawn' }, swatch, k.name);
    }));
    byId('controls-card').hidden = welcome.spectator;
    if (welcome.spectator) controls.stop(); else controls.start(client, welcome);
    return describeSeat(welcome);
  }

  async function describeSeat(welcome) {
    const who = byId('who');
    const watching = target.follow ? `watching player ${target.follow}'s view of` : 'watching';
    who.replaceChildren(welcome.spectator ? `Watching match ${welcome.match}` : `Player ${welcome.player} in match ${welcome.match}`);
    document.title = `Inspector · ${welcome.match}`;
    try {
      const summary = await getJSON(`/matches/${encodeURIComponent(welcome.match)}`);
      const other = !welcome.spectator ? element('a', { href: spectateLink(welcome.match) }, 'watch it')
        : summary.replay ? 'a replay' : element('a', { href: joinLink(summary.game, welcome.match) }, 'join it');
      who.replaceChildren(`${summary.game}: ${welcome.spectator ? watching : `player ${welcome.player} in`} match `,
        element('code', {}, welcome.match), ' · ', other);
      document.title = `Inspector · ${summary.game} ${welcome.match}`;
      return summary;
    } catch {
      return null; // the match may be gone already; the status line says so
    }
  }

  client.on('status', ({ state, message }) => setStatus(state, message));
  client.on('welcome', async (welcome) => {
    const summary = await setUp(welcome);
    if (!summary?.replay || replay) return;
    const status = await replayStatus();
    if (status && status.match === welcome.match) {
      replay = new ReplayBar((text) => log.note(text));
      replay.start(status);
    }
  });
  client.on('reload', (welcome) => {
    setUp(welcome);
    dev.reloaded(welcome);
    log.note(`Rules reloaded at tick ${welcome.tick}`);
  });
  client.on('snapshot', (state) => {
    tables.update(state);
    stats.tick(state.tick);
  });
  client.on('event', (event) => log.add(event, client.state?.tick ?? 0));
  client.on('error', ({ reason }) => log.note(`The server closed the connection: ${reason}`));

  stats.start(client);
  client.connect();
  const frame = () => {
    view.draw(client.interpolated());
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

const dev = new DevNotices(byId('dev-notices'));
dev.start();
new Picker(byId('picker-list')).start();

let target = readTarget(location.search);
if (!target) {
  // On a server that plays a recording, the page watches it.
  const matches = await getJSON('/matches').catch(() => []);
  const playing = matches.find((m) => m.replay);
  if (playing) target = { match: playing.id, spectate: true };
}
if (target) {
  setStatus('connecting', target.spectate ? `Connecting to watch match ${target.match}…` : `Connecting to ${target.game}…`);
  inspect(target);
} else {
  setStatus('closed', 'Pick a game to join or a match to watch.');
}
