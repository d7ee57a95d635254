// The desktop page: the renderer's built index.html (Vite, dist/renderer) with the desktop CSP as a
// <meta>, written next to it as desktop.html by scripts/build-desktop.mjs. A separate file because the
// browser mode serves index.html with its own CSP header (which allows its WebSocket); a meta in
// index.html would apply there too. Loaded from file://, every asset reference must be relative
// (Vite `base: './'`): '/assets/x.js' would mean file:///assets/x.js.
import { desktopContentSecurityPolicy } from './web-security.js';

/** src/href values in the page that cannot work from file:// (absolute paths, other schemes than data:). */
export const nonRelativeAssets = (html: string): string[] =>
  [...html.matchAll(/\s(?:src|href)\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1] ?? '').filter((v) => v.startsWith('/') || (/^[a-z][a-z0-9+.-]*:/i.test(v) && !/^data:/i.test(v)));

/** index.html → desktop.html: the CSP meta as the first element of <head> (before any script or
 * style it governs). Throws when the page has no <head> or references assets that cannot load from
 * file://. A page that already carries a CSP meta gets the desktop one too (both are enforced). */
export const desktopPage = (indexHtml: string, csp: string = desktopContentSecurityPolicy()): string => {
  const bad = nonRelativeAssets(indexHtml);
  if (bad.length > 0) throw new Error(`the renderer's index.html references ${bad.join(', ')}: from file:// these cannot load (build the renderer with Vite's base './')`);
  const head = /<head(\s[^>]*)?>/i.exec(indexHtml);
  if (!head) throw new Error("the renderer's index.html has no <head>");
  const at = head.index + head[0].length;
  const meta = `\n    <meta http-equiv="Content-Security-Policy" content="${csp.replace(/"/g, '&quot;')}" />`;
  return indexHtml.slice(0, at) + meta + indexHtml.slice(at);
};
