import { I18n, type Fluent, type I18nFlavor, type TranslationVariables } from '@grammyjs/i18n';
import type { MiddlewareFn } from 'grammy';
import { DEFAULT_LANGUAGE, negotiateLanguage } from '../core/domain/languages.ts';
import { FLUENT_BUNDLE_OPTIONS, LOCALES_DIR } from '../core/locales.ts';
import type { BotContext } from './context.ts';

/** Locales whose bundles and plain texts are kept; others (odd requested locales) are looked up each time. */
const MAX_REMEMBERED_LOCALES = 64;

/**
 * The user's explicit choice (kept in the session) wins; otherwise their Telegram app language,
 * reduced to one we speak; otherwise English.
 */
function localeOf(ctx: BotContext): string {
  return ctx.session.__language_code ?? negotiateLanguage(ctx.from?.language_code);
}

type I18nControls = I18nFlavor['i18n'];

/**
 * `ctx.i18n` of one update. A class rather than an object of closures: one is made for every
 * update, and the methods are shared.
 */
class UpdateI18n implements I18nControls {
  /** The locale texts are rendered in: the negotiated one, or one set by `useLocale`. */
  locale: string;

  constructor(
    private readonly i18n: BotI18n,
    private readonly ctx: BotContext,
  ) {
    this.locale = localeOf(ctx);
  }

  get fluent(): Fluent {
    return this.i18n.fluent;
  }

  getLocale(): Promise<string> {
    return Promise.resolve(localeOf(this.ctx));
  }

  setLocale(locale: string): Promise<void> {
    this.ctx.session.__language_code = locale;
    return this.renegotiateLocale();
  }

  useLocale(locale: string): void {
    this.locale = locale;
  }

  renegotiateLocale(): Promise<void> {
    this.locale = localeOf(this.ctx);
    return Promise.resolve();
  }
}

/**
 * The plugin's `I18n` with two changes, both for speed (this runs on every update):
 * - its middleware sets up the same `ctx.i18n`, `ctx.t` and `ctx.translate`, in the locale of
 *   {@link localeOf}, without the plugin's awaits and property definitions (sessions are read before
 *   it runs, not lazily);
 * - a text without variables is rendered once per locale and then reused: the bundles never change
 *   after the constructor loaded them. (A missing one is then reported once, not on every use.)
 */
class BotI18n extends I18n<BotContext> {
  private readonly plainTexts = new Map<string, Map<string, string>>();

  override translate<K extends string>(
    locale: string,
    key: string,
    variables?: TranslationVariables<K>,
  ): string {
    if (variables !== undefined) return this.fluent.translate(locale, key, variables);
    let texts = this.plainTexts.get(locale);
    if (texts === undefined) {
      texts = new Map();
      if (this.plainTexts.size < MAX_REMEMBERED_LOCALES) this.plainTexts.set(locale, texts);
    }
    let text = texts.get(key);
    if (text === undefined) {
      text = this.fluent.translate(locale, key);
      texts.set(key, text);
    }
    return text;
  }

  override middleware(): MiddlewareFn<BotContext> {
    return (ctx, next) => {
      const controls = new UpdateI18n(this, ctx);
      ctx.i18n = controls;
      ctx.translate = (key, variables) => this.translate(controls.locale, key, variables);
      ctx.t = ctx.translate;
      return next();
    };
  }
}

/** Translations from `locales/`, for the bot's middleware and for texts rendered outside an update. */
export function createBotI18n(): I18n<BotContext> {
  const i18n = new BotI18n({
    defaultLocale: DEFAULT_LANGUAGE,
    directory: LOCALES_DIR,
    useSession: true,
    fluentBundleOptions: FLUENT_BUNDLE_OPTIONS,
  });
  rememberBundlesPerLocale(i18n.fluent);
  return i18n;
}

/**
 * The plugin's `Fluent` finds the bundles for a locale again on every translation, negotiating with
 * `@fluent/langneg` each time: most of what a translation with variables costs. The answer depends
 * only on the locale and on the bundles, which the constructor loaded once and for all, so it is
 * kept per locale. The lookup is a private method of the plugin: with a version of the plugin that
 * lacks it, nothing is kept and translations are the same, only slower.
 */
function rememberBundlesPerLocale(fluent: Fluent): void {
  const internals = fluent as unknown as { matchBundles?: (locales: string[]) => unknown };
  const lookUp = internals.matchBundles?.bind(fluent);
  if (!lookUp) return;
  const remembered = new Map<string, unknown>();
  internals.matchBundles = (locales) => {
    const key = locales.length === 1 ? locales[0]! : locales.join('\n');
    let bundles = remembered.get(key);
    if (bundles === undefined) {
      bundles = lookUp(locales);
      if (remembered.size < MAX_REMEMBERED_LOCALES) remembered.set(key, bundles);
    }
    return bundles;
  };
}

/** All the keyboard and the command menu need: a message in a named language. */
export interface LocaleTranslator {
  t(locale: string, key: string): string;
}
