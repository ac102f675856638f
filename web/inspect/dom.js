// A small DOM builder shared by the inspector's panels.

/**
 * element('td', {className: 'num'}, 'text', child…)
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node|string)} children
 * @returns {HTMLElement}
 */
export function element(tag, props = {}, ...children) {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

/** Sets the text only when it changed (no needless layout). @param {Element|null} el @param {string} text */
export function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

/** @param {string} id @returns {HTMLElement} */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}
