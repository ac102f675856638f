// The event log: the game's events as they arrive, newest first, each with
// its tick and whether it was private (sent to this player only) or
// broadcast; a text filter hides the lines that do not contain it. At most
// 500 lines are kept.

import { element } from './dom.js';
import { formatFields } from './format.js';

const KEEP = 500;

export class EventLog {
  /** @param {HTMLOListElement} list @param {HTMLInputElement} filter */
  constructor(list, filter) {
    this.list = list;
    this.filter = filter;
    filter.addEventListener('input', () => this.applyFilter());
  }

  /**
   * @param {{name: string, to: number, fields: Record<string, any>}} event
   * @param {number} tick
   */
  add(event, tick) {
    const scope = event.to === 0 ? 'all' : `private to ${event.to}`;
    const text = `${event.name} ${formatFields(event.fields)}`;
    const item = element('li', { className: event.to === 0 ? 'broadcast' : 'private' },
      element('span', { className: 'tick' }, String(tick)),
      element('span', { className: 'scope' }, scope),
      element('span', { className: 'text' }, text));
    item.dataset.name = event.name;
    item.dataset.search = `${text} ${scope}`.toLowerCase();
    item.hidden = !this.matches(item);
    this.list.prepend(item);
    while (this.list.children.length > KEEP) this.list.lastElementChild?.remove();
  }

  /** A line for something that is not a game event (a reload, a seek). @param {string} text */
  note(text) {
    const item = element('li', { className: 'note' }, element('span', { className: 'text' }, text));
    item.dataset.search = text.toLowerCase();
    item.hidden = !this.matches(item);
    this.list.prepend(item);
  }

  matches(item) {
    const q = this.filter.value.trim().toLowerCase();
    return !q || item.dataset.search.includes(q);
  }

  applyFilter() {
    for (const item of this.list.children) item.hidden = !this.matches(item);
  }
}
