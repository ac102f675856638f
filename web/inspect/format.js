// How the inspector writes a field's value: short, exact enough to compare
// with the server's JSON, and the same in the tables and the event log.

/** A number with at most 4 decimals, no trailing zeros. @param {number} n */
export function formatNumber(n) {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toFixed(4)));
}

/**
 * @param {any} value a value as the SDK decodes it
 * @param {{type: string}} [field] its declaration, when known
 * @returns {string}
 */
export function formatValue(value, field) {
  if (field?.type === 'entity') return value === 0 ? '—' : `#${value}`;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value && typeof value === 'object') {
    const axes = 'w' in value ? ['x', 'y', 'z', 'w'] : ['x', 'y', 'z'];
    return `(${axes.map((a) => formatNumber(value[a])).join(', ')})`;
  }
  return String(value);
}

/** Event or match fields as `name=value` pairs. @param {Record<string, any>} fields */
export function formatFields(fields) {
  return Object.entries(fields).map(([k, v]) => `${k}=${formatValue(v)}`).join(' ');
}
