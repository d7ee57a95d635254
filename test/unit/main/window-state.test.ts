// Window bounds: clamped to the displays there are, saved and restored through userData.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clampToDisplays, DEFAULT_WINDOW_STATE, loadWindowState, saveWindowState, windowStateFile, type Rect } from '../../../src/main/window-state.js';
import { tempDir } from '../../helpers/temp.js';

const laptop: Rect = { x: 0, y: 0, width: 1920, height: 1050 };
/** A second monitor to the right of the laptop. */
const right: Rect = { x: 1920, y: 0, width: 2560, height: 1400 };

describe('clampToDisplays', () => {
  it('keeps a window that is on a display as it is', () => {
    expect(clampToDisplays({ x: 100, y: 80, width: 1200, height: 800, maximized: false }, [laptop])).toEqual({ x: 100, y: 80, width: 1200, height: 800, maximized: false });
    expect(clampToDisplays({ x: 2000, y: 50, width: 2000, height: 1200, maximized: true }, [laptop, right])).toEqual({ x: 2000, y: 50, width: 2000, height: 1200, maximized: true });
  });

  it('centres a window left on a monitor that is gone on the primary display, no larger than it', () => {
    expect(clampToDisplays({ x: 2000, y: 50, width: 2400, height: 1300, maximized: true }, [laptop])).toMatchInlineSnapshot(`
      {
        "height": 1050,
        "maximized": true,
        "width": 1920,
        "x": 0,
        "y": 0,
      }
    `);
    expect(clampToDisplays({ x: -5000, y: -5000, width: 800, height: 600, maximized: false }, [laptop])).toEqual({ x: 560, y: 225, width: 800, height: 600, maximized: false });
  });

  it('a window whose title bar is above the screen or that barely overlaps is not visible: centred', () => {
    expect(clampToDisplays({ x: 100, y: -300, width: 800, height: 600, maximized: false }, [laptop])).toEqual({ x: 560, y: 225, width: 800, height: 600, maximized: false });
    expect(clampToDisplays({ x: 1900, y: 100, width: 800, height: 600, maximized: false }, [laptop])).toEqual({ x: 560, y: 225, width: 800, height: 600, maximized: false });
  });

  it('a window partly off its display is moved just enough to lie on it', () => {
    expect(clampToDisplays({ x: 1500, y: 500, width: 800, height: 700, maximized: false }, [laptop])).toEqual({ x: 1120, y: 350, width: 800, height: 700, maximized: false });
  });

  it('without a position (first start) the window is centred; without displays only the minimum size applies', () => {
    expect(clampToDisplays(DEFAULT_WINDOW_STATE, [laptop])).toEqual({ x: 260, y: 75, width: 1400, height: 900, maximized: false });
    expect(clampToDisplays({ width: 100, height: 100, maximized: false }, [])).toEqual({ width: 640, height: 400, maximized: false });
  });
});

describe('window-state.json', () => {
  it('round-trips the normal bounds and the maximized flag, clamped on load', () => {
    const file = windowStateFile(tempDir());
    saveWindowState(file, { x: 2100.4, y: 40, width: 1600, height: 1000 }, true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ x: 2100, y: 40, width: 1600, height: 1000, maximized: true });
    expect(loadWindowState(file, [laptop, right])).toEqual({ x: 2100, y: 40, width: 1600, height: 1000, maximized: true });
    expect(loadWindowState(file, [laptop])).toEqual({ x: 160, y: 25, width: 1600, height: 1000, maximized: true });
  });

  it('a missing, corrupt or foreign file gives the defaults', () => {
    const dir = tempDir();
    expect(loadWindowState(join(dir, 'none.json'), [laptop])).toEqual(clampToDisplays(DEFAULT_WINDOW_STATE, [laptop]));
    writeFileSync(join(dir, 'bad.json'), '{"x": 1, "width": ');
    expect(loadWindowState(join(dir, 'bad.json'), [laptop])).toEqual(clampToDisplays(DEFAULT_WINDOW_STATE, [laptop]));
    writeFileSync(join(dir, 'foreign.json'), '{"width": -3, "height": "tall", "maximized": "yes"}');
    expect(loadWindowState(join(dir, 'foreign.json'), [laptop])).toEqual(clampToDisplays(DEFAULT_WINDOW_STATE, [laptop]));
  });
});
