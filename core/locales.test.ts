import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCALES_DIR } from './locales.ts';
import { SUPPORTED_LANGUAGES } from './domain/languages.ts';

const keysOf = (language: string, file: string) =>
  readFileSync(join(LOCALES_DIR, language, file), 'utf8')
    .split('\n')
    .map((line) => /^([a-z][a-z0-9-]*)\s*=/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined)
    .sort();

const filesOf = (language: string) => readdirSync(join(LOCALES_DIR, language)).sort();

describe('locales', () => {
  it('has a folder for every supported language and no other', () => {
    expect(readdirSync(LOCALES_DIR).sort()).toEqual([...SUPPORTED_LANGUAGES].sort());
  });

  it('splits every language into the same files', () => {
    for (const language of SUPPORTED_LANGUAGES) expect(filesOf(language), language).toEqual(filesOf('en'));
  });

  it('defines the same messages in every language, file by file', () => {
    for (const file of filesOf('en')) {
      const english = keysOf('en', file);
      for (const language of SUPPORTED_LANGUAGES)
        expect(keysOf(language, file), `${language}/${file}`).toEqual(english);
    }
  });

  it('never defines a message twice in one language', () => {
    for (const language of SUPPORTED_LANGUAGES) {
      const keys = filesOf(language).flatMap((file) => keysOf(language, file));
      expect(keys.length, language).toBe(new Set(keys).size);
    }
  });
});
