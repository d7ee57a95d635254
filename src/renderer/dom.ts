// A few lines instead of a framework: elements built from data, text always as text (never parsed as
// HTML). The only HTML the renderer inserts is what nestbed's own pure formatters produced from
// escaped values (report charts, the topology diagram) — through `trustedHtml`.
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;
type Child = Node | string | number | false | null | undefined;

export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== false && c !== null && c !== undefined) el.append(typeof c === 'number' ? String(c) : c);
  return el;
};

/** Replaces the children of `el`. */
export const fill = (el: Element, ...children: Child[]): void => {
  el.replaceChildren(...children.filter((c): c is Node | string | number => c !== false && c !== null && c !== undefined).map((c) => (typeof c === 'number' ? String(c) : c)));
};

/** HTML produced by nestbed's pure formatters (src/core/common/report), which escape every value. */
export const trustedHtml = (el: Element, html: string): void => {
  el.innerHTML = html;
};

export const fmtMs = (ms: number | undefined): string => (ms === undefined ? '–' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
