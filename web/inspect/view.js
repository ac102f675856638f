// The live view: every entity with a 2D position, drawn on a canvas from the
// SDK's interpolated state, coloured by kind, with pan (drag), zoom (wheel)
// and the player's own entities ringed.
//
// Where an entity is: numeric fields `x` and `y` (and `z`, if declared),
// else its kind's first `vec3` field (one named pos/position first). A
// point with three axes is projected on the plane the user picks (x/y, x/z
// or y/z); a kind with only `x` and `y` is drawn on x/y whatever the plane.
// Screen y grows downwards, as in most 2D games. A numeric `r`/`radius`
// field sizes the dot; the first `angle` field draws a heading.

import { ownedBy, setOwnerSchema } from './owner.js';

const NUMERIC = new Set(['u8', 'u16', 'u32', 'i8', 'i16', 'i32', 'f32', 'fixed']);
const VEC_NAMES = /^(pos|position|at|loc|location|p)$/i;

/** A colour per kind, spread around the hue circle. @param {number} index */
export function kindColour(index) {
  return `hsl(${Math.round((index * 137.5) % 360)} 70% 62%)`;
}

/**
 * How a kind's entities are placed, or null when they have no position.
 * @param {{name: string, fields: {name: string, type: string}[]}} kind
 */
export function placementOf(kind) {
  const field = (name) => kind.fields.find((f) => f.name === name && NUMERIC.has(f.type));
  const radius = kind.fields.find((f) => /^(r|radius)$/.test(f.name) && NUMERIC.has(f.type))?.name ?? null;
  const heading = kind.fields.find((f) => f.type === 'angle')?.name ?? null;
  if (field('x') && field('y')) return { axes: field('z') ? 3 : 2, vec: null, radius, heading };
  const vecs = kind.fields.filter((f) => f.type === 'vec3');
  const vec = vecs.find((f) => VEC_NAMES.test(f.name)) ?? vecs[0];
  return vec ? { axes: 3, vec: vec.name, radius, heading } : null;
}

