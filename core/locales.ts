import { fileURLToPath } from 'node:url';

/** Where the Fluent files live; bot and worker both render from them. */
// No trailing slash: @grammyjs/i18n derives the locale name by splitting the path after this prefix.
export const LOCALES_DIR = fileURLToPath(new URL('../locales', import.meta.url));

/**
 * Fluent wraps every placeable in Unicode isolation marks by default; inside an address they
 * break copy-and-paste, so they are turned off.
 */
export const FLUENT_BUNDLE_OPTIONS = { useIsolating: false } as const;
