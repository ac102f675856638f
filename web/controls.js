// Keyboard controls for the arena: the keys held now, and a clock that sends
// them as one input per tick at the match's tick rate (the server keeps the
// last input it received, so a steady clock, not key events, drives it).

/** Key codes (layout-independent positions) to controls. */
const TURN_LEFT = new Set(['ArrowLeft', 'KeyA']);
const TURN_RIGHT = new Set(['ArrowRight', 'KeyD']);
const THRUST = new Set(['ArrowUp', 'KeyW']);
const FIRE = new Set(['Space']);
const HANDLED = new Set([...TURN_LEFT, ...TURN_RIGHT, ...THRUST, ...FIRE, 'ArrowDown', 'KeyS']);

/**
 * @typedef {{turn: number, thrust: boolean, fire: boolean}} ArenaInput
 */

export class Keyboard {
  constructor() {
    /** @type {Set<string>} codes of the keys held */
    this.held = new Set();
    this.enabled = false;
    this.onDown = (/** @type {KeyboardEvent} */ event) => {
      if (!this.enabled || !HANDLED.has(event.code) || isTyping(event.target)) return;
      event.preventDefault();                   // no page scrolling on arrows and space
      this.held.add(event.code);
    };
    this.onUp = (/** @type {KeyboardEvent} */ event) => { this.held.delete(event.code); };
    this.onBlur = () => this.held.clear();
    window.addEventListener('keydown', this.onDown);
    window.addEventListener('keyup', this.onUp);
    window.addEventListener('blur', this.onBlur);
  }

  /** Starts or stops listening; the keys held are forgotten either way. @param {boolean} on */
  setEnabled(on) {
    this.enabled = on;
    this.held.clear();
  }

  /** The controls the keys held mean now. Left turns counter-clockwise (+1), y being up. @returns {ArenaInput} */
  input() {
    const any = (/** @type {Set<string>} */ keys) => [...keys].some((k) => this.held.has(k));
    return {
      turn: (any(TURN_LEFT) ? 1 : 0) - (any(TURN_RIGHT) ? 1 : 0),
      thrust: any(THRUST),
      fire: any(FIRE),
    };
  }
}

/** @param {EventTarget | null} target */
function isTyping(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

/**
 * Calls `send` every 1/rate seconds, correcting for timer drift, so that the
 * server gets one input per tick however the keys are pressed.
 */
export class InputClock {
  /** @param {() => void} send */
  constructor(send) {
    this.send = send;
    this.timer = 0;
    this.interval = 0;
    this.next = 0;
  }

  /** @param {number} rate ticks per second */
  start(rate) {
    this.stop();
    this.interval = 1000 / Math.max(1, rate);
    this.next = performance.now();
    this.step();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = 0;
  }

  /** @private */
  step() {
    this.send();
    const now = performance.now();
    this.next += this.interval;
    if (this.next < now - this.interval) this.next = now;   // a background tab slept: do not catch up in a burst
    this.timer = setTimeout(() => this.step(), Math.max(0, this.next - now));
  }

  get running() { return this.timer !== 0; }
}
