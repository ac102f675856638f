// The control panel of a joined page, generated from the welcome's input
// schema: a slider for each number, a checkbox for each bool, and keys for
// each field. The values are sent once per tick at the match's tick rate.
//
// Keys: numbers take a pair (← →, ↓ ↑, A D, S W, J L, K I, in field order)
// that hold the field at -1 / +1 (or the range's end when it is nearer)
// while pressed; bools take one (Space, E, Q, F, R, Z, X, C) that holds it
// true. Angles have no keys; other kinds of fields are not controllable.

import { element, setText } from './dom.js';
import { formatNumber } from './format.js';

const PAIRS = [['ArrowLeft', 'ArrowRight'], ['ArrowDown', 'ArrowUp'], ['KeyA', 'KeyD'], ['KeyS', 'KeyW'], ['KeyJ', 'KeyL'], ['KeyK', 'KeyI']];
const SINGLES = ['Space', 'KeyE', 'KeyQ', 'KeyF', 'KeyR', 'KeyZ', 'KeyX', 'KeyC'];
const INT_RANGE = { u8: [0, 255], u16: [0, 65535], u32: [0, 4294967295], i8: [-128, 127], i16: [-32768, 32767], i32: [-2147483648, 2147483647] };

/** A key code as a label. @param {string} code */
function keyLabel(code) {
  return { ArrowLeft: '←', ArrowRight: '→', ArrowUp: '↑', ArrowDown: '↓', Space: 'Space' }[code] ?? code.replace(/^Key/, '');
}

/**
 * The slider's range and step for a numeric input field; null for fields
 * that are not numbers. Wide integer and f32 ranges are narrowed to what a
 * hand moves (±100); the SDK clamps and rounds what is sent in any case.
 */
export function sliderRange(f) {
  switch (f.type) {
    case 'fixed': return { min: f.min, max: f.max, step: f.step };
    case 'angle': return { min: 0, max: 2 * Math.PI, step: (2 * Math.PI) / 2 ** f.bits };
    case 'f32': return { min: -100, max: 100, step: 0.01 };
    default: {
      const r = INT_RANGE[f.type];
      return r ? { min: Math.max(r[0], -100), max: Math.min(r[1], 100), step: 1 } : null;
    }
  }
}

/** The value a key sets: ±1, or the range's end when nearer. */
function keyValue(range, sign) {
  return sign > 0 ? Math.min(range.max, 1) : Math.max(range.min, -1);
}

export class InputPanel {
  /** @param {HTMLElement} box */
  constructor(box) {
    this.box = box;
    /** @type {{field: any, get: () => any, keys: {code: string, value: any}[]}[]} */
    this.controls = [];
    /** @type {Map<string, {control: any, value: any}>} pressed key → what it holds */
    this.held = new Map();
    this.timer = 0;
    this.onKey = (event) => this.key(event);
    window.addEventListener('keydown', this.onKey);
    window.addEventListener('keyup', this.onKey);
    window.addEventListener('blur', () => this.held.clear());
  }

  /** Builds the controls for `welcome` and sends through `client` at its tick rate. */
  start(client, welcome) {
    this.stop();
    this.held.clear();
    this.controls = [];
    let pair = 0, single = 0;
    const rows = [];
    for (const f of welcome.schema.input) {
      const range = f.type === 'bool' ? null : sliderRange(f);
      if (f.type === 'bool') {
        const box = /** @type {HTMLInputElement} */ (element('input', { type: 'checkbox', id: `input-${f.name}` }));
        const code = SINGLES[single++];
        const control = { field: f, input: box, keys: code ? [{ code, value: true }] : [] };
        control.get = () => this.heldValue(control) ?? box.checked;
        this.controls.push(control);
        rows.push(element('div', { className: 'control' }, box,
          element('label', { htmlFor: box.id }, f.name), keysHint(control.keys)));
      } else if (range) {
        const slider = /** @type {HTMLInputElement} */ (element('input', {
          type: 'range', id: `input-${f.name}`, min: String(range.min), max: String(range.max), step: String(range.step),
          value: String(Math.min(Math.max(0, range.min), range.max)),
        }));
        const out = element('output', { htmlFor: slider.id });
        const codes = f.type === 'angle' ? null : PAIRS[pair++];
        const control = { field: f, input: slider, keys: codes ? [{ code: codes[0], value: keyValue(range, -1) }, { code: codes[1], value: keyValue(range, 1) }] : [] };
        control.get = () => this.heldValue(control) ?? Number(slider.value);
        control.out = out;
        this.controls.push(control);
        rows.push(element('div', { className: 'control' }, element('label', { htmlFor: slider.id }, f.name), slider, out,
          keysHint(control.keys)));
      } else {
        rows.push(element('p', { className: 'hint' }, `${f.name} (${f.type}) is not controllable here.`));
      }
    }
    if (rows.length === 0) rows.push(element('p', { className: 'empty' }, 'This game has no input.'));
    this.box.replaceChildren(...rows);
    this.timer = setInterval(() => client.sendInput(this.values()), 1000 / welcome.tickRate);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
  }

  /** The input to send now, by field name; outputs show it. */
  values() {
    const values = {};
    for (const c of this.controls) {
      values[c.field.name] = c.get();
      if (c.out) setText(c.out, formatNumber(values[c.field.name]));
    }
    return values;
  }

  /** The value a pressed key holds a control at, or undefined. */
  heldValue(control) {
    let value;
    for (const h of this.held.values()) if (h.control === control) value = h.value;
    return value;
  }

  /** @param {KeyboardEvent} event */
  key(event) {
    if (!this.timer || event.target instanceof HTMLInputElement && event.target.type !== 'range' && event.target.type !== 'checkbox') return;
    for (const control of this.controls) {
      const k = control.keys.find((x) => x.code === event.code);
      if (!k) continue;
      event.preventDefault();
      if (event.type === 'keydown') this.held.set(event.code, { control, value: k.value });
      else this.held.delete(event.code);
      return;
    }
  }
}

function keysHint(keys) {
  return element('span', { className: 'keys' }, ...keys.map((k) => element('kbd', {}, keyLabel(k.code))));
}
