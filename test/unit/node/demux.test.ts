import { describe, expect, it } from 'vitest';
import { demuxLine, splitGluedLine } from '../../../src/core/node/run/demux.js';

describe('an event line something else printed onto', () => {
  it('splits at the end of the event (recorded: a panic test hook in CI), keeping the route', () => {
    const raw = '1|2.0|@{"e":"ready","u":15.83,"mt":208148,"ma":179332}[   18.714967] sysrq: Trigger a crash\r';
    const parts = splitGluedLine(raw);
    expect(parts).toEqual(['1|2.0|@{"e":"ready","u":15.83,"mt":208148,"ma":179332}', '1|2.0|[   18.714967] sysrq: Trigger a crash']);
    expect(demuxLine(parts[0]!)).toMatchObject({ kind: 'event', level: 2, guest: 0, name: 'ready' });
    expect(demuxLine(parts[1]!)).toMatchObject({ kind: 'text', level: 2, guest: 0, text: '[   18.714967] sysrq: Trigger a crash' });
  });
  it('braces and quotes inside strings and nested objects do not end the event early', () => {
    const raw = '1|@{"e":"pin","m":{"0":"4"},"q":"a}\\"b{"}tail';
    expect(splitGluedLine(raw)).toEqual(['1|@{"e":"pin","m":{"0":"4"},"q":"a}\\"b{"}', '1|tail']);
  });
  it('leaves whole events, text and cut events alone', () => {
    for (const raw of ['1|@{"e":"init","u":1}', '1|2.1|[    1.0] booting', '1|@{"e":"init","u":', '1|@{bad: json} tail']) {
      expect(splitGluedLine(raw)).toEqual([raw]);
    }
  });
});
