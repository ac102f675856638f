// The replay bar, shown when the page watches a recording played back
// (`tickwire replay FILE --serve`; its match's summary says `replay`): pause and resume, speed, and a tick scrubber that seeks
// (POST /replay {"seek": N}; the server replays to that tick and sends the
// full state). The bar follows GET /replay twice a second.

import { byId, setText } from './dom.js';

/**
 * @typedef {{match: string, game: string, file: string, tick: number, lastTick: number|null,
 *            paused: boolean, speed: number, finished: boolean, divergence?: string}} ReplayStatus
 */

/** The server's playback, or null when it plays no replay. @returns {Promise<ReplayStatus|null>} */
export async function replayStatus() {
  try {
    const response = await fetch('/replay', { cache: 'no-store' });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

export class ReplayBar {
  /** @param {(text: string) => void} note tells the page what a control did */
  constructor(note) {
    this.note = note;
    this.bar = byId('replay-bar');
    this.play = /** @type {HTMLButtonElement} */ (byId('replay-play'));
    this.speed = /** @type {HTMLSelectElement} */ (byId('replay-speed'));
    this.scrub = /** @type {HTMLInputElement} */ (byId('replay-scrub'));
    this.tickOut = byId('replay-tick');
    /** @type {ReplayStatus|null} */
    this.status = null;
    this.scrubbing = false;
    this.maxSeen = 0;
    this.timer = 0;
    this.play.addEventListener('click', () => this.control({ paused: !this.status?.paused }));
    this.speed.addEventListener('change', () => this.control({ speed: Number(this.speed.value) }));
    this.scrub.addEventListener('input', () => { this.scrubbing = true; setText(this.tickOut, this.scrub.value); });
    this.scrub.addEventListener('change', () => this.seek(Number(this.scrub.value)));
  }

  /** Shows the bar for `status` and follows the playback. @param {ReplayStatus} status */
  start(status) {
    this.bar.hidden = false;
    this.show(status);
    this.timer = setInterval(async () => {
      const next = await replayStatus();
      if (next) this.show(next);
    }, 500);
  }

  /** @param {ReplayStatus} status */
  show(status) {
    this.status = status;
    this.maxSeen = Math.max(this.maxSeen, status.tick);
    setText(this.play, status.paused ? 'Play' : 'Pause');
    this.play.dataset.paused = String(status.paused);
    if (document.activeElement !== this.speed) this.speed.value = String(status.speed);
    const max = status.lastTick ?? this.maxSeen;
    if (this.scrub.max !== String(max)) this.scrub.max = String(max);
    if (!this.scrubbing) {
      this.scrub.value = String(status.tick);
      setText(this.tickOut, `${status.tick}${status.lastTick === null ? '' : ` / ${status.lastTick}`}${status.finished ? ' (end)' : ''}`);
    }
  }

  /** @param {number} tick */
  async seek(tick) {
    this.scrubbing = false;
    const status = await this.control({ seek: tick });
    if (status) this.note(`Replay moved to tick ${status.tick}`);
  }

  /** POST /replay; shows and returns the new status. @param {object} body */
  async control(body) {
    try {
      const response = await fetch('/replay', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      if (!response.ok) throw new Error(`${response.status} ${(await response.text()).trim()}`);
      const status = await response.json();
      this.show(status);
      return status;
    } catch (error) {
      this.note(`The replay refused: ${error.message ?? error}`);
      return null;
    }
  }
}
