import { describe, expect, it } from 'vitest';
import { negotiateLanguage } from './languages.ts';

describe('negotiateLanguage', () => {
  it('keeps a supported language', () => {
    expect(negotiateLanguage('es')).toBe('es');
  });
  it('reduces a regional tag to its language', () => {
    expect(negotiateLanguage('es-419')).toBe('es');
    expect(negotiateLanguage('EN_gb')).toBe('en');
  });
  it('falls back to English for anything else', () => {
    expect(negotiateLanguage('de')).toBe('en');
    expect(negotiateLanguage(undefined)).toBe('en');
    expect(negotiateLanguage('')).toBe('en');
  });
});
