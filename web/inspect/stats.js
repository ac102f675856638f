// Tick, tick rate, ping, bytes per second in and out (the SDK's
// `client.stats`, rolled every second), and a chart of bytes per tick
// received: each second's average over the last 30 seconds.

import { byId, setText } from './dom.js';

const SECONDS = 30;

export class StatsPanel {
  /** @param {HTMLCanvasElement} chart */
  constructor(chart) {
    this.chart = chart;
    /** @type {number[]} bytes per tick, one per second, oldest first */
    this.history = [];
    this.client = null;
    this.timer = 0;
  }

  /** @param {import('../tickwire.js').TickwireClient} client */
  start(client) {
    this.client = client;
    this.timer = setInterval(() => this.roll(), 1000);
  }

  /** The tick the page holds, shown at once with each snapshot. @param {number} tick */
  tick(tick) {
    setText(byId('stat-tick'), String(tick));
  }

  roll() {
    const s = this.client?.stats;
    if (!s) return;
    setText(byId('stat-rate'), `${s.tickRate} Hz`);
    setText(byId('stat-ping'), s.ping === null ? '–' : `${Math.round(s.ping)} ms`);
    setText(byId('stat-in'), `${formatBytes(s.bytesIn)}/s`);
    setText(byId('stat-out'), `${formatBytes(s.bytesOut)}/s`);
    this.history.push(s.tickRate > 0 ? s.bytesIn / s.tickRate : 0);
    if (this.history.length > SECONDS) this.history.shift();
    this.drawChart();
  }

  drawChart() {
    const c = this.chart;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr)), h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
    ctx.clearRect(0, 0, w, h);
    const top = Math.max(16, ...this.history);
    const bar = w / SECONDS;
    ctx.fillStyle = '#58a6ff';
    this.history.forEach((v, i) => {
      const bh = (v / top) * (h - 14 * dpr);
      ctx.fillRect((SECONDS - this.history.length + i) * bar + 1, h - bh, Math.max(1, bar - 2), bh);
    });
    ctx.fillStyle = '#8b949e';
    ctx.font = `${10 * dpr}px system-ui, sans-serif`;
    ctx.fillText(`${Math.round(top)} B`, 2, 11 * dpr);
  }
}

/** @param {number} n bytes */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}
