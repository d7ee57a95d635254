// The launcher results directory a bundle run writes (src/core/node/run/launcher-log.ts): L1's side of
// the console byte for byte, the bundle's files, launcher.json.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LauncherLog } from '../../../src/core/node/run/launcher-log.js';
import { tempDir } from '../../helpers/temp.js';

describe('launcher results directory of a bundle run', () => {
  it("keeps exactly the lines L0 relayed from L1, and the bundle's topology, plan and profile", async () => {
    const run = tempDir();
    const log = await LauncherLog.open(run, {
      file: '/b.tar.gz',
      topologyText: 'name: t\n',
      payload: [],
      plan: Buffer.from('{"planVersion":1}\n'),
      profile: Buffer.from('{"id":"p"}\n'),
      manifest: Buffer.from('{}\n'),
      manifestSha256: 'a'.repeat(64),
      images: {},
    });
    log.line('stdout', '@{"e":"init","u":0.5,"u0":0.4}');
    log.line('stdout', '1|@{"e":"launch","u":1.2,"v":1,"n":2}\r');
    log.line('stderr', '1|not from the console');
    log.line('stdout', '1|2.0|@{"e":"ready","u":0.3,"mt":1,"ma":1}');
    log.line('stdout', 'L0 kernel text');
    await log.close();
    const dir = join(run, 'launcher');
    expect(readdirSync(dir).sort()).toEqual(['console.log', 'launcher.json', 'manifest.json', 'plan.json', 'profile.json', 'topology.yaml']);
    expect(readFileSync(join(dir, 'console.log'), 'utf8')).toBe('1|@{"e":"launch","u":1.2,"v":1,"n":2}\n1|2.0|@{"e":"ready","u":0.3,"mt":1,"ma":1}\n');
    expect(JSON.parse(readFileSync(join(dir, 'launcher.json'), 'utf8'))).toMatchObject({ format: 'nestbed-launcher-results', formatVersion: 1, timeBase: 'emulated-l1', bundle: 'a'.repeat(64) });
    expect(readFileSync(join(dir, 'topology.yaml'), 'utf8')).toBe('name: t\n');
  });
});
