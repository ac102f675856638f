// Draws the world page's canvas and minimap from the interpolated entities
// of a TickwireClient: the camera follows the player's blob and zooms so
// that the whole canvas lies inside the circle the server sends (VIEW units
// around the blob), then pellets and blobs as they arrive. World units are
// the game's (games/world: x right, y up, 0..match.size on both axes).

/** The game's interest radius (games/world/game.lua VIEW): what the server sends around the blob. */
export const VIEW = 600;
const GRID = 100;                  // world units between background lines
const FOOD_RADIUS = 6;

/** @typedef {{id: number, kind: string, fields: Record<string, any>}} Entity */

/** A colour per player id, spread around the hue circle. @param {number} player */
export function blobColor(player, lightness = 58) {
  const hue = (player * 137.508 + 20) % 360;
  return `hsl(${hue.toFixed(1)}, 80%, ${lightness}%)`;
}

/** @param {number} id */
function foodColor(id) {
  return `hsl(${(id * 47) % 360}, 75%, 62%)`;
}

export class WorldRenderer {
  /**
   * @param {HTMLCanvasElement} canvas   the view, sized by its CSS box
   * @param {HTMLCanvasElement} minimap  a square canvas
   */
  constructor(canvas, minimap) {
    this.canvas = canvas;
    this.minimap = minimap;
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    this.mini = /** @type {CanvasRenderingContext2D} */ (minimap.getContext('2d'));
    this.width = 0;                // CSS pixels
    this.height = 0;
    this.dpr = 1;
    /** Where the camera looks, in world units: the player's blob once it is known. */
    this.camera = { x: 0, y: 0 };
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(canvas);
    this.resize();
  }

  dispose() { this.observer.disconnect(); }