export class EntityView {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    this.plane = 'xy';
    /** @type {Map<string, {colour: string, placement: ReturnType<typeof placementOf>}>} */
    this.kinds = new Map();
    this.player = 0;
    /** Fit the view to what has been seen until the user pans or zooms. */
    this.auto = true;
    this.bounds = null;
    this.scale = 1;
    this.offset = { x: 0, y: 0 };
    /** @type {Map<number, {x: number, y: number}>} screen positions of the last frame, by entity id (for tests and tools) */
    this.drawn = new Map();
    this.listen();
  }

  /** @param {import('../tickwire.js').Schema} schema @param {number} player */
  setSchema(schema, player) {
    this.player = player;
    setOwnerSchema(schema);
    this.kinds = new Map(schema.kinds.map((k, i) => [k.name, { colour: kindColour(i), placement: placementOf(k) }]));
  }

  /** @param {'xy'|'xz'|'yz'} plane */
  setPlane(plane) {
    this.plane = plane;
    this.fit();
  }

  /** Fits the view to the entities again (and keeps fitting). */
  fit() {
    this.auto = true;
    this.bounds = null;
  }

  /** The kinds drawn and those without a position, for the legend. */
  legend() {
    return [...this.kinds].map(([name, k]) => ({ name, colour: k.colour, placed: k.placement !== null }));
  }

  /** The entity's point on the current plane, or null. */
  pointOf(entity) {
    const kind = this.kinds.get(entity.kind);
    const p = kind?.placement;
    if (!p) return null;
    const f = entity.fields;
    const v = p.vec ? f[p.vec] : { x: f.x, y: f.y, z: p.axes === 3 ? f.z : 0 };
    if (!v) return null;
    if (p.axes === 2 || this.plane === 'xy') return { x: v.x, y: v.y };
    return this.plane === 'xz' ? { x: v.x, y: v.z } : { x: v.y, y: v.z };
  }

  /** Draws `entities` (the SDK's interpolated ones). @param {import('../tickwire.js').Entity[]} entities */
  draw(entities) {
    this.resize();
    const { ctx, canvas } = this;
    const w = canvas.width, h = canvas.height, dpr = window.devicePixelRatio || 1;
    const placed = [];
    for (const e of entities) {
      const p = this.pointOf(e);
      if (p && Number.isFinite(p.x) && Number.isFinite(p.y)) placed.push({ e, p });
    }
    if (this.auto) this.autoFit(placed.map((x) => x.p), w, h);

    ctx.fillStyle = '#0d1117';
    ctx.fillRect(0, 0, w, h);
    this.drawOrigin(w, h, dpr);
    this.drawn.clear();
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    for (const { e, p } of placed) {
      const kind = this.kinds.get(e.kind);
      const placement = kind.placement;
      const sx = p.x * this.scale + this.offset.x, sy = p.y * this.scale + this.offset.y;
      this.drawn.set(e.id, { x: sx / dpr, y: sy / dpr });
      const worldR = placement.radius ? Number(e.fields[placement.radius]) * this.scale : 0;
      const r = Math.max(4 * dpr, Math.min(worldR, 200 * dpr));
      ctx.fillStyle = kind.colour;
      ctx.beginPath();
      ctx.arc(sx, sy, r, 0, Math.PI * 2);
      ctx.fill();
      if (placement.heading) {
        const a = Number(e.fields[placement.heading]);
        ctx.strokeStyle = kind.colour;
        ctx.lineWidth = 2 * dpr;
        ctx.beginPath();
        ctx.moveTo(sx, sy);
        ctx.lineTo(sx + Math.cos(a) * (r + 8 * dpr), sy + Math.sin(a) * (r + 8 * dpr));
        ctx.stroke();
      }
      const mine = ownedBy(e, this.player);
      if (mine) {
        ctx.strokeStyle = '#ffffff';
        ctx.lineWidth = 2 * dpr;
        ctx.beginPath();
        ctx.arc(sx, sy, r + 4 * dpr, 0, Math.PI * 2);
        ctx.stroke();
      }
      ctx.fillStyle = '#c9d1d9';
      ctx.fillText(`${mine ? 'you · ' : ''}${e.kind} ${e.id}`, sx + r + 4 * dpr, sy - r - 2 * dpr);
    }
  }

  /** Axes through the world's origin, when it is on screen. */
  drawOrigin(w, h, dpr) {
    const { ctx } = this;
    ctx.strokeStyle = '#30363d';
    ctx.lineWidth = dpr;
    ctx.beginPath();
    ctx.moveTo(this.offset.x, 0); ctx.lineTo(this.offset.x, h);
    ctx.moveTo(0, this.offset.y); ctx.lineTo(w, this.offset.y);
    ctx.stroke();
  }

  /** Grows the bounds to hold `points` and fits them in the canvas, with a margin. */
  autoFit(points, w, h) {
    for (const p of points) {
      if (!this.bounds) this.bounds = { minX: p.x, maxX: p.x, minY: p.y, maxY: p.y };
      const b = this.bounds;
      b.minX = Math.min(b.minX, p.x); b.maxX = Math.max(b.maxX, p.x);
      b.minY = Math.min(b.minY, p.y); b.maxY = Math.max(b.maxY, p.y);
    }
    const b = this.bounds ?? { minX: -10, maxX: 10, minY: -10, maxY: 10 };
    const spanX = Math.max(b.maxX - b.minX, 1), spanY = Math.max(b.maxY - b.minY, 1);
    this.scale = Math.min(w / spanX, h / spanY) * 0.8;
    this.offset.x = w / 2 - ((b.minX + b.maxX) / 2) * this.scale;
    this.offset.y = h / 2 - ((b.minY + b.maxY) / 2) * this.scale;
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr)), h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
  }

  /** Drag to pan, wheel to zoom around the pointer; either stops the fitting. */
  listen() {
    let drag = null;
    this.canvas.addEventListener('pointerdown', (event) => {
      drag = { x: event.clientX, y: event.clientY };
      this.canvas.setPointerCapture(event.pointerId);
    });
    this.canvas.addEventListener('pointermove', (event) => {
      if (!drag) return;
      const dpr = window.devicePixelRatio || 1;
      this.auto = false;
      this.offset.x += (event.clientX - drag.x) * dpr;
      this.offset.y += (event.clientY - drag.y) * dpr;
      drag = { x: event.clientX, y: event.clientY };
    });
    this.canvas.addEventListener('pointerup', () => { drag = null; });
    this.canvas.addEventListener('wheel', (event) => {
      event.preventDefault();
      const dpr = window.devicePixelRatio || 1;
      const rect = this.canvas.getBoundingClientRect();
      const px = (event.clientX - rect.left) * dpr, py = (event.clientY - rect.top) * dpr;
      const factor = Math.exp(-event.deltaY * 0.0015);
      this.auto = false;
      this.offset.x = px - (px - this.offset.x) * factor;
      this.offset.y = py - (py - this.offset.y) * factor;
      this.scale *= factor;
    }, { passive: false });
  }
}
