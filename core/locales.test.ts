import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCALES_DIR } from './locales.ts';
import { SUPPORTED_LANGUAGES } from './domain/languages.ts';

const keysOf = (file: string) =>
  readFileSync(join(LOCALES_DIR, file), 'utf8')
    .split('\n')
    .map((line) => /^([a-z][a-z0-9-]*)\s*=/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined)
    .sort();

describe('locales', () => {
  it('has a file for every supported language and no other', () => {
    expect(readdirSync(LOCALES_DIR).sort()).toEqual(SUPPORTED_LANGUAGES.map((code) => `${code}.ftl`).sort());
  });

  it('defines the same messages in every language', () => {
    const english = keysOf('en.ftl');
    for (const language of SUPPORTED_LANGUAGES) expect(keysOf(`${language}.ftl`), language).toEqual(english);
  });
});
