import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultProfilesDir, listProfiles, loadProfile, modemProfileSchema, ProfileError } from '../../src/modem/profile.js';
import { tempDir } from '../helpers/harness.js';

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

const minimal = { id: 'x', name: 'X' };

describe('modem profiles', () => {
  it('every shipped profile loads and says what its model needs', () => {
    const ids = listProfiles();
    expect(ids).toEqual(['e3372', 'ec25', 'generic', 'sim7600', 'sim800']);
    expect(ids).toEqual(
      readdirSync(defaultProfilesDir)
        .map((f) => f.replace(/\.json$/, ''))
        .sort(),
    );
    for (const id of ids) {
      const p = loadProfile(id);
      expect(p.id).toBe(id);
      // Received SMS are stored on the SIM (mt 1): the driver deletes them only once stored.
      expect(p.cnmi, id).toMatch(/^AT\+CNMI=2,1,0,[12],0$/);
    }
    expect(loadProfile('sim800')).toMatchObject({ smsReadyUrc: 'SMS Ready', networkTime: 'clts', cnmi: 'AT+CNMI=2,1,0,1,0' });
  });

  it('defaults fill what a profile leaves out', () => {
    expect(modemProfileSchema.parse(minimal)).toEqual({
      id: 'x',
      name: 'X',
      match: {},
      defaultBaudRate: 115200,
      init: [],
      bootUrcs: ['RDY'],
      smsReadyTimeoutMs: 15_000,
      cnmi: 'AT+CNMI=2,1,0,1,0',
      bootTimeMs: 10_000,
      timeouts: { default: 2000, prompt: 5000, submit: 60_000, submitFloor: 5000, network: 30_000, cfun: 15_000 },
      reset: { soft: 'AT+CFUN=1,1' },
      networkTime: 'none',
      quirks: { promptDelayMs: 0, ignoresRejectDuplicates: false, extraUrcs: [], numericErrorsOnly: false, ussdPacked: false },
      registration: ['CREG'],
    });
  });

  it('nothing but a printable AT command reaches the line: no CR, no second command', () => {
    for (const bad of [
      { init: ['AT\rAT+CFUN=0'] },
      { init: ['ATE0', 'CFUN=0'] },
      { cnmi: 'AT+CNMI=2,1;+CFUN=0' },
      { reset: { soft: 'AT+CFUN=1,1\r\n' } },
      { id: '../etc' },
    ]) {
      expect(modemProfileSchema.safeParse({ ...minimal, ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
    expect(modemProfileSchema.safeParse({ ...minimal, init: ['AT+QURCCFG="urcport","usbat"'] }).success).toBe(true);
  });

  it('a bad name, a missing file, bad JSON, a bad field, a wrong id: each a ProfileError that says what and where', () => {
    const d = tempDir('smsotpd-profiles-');
    dir = d;
    writeFileSync(path.join(d, 'good.json'), JSON.stringify({ id: 'good', name: 'Good' }));
    writeFileSync(path.join(d, 'broken.json'), '{ "id": ');
    writeFileSync(path.join(d, 'bad.json'), JSON.stringify({ id: 'bad', name: 'Bad', timeouts: { submit: 5 }, registration: ['XREG'] }));
    writeFileSync(path.join(d, 'other.json'), JSON.stringify({ id: 'good', name: 'Other' }));
    writeFileSync(path.join(d, 'notes.txt'), 'not a profile');
    expect(loadProfile('good', d).name).toBe('Good');
    expect(listProfiles(dir)).toEqual(['bad', 'broken', 'good', 'other']);
    expect(() => loadProfile('../good', d)).toThrow(ProfileError);
    expect(() => loadProfile('Good', d)).toThrow(/invalid modem profile name "Good"/);
    expect(() => loadProfile('missing', d)).toThrow(
      /cannot load modem profile "missing" from .*missing\.json: .*\(known: bad, broken, good, other\)/,
    );
    expect(() => loadProfile('broken', d)).toThrow(/cannot load modem profile "broken"/);
    const err = (() => {
      try {
        loadProfile('bad', d);
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ProfileError);
    expect(err!.message).toMatch(/^modem profile .*bad\.json is invalid:\n {2}timeouts\.submit: .*\n {2}registration\.0: /);
    expect(() => loadProfile('other', d)).toThrow(/declares id "good", expected "other"/);
  });

  it('no profile folder: none known', () => {
    expect(listProfiles('/nonexistent/smsotpd-profiles')).toEqual([]);
    expect(() => loadProfile('sim800', '/nonexistent/smsotpd-profiles')).toThrow(/\(known: none\)/);
  });
});
