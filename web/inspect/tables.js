// The live tables: one per entity kind with every declared field, the
// match's fields, and the players. Updated per snapshot, row by row (keyed
// by entity id); a cell whose value changed flashes. Each cell carries the
// value as JSON in data-value, and each row its id in data-id, for tools
// and tests to read what the page shows.

import { element, setText } from './dom.js';
import { formatValue } from './format.js';
import { spectateLink } from './links.js';
import { ownerOf } from './owner.js';
import { kindColour } from './view.js';

export class StateTables {
  /**
   * @param {HTMLElement} matchBox where the match's fields go
   * @param {HTMLElement} tablesBox where the kinds' tables go
   * @param {HTMLElement} playersBox where the players go
   * @param {number} [follow] the player whose view this page watches, if any
   */
  constructor(matchBox, tablesBox, playersBox, follow) {
    this.follow = follow;
    this.matchBox = matchBox;
    this.tablesBox = tablesBox;
    this.playersBox = playersBox;
    /** @type {Map<string, {fields: any[], body: HTMLElement, rows: Map<number, HTMLTableRowElement>, count: HTMLElement}>} */
    this.kinds = new Map();
    /** @type {Map<string, HTMLElement>} match field → value cell */
    this.matchCells = new Map();
    this.matchFields = [];
    this.welcome = null;
  }

  /** Builds the empty tables for a welcome's schema (again after a reload). */
  setWelcome(welcome) {
    this.welcome = welcome;
    const { schema } = welcome;
    this.matchFields = schema.match;
    this.matchCells.clear();
    if (schema.match.length === 0) {
      this.matchBox.replaceChildren(element('p', { className: 'empty' }, 'This game declares no match fields.'));
    } else {
      const rows = schema.match.map((f) => {
        const cell = element('td', { className: 'value' });
        cell.dataset.field = f.name;
        this.matchCells.set(f.name, cell);
        return element('tr', {}, element('th', { scope: 'row', title: describe(f) }, f.name), cell);
      });
      this.matchBox.replaceChildren(element('table', { className: 'fields-table', id: 'match-table' }, element('tbody', {}, ...rows)));
    }
    this.kinds.clear();
    const sections = schema.kinds.map((kind, index) => {
      const body = element('tbody');
      const count = element('span', { className: 'hint' });
      const head = element('tr', {}, element('th', { scope: 'col' }, 'id'),
        ...kind.fields.map((f) => element('th', { scope: 'col', title: describe(f) }, f.name)));
      const table = element('table', { className: 'kind-table' }, element('thead', {}, head), body);
      table.dataset.kind = kind.name;
      this.kinds.set(kind.name, { fields: kind.fields, body, rows: new Map(), count });
      const swatch = element('span', { className: 'swatch' });
      swatch.style.background = kindColour(index);
      return element('section', { className: 'kind' }, element('h3', {}, swatch, kind.name, ' ', count),
        element('div', { className: 'scroll' }, table));
    });
    this.tablesBox.replaceChildren(...sections);
  }

  /** @param {import('../tickwire.js').State} state */
  update(state) {
    for (const f of this.matchFields) {
      const cell = this.matchCells.get(f.name);
      if (cell) show(cell, state.match[f.name], f);
    }
    const seen = new Map([...this.kinds.keys()].map((k) => [k, new Set()]));
    for (const entity of state.entities.values()) {
      const kind = this.kinds.get(entity.kind);
      if (!kind) continue;
      seen.get(entity.kind).add(entity.id);
      let row = kind.rows.get(entity.id);
      if (!row) {
        row = /** @type {HTMLTableRowElement} */ (element('tr', {}, element('th', { scope: 'row' }, String(entity.id)),
          ...kind.fields.map((f) => { const td = element('td'); td.dataset.field = f.name; return td; })));
        row.dataset.id = String(entity.id);
        kind.rows.set(entity.id, row);
        insertInOrder(kind.body, row, entity.id);
      }
      kind.fields.forEach((f, i) => show(/** @type {HTMLElement} */ (row.cells[i + 1]), entity.fields[f.name], f));
    }
    for (const [name, kind] of this.kinds) {
      const ids = seen.get(name);
      for (const [id, row] of kind.rows) if (!ids.has(id)) { row.remove(); kind.rows.delete(id); }
      setText(kind.count, `(${kind.rows.size})`);
    }
    this.showPlayers(state);
  }

  /**
   * The players: a snapshot has no player list, so this shows the page's
   * own seat and every player id that entities name as their owner.
   */
  showPlayers(state) {
    const w = this.welcome;
    if (!w) return;
    const owners = new Map();
    for (const e of state.entities.values()) {
      const owner = ownerOf(e);
      if (owner) owners.set(owner, [...(owners.get(owner) ?? []), `${e.kind} ${e.id}`]);
    }
    const lines = [!w.spectator ? `This page is player ${w.player}.`
      : this.follow ? `This page watches what player ${this.follow} sees.` : 'This page spectates (player 0).'];
    /** @type {(number|null)[]} the player each line may link to: their view, for a spectator */
    const follows = [null];
    for (const [player, list] of [...owners].sort((a, b) => a[0] - b[0])) {
      lines.push(`Player ${player}${player === w.player ? ' (you)' : ''}: ${list.join(', ')}`);
      follows.push(w.spectator && player !== this.follow ? player : null);
    }
    if (owners.size === 0) lines.push('No entity names an owner (a player/owner field).');
    const text = lines.join('\n');
    if (this.playersBox.dataset.text !== text) {
      this.playersBox.dataset.text = text;
      this.playersBox.replaceChildren(...lines.map((l, i) => element('p', {}, l,
        ...(follows[i] ? [' · ', element('a', { href: spectateLink(w.match, follows[i]), className: 'follow' }, 'watch their view')] : []))));
    }
  }
}

/** A field's declaration, for a header's tooltip. */
function describe(f) {
  const extra = Object.entries(f).filter(([k]) => k !== 'name' && k !== 'type')
    .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  return [f.type, ...extra].join(', ');
}

/** Writes a value into a cell; a change restarts the cell's flash. */
function show(cell, value, field) {
  const json = JSON.stringify(value ?? null);
  if (cell.dataset.value === json) return;
  const first = cell.dataset.value === undefined;
  cell.dataset.value = json;
  cell.textContent = formatValue(value, field);
  if (first) return;
  cell.animate(FLASH, 600);
}

/** A changed cell's flash: a highlight fading out. */
const FLASH = [{ backgroundColor: 'rgba(240, 200, 60, 0.55)' }, { backgroundColor: 'rgba(240, 200, 60, 0)' }];

function insertInOrder(body, row, id) {
  for (const other of body.children) {
    if (Number(other.dataset.id) > id) { body.insertBefore(row, other); return; }
  }
  body.append(row);
}
