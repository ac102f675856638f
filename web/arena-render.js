// Draws the arena on a canvas: walls and grid, ships, bullets and short-lived
// effects, from the interpolated entities of a TickwireClient. World units
// are the game's (x right, y up, the box spans -1000..1000); the canvas keeps
// the box square and as large as its stage allows.

/** Half the arena's side, in world units (games/arena/game.lua HALF). */
export const HALF = 1000;
const MARGIN = 30;                 // world units shown beyond the walls
const SHIP_RADIUS = 20;
const BULLET_RADIUS = 4;
const MAX_HP = 3;

/** @typedef {{id: number, kind: string, fields: Record<string, any>}} Entity */

/** A colour per player id, spread around the hue circle. @param {number} player */
export function playerColor(player, lightness = 62) {
  const hue = (player * 137.508 + 195) % 360;
  return `hsl(${hue.toFixed(1)}, 85%, ${lightness}%)`;
}

/**
 * An effect on the arena for a game event, drawn from `start` for `life` ms.
 * @typedef {{type: 'hit'|'kill'|'spawn', start: number, life: number, entity: number,
 *            x: number, y: number, color: string, sparks: {a: number, v: number}[]}} Effect
 */

export class ArenaRenderer {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLElement} stage  the box the canvas fills, keeping its aspect
   */
  constructor(canvas, stage) {
    this.canvas = canvas;
    this.stage = stage;
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    this.size = 0;                 // CSS pixels per side
    this.dpr = 1;
    /** @type {Effect[]} */
    this.effects = [];
    /** @type {Map<number, Entity>} the entities last drawn, by id */
    this.drawn = new Map();
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(stage);
    this.resize();
  }

  dispose() {
    this.observer.disconnect();
    this.effects = [];
    this.drawn.clear();
  }

  resize() {
    const { width, height } = this.stage.getBoundingClientRect();
    const size = Math.max(120, Math.floor(Math.min(width, height)));
    const dpr = window.devicePixelRatio || 1;
    if (size === this.size && dpr === this.dpr) return;
    this.size = size;
    this.dpr = dpr;
    this.canvas.style.width = `${size}px`;
    this.canvas.style.height = `${size}px`;
    this.canvas.width = Math.round(size * dpr);
    this.canvas.height = Math.round(size * dpr);
  }

  /** CSS pixels per world unit. */
  get scale() { return this.size / (2 * (HALF + MARGIN)); }

  /** How much ships and effects are enlarged so that a ship stays at least ~10 px across on a small canvas. */
  get enlarge() { return Math.max(1, 10 / (SHIP_RADIUS * this.scale)); }

  /** @param {number} x @param {number} y world → CSS pixels */
  toScreen(x, y) {
    const s = this.scale, c = this.size / 2;
    return [c + x * s, c - y * s];
  }

  /**
   * Queues an effect for a game event; it starts after `delay` ms, when the
   * interpolated view reaches the tick the event happened on.
   * @param {'hit'|'kill'|'spawn'} type
   * @param {Entity | undefined} ship  the ship it happened to (from the newest state)
   * @param {number} now
   * @param {number} delay
   */
  addEffect(type, ship, now, delay) {
    if (!ship) return;
    const life = { hit: 450, kill: 900, spawn: 700 }[type];
    const count = { hit: 10, kill: 26, spawn: 0 }[type];
    const sparks = Array.from({ length: count }, () => ({ a: Math.random() * Math.PI * 2, v: 0.4 + Math.random() * 0.6 }));
    this.effects.push({
      type, start: now + delay, life, entity: ship.id, sparks,
      x: Number(ship.fields.x) || 0, y: Number(ship.fields.y) || 0,
      color: playerColor(Number(ship.fields.player) || 0),
    });
  }

  /**
   * Draws one frame.
   * @param {Entity[]} entities  interpolated for `now`
   * @param {{me: number, now: number, waiting: string}} view
   *        me: the viewer's player id (0 for a spectator); waiting: text shown while there is nothing to draw
   */
  draw(entities, { me, now, waiting }) {
    const ctx = this.ctx, s = this.scale, c = this.size / 2;
    this.drawn = new Map(entities.map((e) => [e.id, e]));

    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.size, this.size);
    // world transform: origin at the centre, y up, 1 unit = s CSS pixels
    ctx.setTransform(this.dpr * s, 0, 0, -this.dpr * s, this.dpr * c, this.dpr * c);
    this.drawField();

    const ships = [], bullets = [], others = [];
    for (const e of entities) {
      if (e.kind === 'ship') ships.push(e);
      else if (e.kind === 'bullet') bullets.push(e);
      else if (typeof e.fields.x === 'number' && typeof e.fields.y === 'number') others.push(e);
    }
    const shipsById = new Map(ships.map((e) => [e.id, e]));

    for (const e of others) this.drawMarker(e);
    for (const b of bullets) this.drawBullet(b, shipsById.get(b.fields.owner));
    // the viewer's ship last, on top
    ships.sort((a, b) => Number(a.fields.player === me) - Number(b.fields.player === me) || a.id - b.id);
    for (const ship of ships) this.drawShip(ship, ship.fields.player === me && me !== 0, now);
    this.drawEffects(now);

    // labels in screen space, so text is upright and sharp
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    for (const ship of ships) this.drawLabel(ship, ship.fields.player === me && me !== 0);
    if (entities.length === 0 && waiting) {
      ctx.fillStyle = 'rgba(200, 215, 255, 0.75)';
      ctx.font = '600 15px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(waiting, c, c);
    }
  }

  /** @private The floor, the grid and the walls. */
  drawField() {
    const ctx = this.ctx, px = 1 / this.scale;
    ctx.fillStyle = '#0a0f1e';
    ctx.fillRect(-HALF - MARGIN, -HALF - MARGIN, 2 * (HALF + MARGIN), 2 * (HALF + MARGIN));
    ctx.fillStyle = '#0e1529';
    ctx.fillRect(-HALF, -HALF, 2 * HALF, 2 * HALF);

    ctx.lineWidth = px;
    for (let v = -HALF + 100; v < HALF; v += 100) {
      ctx.strokeStyle = v % 500 === 0 ? 'rgba(120, 150, 230, 0.16)' : 'rgba(120, 150, 230, 0.07)';
      ctx.beginPath();
      ctx.moveTo(v, -HALF); ctx.lineTo(v, HALF);
      ctx.moveTo(-HALF, v); ctx.lineTo(HALF, v);
      ctx.stroke();
    }
    ctx.strokeStyle = '#5b7bd5';
    ctx.lineWidth = 3 * px;
    ctx.shadowColor = 'rgba(91, 123, 213, 0.6)';
    ctx.shadowBlur = 8 * this.dpr;
    ctx.strokeRect(-HALF, -HALF, 2 * HALF, 2 * HALF);
    ctx.shadowBlur = 0;
  }

  /**
   * @private
   * @param {Entity} ship @param {boolean} mine @param {number} now
   */
  drawShip(ship, mine, now) {
    const ctx = this.ctx, px = 1 / (this.scale * this.enlarge), f = ship.fields;
    const color = playerColor(Number(f.player) || 0);
    const alive = f.alive !== false;
    ctx.save();
    ctx.translate(Number(f.x) || 0, Number(f.y) || 0);
    const k = this.enlarge;
    ctx.scale(k, k);

    if (mine && alive) {
      // a soft halo under the viewer's ship
      const pulse = 0.5 + 0.5 * Math.sin(now / 300);
      ctx.beginPath();
      ctx.arc(0, 0, SHIP_RADIUS + 16 + pulse * 4, 0, Math.PI * 2);
      ctx.fillStyle = 'rgba(255, 255, 255, 0.06)';
      ctx.fill();
      ctx.strokeStyle = `rgba(255, 255, 255, ${0.25 + 0.2 * pulse})`;
      ctx.lineWidth = 1.5 * px;
      ctx.stroke();
    }
    if (f.shield && alive) {
      ctx.beginPath();
      ctx.arc(0, 0, SHIP_RADIUS + 10, 0, Math.PI * 2);
      ctx.strokeStyle = `rgba(140, 230, 255, ${0.55 + 0.3 * Math.sin(now / 90)})`;
      ctx.lineWidth = 2.5 * px;
      ctx.stroke();
    }

    ctx.rotate(Number(f.angle) || 0);
    ctx.globalAlpha = alive ? 1 : 0.18;
    if (f.thrusting && alive) {
      const flicker = 14 + Math.random() * 12;
      ctx.beginPath();
      ctx.moveTo(-12, 7);
      ctx.lineTo(-12 - flicker, 0);
      ctx.lineTo(-12, -7);
      ctx.closePath();
      ctx.fillStyle = '#ffb347';
      ctx.fill();
      ctx.beginPath();
      ctx.moveTo(-12, 3.5);
      ctx.lineTo(-12 - flicker * 0.55, 0);
      ctx.lineTo(-12, -3.5);
      ctx.closePath();
      ctx.fillStyle = '#fff3b0';
      ctx.fill();
    }
    ctx.beginPath();
    ctx.moveTo(26, 0);
    ctx.lineTo(-16, 15);
    ctx.lineTo(-9, 0);
    ctx.lineTo(-16, -15);
    ctx.closePath();
    ctx.fillStyle = color;
    ctx.fill();
    ctx.lineJoin = 'round';
    ctx.lineWidth = (mine ? 2.5 : 1.5) * px;
    ctx.strokeStyle = mine ? '#ffffff' : 'rgba(255, 255, 255, 0.45)';
    ctx.stroke();
    ctx.restore();
  }

  /** @private @param {Entity} bullet @param {Entity | undefined} owner */
  drawBullet(bullet, owner) {
    const ctx = this.ctx, px = 1 / this.scale, f = bullet.fields;
    const x = Number(f.x) || 0, y = Number(f.y) || 0;
    const color = owner ? playerColor(Number(owner.fields.player) || 0, 75) : '#e8ecff';
    const vx = Number(f.vx) || 0, vy = Number(f.vy) || 0;
    ctx.strokeStyle = color;
    ctx.globalAlpha = 0.35;
    ctx.lineWidth = 2 * BULLET_RADIUS;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(x - vx * 0.03, y - vy * 0.03);
    ctx.lineTo(x, y);
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.beginPath();
    ctx.arc(x, y, Math.max(BULLET_RADIUS, 2.2 * px), 0, Math.PI * 2);
    ctx.fillStyle = color;
    ctx.fill();
  }

  /** @private An entity of a kind this page does not know, at its x, y. @param {Entity} e */
  drawMarker(e) {
    const ctx = this.ctx;
    ctx.beginPath();
    ctx.arc(e.fields.x, e.fields.y, 8, 0, Math.PI * 2);
    ctx.fillStyle = 'rgba(200, 210, 240, 0.6)';
    ctx.fill();
  }

  /** @private @param {number} now */
  drawEffects(now) {
    const ctx = this.ctx, k = this.enlarge, px = 1 / (this.scale * k);
    this.effects = this.effects.filter((fx) => now < fx.start + fx.life);
    for (const fx of this.effects) {
      if (now < fx.start) continue;
      const t = (now - fx.start) / fx.life;                 // 0 → 1
      if (fx.start + 50 > now) {
        // follow the ship while it is still on screen when the effect begins
        const ship = this.drawn.get(fx.entity);
        if (ship) { fx.x = Number(ship.fields.x) || fx.x; fx.y = Number(ship.fields.y) || fx.y; }
      }
      ctx.save();
      ctx.translate(fx.x, fx.y);
      ctx.scale(k, k);
      ctx.globalAlpha = 1 - t;
      ctx.strokeStyle = ctx.fillStyle = fx.type === 'hit' ? '#ffe08a' : fx.color;
      if (fx.type === 'spawn') {
        ctx.lineWidth = 3 * px;
        ctx.beginPath();
        ctx.arc(0, 0, SHIP_RADIUS + 70 * (1 - t), 0, Math.PI * 2);
        ctx.stroke();
      } else {
        const reach = fx.type === 'kill' ? 110 : 45;
        if (fx.type === 'kill') {
          ctx.lineWidth = 4 * px;
          ctx.beginPath();
          ctx.arc(0, 0, SHIP_RADIUS + reach * Math.sqrt(t), 0, Math.PI * 2);
          ctx.stroke();
        }
        for (const spark of fx.sparks) {
          const r = SHIP_RADIUS * 0.5 + reach * spark.v * Math.sqrt(t);
          ctx.beginPath();
          ctx.arc(Math.cos(spark.a) * r, Math.sin(spark.a) * r, (fx.type === 'kill' ? 4 : 2.5) * (1 - t * 0.5), 0, Math.PI * 2);
          ctx.fill();
        }
      }
      ctx.restore();
    }
  }

  /** @private Name and hp pips, in CSS pixels. @param {Entity} ship @param {boolean} mine */
  drawLabel(ship, mine) {
    const ctx = this.ctx, f = ship.fields;
    const alive = f.alive !== false;
    const [sx, sy] = this.toScreen(Number(f.x) || 0, Number(f.y) || 0);
    const r = SHIP_RADIUS * this.scale * this.enlarge;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.font = `${mine ? 700 : 500} 12px system-ui, sans-serif`;
    ctx.globalAlpha = alive ? 1 : 0.4;
    const name = String(f.name ?? '') + (mine ? ' (you)' : '') + (alive ? '' : ' · respawning');
    ctx.lineWidth = 3;
    ctx.strokeStyle = 'rgba(5, 8, 18, 0.85)';
    ctx.strokeText(name, sx, sy - r - 6);
    ctx.fillStyle = mine ? '#ffffff' : playerColor(Number(f.player) || 0, 78);
    ctx.fillText(name, sx, sy - r - 6);

    if (alive) {
      const hp = Math.max(0, Number(f.hp) || 0), pips = Math.max(MAX_HP, hp);
      const gap = 7, y = sy + r + 7;
      for (let i = 0; i < pips; i++) {
        const x = sx + (i - (pips - 1) / 2) * gap;
        ctx.beginPath();
        ctx.arc(x, y, 2.5, 0, Math.PI * 2);
        if (i < hp) {
          ctx.fillStyle = hp === 1 ? '#ff6b6b' : '#7dffa8';
          ctx.fill();
        } else {
          ctx.strokeStyle = 'rgba(220, 230, 255, 0.5)';
          ctx.lineWidth = 1;
          ctx.stroke();
        }
      }
    }
    ctx.globalAlpha = 1;
  }
}
