// Window size, position and maximized flag, saved as JSON in userData when a window closes and
// restored for the next one — clamped to the displays there are now (a monitor unplugged since must
// not leave the window off-screen).
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeJsonFile } from './json-file.js';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export const windowStateSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  maximized: z.boolean(),
});
export type WindowState = z.infer<typeof windowStateSchema>;

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1400, height: 900, maximized: false };
export const MIN_WIDTH = 640;
export const MIN_HEIGHT = 400;
/** A window counts as visible on a display when this much of it (px, each way) lies on the display's
 * work area, its top edge (the title bar) included. */
const VISIBLE = 64;

export const windowStateFile = (userData: string): string => join(userData, 'window-state.json');

const overlap = (a: Rect, b: Rect): { w: number; h: number } => ({
  w: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
  h: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
});

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(v, hi));

/** The state as it can be shown on these work areas (the first is the primary display's): no larger
 * than the display it is on; if it is not visible on any display (or had no position), centred on the
 * primary; otherwise moved just enough to lie wholly on its display. */
export const clampToDisplays = (state: WindowState, workAreas: readonly Rect[]): WindowState => {
  const primary = workAreas[0];
  if (!primary) return { width: Math.max(state.width, MIN_WIDTH), height: Math.max(state.height, MIN_HEIGHT), maximized: state.maximized };
  let target: Rect | undefined;
  if (state.x !== undefined && state.y !== undefined) {
    const rect: Rect = { x: state.x, y: state.y, width: state.width, height: state.height };
    let best = 0;
    for (const area of workAreas) {
      const o = overlap(rect, area);
      const titleBarOn = rect.y >= area.y && rect.y <= area.y + area.height - VISIBLE;
      if (o.w >= VISIBLE && o.h >= VISIBLE && titleBarOn && o.w * o.h > best) {
        best = o.w * o.h;
        target = area;
      }
    }
  }
  const on = target ?? primary;
  const width = clamp(state.width, Math.min(MIN_WIDTH, on.width), on.width);
  const height = clamp(state.height, Math.min(MIN_HEIGHT, on.height), on.height);
  const x = target ? clamp(state.x!, on.x, on.x + on.width - width) : on.x + Math.round((on.width - width) / 2);
  const y = target ? clamp(state.y!, on.y, on.y + on.height - height) : on.y + Math.round((on.height - height) / 2);
  return { x, y, width, height, maximized: state.maximized };
};

/** The saved state (defaults when there is none or it is unreadable), clamped to the work areas. */
export const loadWindowState = (file: string, workAreas: readonly Rect[]): WindowState => clampToDisplays(readJsonFile(file, windowStateSchema) ?? DEFAULT_WINDOW_STATE, workAreas);

/** `bounds`: the window's normal (not maximized) bounds, so un-maximizing later restores them. */
export const saveWindowState = (file: string, bounds: Rect, maximized: boolean): void =>
  writeJsonFile(file, { x: Math.round(bounds.x), y: Math.round(bounds.y), width: Math.round(bounds.width), height: Math.round(bounds.height), maximized } satisfies WindowState);