  resize() {
    const { width, height } = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.floor(width)), h = Math.max(1, Math.floor(height));
    if (w === this.width && h === this.height && dpr === this.dpr) return;
    this.width = w;
    this.height = h;
    this.dpr = dpr;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
  }

  /** CSS pixels per world unit: the canvas's corners sit on the view's edge. */
  get scale() { return Math.hypot(this.width, this.height) / 2 / VIEW; }

  /**
   * The world offset (y up) of a point on the canvas from its centre, where the blob is drawn.
   * @param {number} px @param {number} py  CSS pixels from the canvas's top left
   */
  offset(px, py) {
    const s = this.scale;
    return { x: (px - this.width / 2) / s, y: -(py - this.height / 2) / s };
  }

  /**
   * Draws one frame.
   * @param {Entity[]} entities  interpolated for now
   * @param {{me: number, size: number, waiting: string}} view
   *        me: the player's id; size: the map's side; waiting: text shown while there is no blob to follow
   */
  draw(entities, { me, size, waiting }) {
    const ctx = this.ctx, s = this.scale, w = this.width, h = this.height;
    const blobs = [], food = [];
    for (const e of entities) {
      if (e.kind === 'blob') blobs.push(e);
      else if (e.kind === 'food') food.push(e);
    }
    const mine = blobs.filter((b) => b.fields.owner === me).sort((a, b) => a.id - b.id)[0];
    if (mine) this.camera = { x: mine.fields.x, y: mine.fields.y };
    const { x: cx, y: cy } = this.camera;

    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = '#0a1020';
    ctx.fillRect(0, 0, w, h);
    // world transform: the camera at the centre, y up
    ctx.setTransform(this.dpr * s, 0, 0, -this.dpr * s, this.dpr * (w / 2 - cx * s), this.dpr * (h / 2 + cy * s));
    this.drawGround(cx, cy, w / 2 / s, h / 2 / s, size);

    for (const p of food) {
      ctx.fillStyle = foodColor(p.id);
      ctx.beginPath();
      ctx.arc(p.fields.x, p.fields.y, FOOD_RADIUS, 0, Math.PI * 2);
      ctx.fill();
    }
    blobs.sort((a, b) => a.fields.r - b.fields.r || a.id - b.id);   // the big ones on top
    for (const b of blobs) this.drawBlob(b, b === mine, s);

    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    if (!mine && waiting) {
      ctx.fillStyle = '#8b97b5';
      ctx.font = '16px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText(waiting, w / 2, h / 2);
    }
    this.drawMinimap(mine ? this.camera : null, size);
  }

  /** @private The map's floor and edge around the camera. */
  drawGround(cx, cy, halfW, halfH, size) {
    const ctx = this.ctx;
    const x0 = Math.max(0, cx - halfW), x1 = Math.min(size, cx + halfW);
    const y0 = Math.max(0, cy - halfH), y1 = Math.min(size, cy + halfH);
    ctx.fillStyle = '#0f1729';
    if (x1 > x0 && y1 > y0) ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    ctx.strokeStyle = 'rgba(120, 140, 190, 0.12)';
    ctx.lineWidth = 1 / this.scale;
    ctx.beginPath();
    for (let x = Math.ceil(x0 / GRID) * GRID; x <= x1; x += GRID) { ctx.moveTo(x, y0); ctx.lineTo(x, y1); }
    for (let y = Math.ceil(y0 / GRID) * GRID; y <= y1; y += GRID) { ctx.moveTo(x0, y); ctx.lineTo(x1, y); }
    ctx.stroke();
    ctx.strokeStyle = 'rgba(255, 123, 123, 0.6)';
    ctx.lineWidth = 4 / this.scale;
    ctx.strokeRect(0, 0, size, size);
  }

  /** @private @param {Entity} b @param {boolean} mine @param {number} s */
  drawBlob(b, mine, s) {
    const ctx = this.ctx;
    const { x, y, r } = b.fields;
    const owner = Number(b.fields.owner) || 0;
    ctx.fillStyle = blobColor(owner);
    ctx.strokeStyle = mine ? '#ffffff' : blobColor(owner, 40);
    ctx.lineWidth = (mine ? 3 : 2) / s;
    ctx.beginPath();
    ctx.arc(x, y, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
    if (b.fields.boosting) {
      ctx.strokeStyle = 'rgba(255, 194, 103, 0.7)';
      ctx.lineWidth = 2 / s;
      ctx.beginPath();
      ctx.arc(x, y, r + 6 / s, 0, Math.PI * 2);
      ctx.stroke();
    }
    const px = r * s;                  // radius on screen
    if (px < 10) return;
    // text upright: back to a y-down frame at the blob's centre
    ctx.save();
    ctx.translate(x, y);
    ctx.scale(1 / s, -1 / s);
    ctx.fillStyle = '#ffffff';
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.55)';
    ctx.lineWidth = 3;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    const big = Math.max(10, Math.min(22, px * 0.45));
    ctx.font = `600 ${big}px system-ui, sans-serif`;
    ctx.strokeText(b.fields.name, 0, 0);
    ctx.fillText(b.fields.name, 0, 0);
    if (px > 22) {
      ctx.font = `${Math.max(9, big * 0.7)}px ui-monospace, monospace`;
      ctx.strokeText(String(b.fields.mass), 0, big * 0.95);
      ctx.fillText(String(b.fields.mass), 0, big * 0.95);
    }
    ctx.restore();
  }

  /** @private The whole map, small, with the player's own position only. @param {{x: number, y: number} | null} at */
  drawMinimap(at, size) {
    const ctx = this.mini, n = this.minimap.width;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, n, n);
    ctx.fillStyle = 'rgba(15, 23, 41, 0.9)';
    ctx.fillRect(0, 0, n, n);
    ctx.strokeStyle = 'rgba(120, 140, 190, 0.25)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 1; i < 4; i++) {
      const p = Math.round(i * n / 4) + 0.5;
      ctx.moveTo(p, 0); ctx.lineTo(p, n);
      ctx.moveTo(0, p); ctx.lineTo(n, p);
    }
    ctx.stroke();
    if (!at || !(size > 0)) return;
    const k = n / size;
    const mx = at.x * k, my = n - at.y * k;
    ctx.strokeStyle = 'rgba(228, 233, 247, 0.35)';
    ctx.beginPath();
    ctx.arc(mx, my, Math.max(3, VIEW * k), 0, Math.PI * 2);   // what the server sends around you
    ctx.stroke();
    ctx.fillStyle = '#5fe3a1';
    ctx.beginPath();
    ctx.arc(mx, my, 3.5, 0, Math.PI * 2);
    ctx.fill();
  }
}
