// One chat room on the page: a TickwireClient seated in a match of the chat
// game (games/chat), drawn as its members (the `member` entities), its
// lines as they arrive (the `said`, `arrived`, `left` and `muted` events)
// and the room's private notices to this member (`notice`: a line refused
// or changed). A line typed in the box is sent as the `say` client event;
// the rules decide whether it is said.

import { TickwireClient } from './tickwire.js';
import { element } from './lobby.js';

/** Lines kept on the page; older ones are dropped. */
const MAX_LINES = 500;

/** @typedef {{state: string, message: string, code?: number}} Status */

export class ChatRoom {
  /**
   * @param {object} options
   * @param {string} options.game    the chat game's name on the server
   * @param {string} options.match   the room
   * @param {string} options.name    the member's name
   * @param {(status: Status, room: ChatRoom) => void} options.onStatus
   */
  constructor({ game, match, name, onStatus }) {
    this.match = match;
    this.onStatus = onStatus;
    /** Whether a welcome arrived (a refusal before it sends the page back to the list). */
    this.welcomed = false;
    this.lines = /** @type {HTMLOListElement} */ (document.getElementById('lines'));
    this.members = /** @type {HTMLUListElement} */ (document.getElementById('members'));
    this.memberCount = /** @type {HTMLElement} */ (document.getElementById('member-count'));
    this.input = /** @type {HTMLInputElement} */ (document.getElementById('line'));
    this.form = /** @type {HTMLFormElement} */ (document.getElementById('say-form'));
    this.membersChanged = true;
    this.client = new TickwireClient({ game, match, name });
    this.client.on('status', (/** @type {Status} */ status) => this.onStatus(status, this));
    this.client.on('welcome', () => {
      this.welcomed = true;
      this.membersChanged = true;
    });
    this.client.on('event', (event) => this.event(event));
    for (const type of ['added', 'removed', 'changed']) {
      this.client.on(type, (entity) => { if (entity.kind === 'member') this.membersChanged = true; });
    }
    this.client.on('snapshot', () => { if (this.membersChanged) this.renderMembers(); });
    this.submit = (/** @type {SubmitEvent} */ event) => {
      event.preventDefault();
      this.say();
    };
    this.form.addEventListener('submit', this.submit);
    this.lines.replaceChildren();
    this.members.replaceChildren();
    this.memberCount.textContent = '';
  }

  start() {
    this.client.connect();
    this.input.focus({ preventScroll: true });
  }

  dispose() {
    this.form.removeEventListener('submit', this.submit);
    this.client.close();
  }

  /** This member's player id, 0 before the welcome. */
  get me() { return this.client.welcome?.player ?? 0; }

  /** Sends the line in the box as a `say` client event, and empties the box. */
  say() {
    const text = this.input.value.trim();
    if (!text) return;
    if (this.client.sendEvent('say', { text })) {
      this.input.value = '';
    } else {
      this.append(noticeLine('offline', 'Not connected: the line was not sent.'));
    }
  }

  /** @param {{name: string, to: number, fields: Record<string, any>}} event */
  event({ name, fields }) {
    switch (name) {
      case 'said': {
        const speaker = this.client.state?.entities.get(fields.by);
        const li = element('li', { className: 'line' },
          element('span', { className: 'who' }, fields.name), element('span', { className: 'text' }, fields.text));
        if (speaker && speaker.fields.player === this.me) li.classList.add('mine');
        li.dataset.by = String(fields.by);
        this.append(li);
        break;
      }
      case 'arrived': this.append(systemLine(`${fields.name} joined the room`)); break;
      case 'left': this.append(systemLine(`${fields.name} left the room`)); break;
      case 'muted': this.append(systemLine(`${fields.name} is muted for ${fields.seconds} seconds`)); break;
      case 'notice': this.append(noticeLine(fields.kind, fields.text)); break;
      default: break;
    }
  }

  /** Adds a line at the bottom, following it if the reader was at the bottom. @param {HTMLElement} li */
  append(li) {
    const follow = this.lines.scrollHeight - this.lines.scrollTop - this.lines.clientHeight < 40;
    this.lines.append(li);
    while (this.lines.childElementCount > MAX_LINES) this.lines.firstElementChild?.remove();
    if (follow) this.lines.scrollTop = this.lines.scrollHeight;
  }

  renderMembers() {
    this.membersChanged = false;
    const members = [...(this.client.state?.entities.values() ?? [])].filter((e) => e.kind === 'member');
    this.memberCount.textContent = `(${members.length})`;
    this.members.replaceChildren(...members.map((m) => {
      const f = m.fields;
      const muted = f.muted_for > 0;
      const li = element('li', {},
        element('span', { className: 'name' }, f.player === this.me ? `${f.name} (you)` : f.name),
        element('span', { className: 'count', title: muted ? 'muted' : 'lines said' },
          muted ? `muted ${f.muted_for} s` : String(f.lines)));
      li.classList.toggle('me', f.player === this.me);
      li.classList.toggle('muted', muted);
      li.dataset.player = String(f.player);
      return li;
    }));
  }
}

/** @param {string} text */
function systemLine(text) {
  return element('li', { className: 'system' }, text);
}

/** A private notice from the room. @param {string} kind @param {string} text */
function noticeLine(kind, text) {
  const li = element('li', { className: 'notice-line' }, text);
  li.dataset.kind = kind;
  li.setAttribute('role', 'alert');
  return li;
}
