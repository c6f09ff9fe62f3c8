import type { MessageEntity } from 'grammy/types';
import { byteOffset, cantParseEntities as cantParse } from './errors.ts';
import type { FormattedText } from './formatting.ts';

const HTML_TAGS: Record<string, MessageEntity['type']> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  span: 'spoiler',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
  'tg-emoji': 'custom_emoji',
};

const NAMED_CHARACTERS: Record<string, string> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

interface OpenTag {
  name: string;
  start: number;
  attributes: Map<string, string>;
}

/**
 * Telegram's HTML style: the tags it supports, `&lt;`-style references, and TDLib's errors for
 * unknown, unclosed and mismatched tags.
 */
export function parseHtml(source: string): FormattedText {
  let text = '';
  const entities: MessageEntity[] = [];
  const open: OpenTag[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i] as string;
    if (char === '&') {
      const match = /^&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/i.exec(source.slice(i, i + 12));
      const decoded = match ? decodeCharacterReference(match[1] as string) : undefined;
      // Unknown references stay literal, as TDLib leaves them.
      text += decoded ?? '&';
      i += decoded !== undefined && match ? match[0].length : 1;
      continue;
    }
    if (char !== '<') {
      text += char;
      i += 1;
      continue;
    }
    const tagStart = i;
    if (source[i + 1] === '/') {
      let j = i + 2;
      while (j < source.length && source[j] !== '>' && !/\s/.test(source[j] as string)) j += 1;
      const name = source.slice(i + 2, j).toLowerCase();
      const top = open.pop();
      if (top === undefined)
        throw cantParse(`Unexpected end tag at byte offset ${byteOffset(source, tagStart)}`);
      while (/\s/.test(source[j] ?? '')) j += 1;
      if (source[j] !== '>')
        throw cantParse(`Unclosed end tag at byte offset ${byteOffset(source, tagStart)}`);
      if (name !== '' && name !== top.name) {
        throw cantParse(
          `Unmatched end tag at byte offset ${byteOffset(source, tagStart)}, expected "</${top.name}>", found "</${name}>"`,
        );
      }
      const entity = htmlEntity(top, text.length - top.start, open);
      if (entity) entities.push(entity);
      i = j + 1;
      continue;
    }
    let j = i + 1;
    while (j < source.length && source[j] !== '>' && source[j] !== '/' && !/\s/.test(source[j] as string))
      j += 1;
    if (j >= source.length)
      throw cantParse(`Unclosed start tag at byte offset ${byteOffset(source, tagStart)}`);
    const name = source.slice(i + 1, j).toLowerCase();
    if (!(name in HTML_TAGS)) {
      throw cantParse(`Unsupported start tag "${name}" at byte offset ${byteOffset(source, tagStart)}`);
    }
    const { attributes, end } = readAttributes(source, j, tagStart);
    if (name === 'span' && attributes.get('class') !== 'tg-spoiler') {
      throw cantParse(
        `Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(source, tagStart)}`,
      );
    }
    open.push({ name, start: text.length, attributes });
    i = end;
  }
  const unclosed = open.at(-1);
  if (unclosed) throw cantParse(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  return { text, entities };
}

function decodeCharacterReference(reference: string): string | undefined {
  if (reference.startsWith('#')) {
    const code =
      reference[1] === 'x' || reference[1] === 'X'
        ? parseInt(reference.slice(2), 16)
        : Number(reference.slice(1));
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  return NAMED_CHARACTERS[reference.toLowerCase()];
}

/** Reads `name="value"` pairs up to the tag's `>`; returns the index after it. */
function readAttributes(
  source: string,
  from: number,
  tagStart: number,
): { attributes: Map<string, string>; end: number } {
  const attributes = new Map<string, string>();
  const pattern = /\s*(?:([a-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?|(\/)?\s*>)/giy;
  pattern.lastIndex = from;
  for (;;) {
    const match = pattern.exec(source);
    if (!match) throw cantParse(`Unclosed start tag at byte offset ${byteOffset(source, tagStart)}`);
    if (match[1] === undefined) return { attributes, end: pattern.lastIndex };
    const value = match[2] ?? match[3] ?? match[4] ?? '';
    attributes.set(match[1].toLowerCase(), decodeEntitiesIn(value));
  }
}

function decodeEntitiesIn(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, reference: string) => {
    return decodeCharacterReference(reference) ?? whole;
  });
}

function htmlEntity(tag: OpenTag, length: number, stillOpen: OpenTag[]): MessageEntity | undefined {
  if (length <= 0) return undefined;
  const offset = tag.start;
  switch (HTML_TAGS[tag.name]) {
    case 'text_link': {
      const url = tag.attributes.get('href');
      return url ? { type: 'text_link', offset, length, url } : undefined;
    }
    case 'custom_emoji':
      return { type: 'custom_emoji', offset, length, custom_emoji_id: tag.attributes.get('emoji-id') ?? '' };
    case 'blockquote':
      return {
        type: tag.attributes.has('expandable') ? 'expandable_blockquote' : 'blockquote',
        offset,
        length,
      };
    case 'code': {
      // <pre><code class="language-x"> is one pre entity with a language, as Telegram renders it.
      const language = /^language-(.+)$/.exec(tag.attributes.get('class') ?? '')?.[1];
      const parent = stillOpen.at(-1);
      if (parent?.name === 'pre' && language) {
        parent.attributes.set('language', language);
        return undefined;
      }
      return { type: 'code', offset, length };
    }
    case 'pre': {
      const language = tag.attributes.get('language');
      return language ? { type: 'pre', offset, length, language } : { type: 'pre', offset, length };
    }
    case undefined:
      return undefined;
    default:
      return { type: HTML_TAGS[tag.name], offset, length } as MessageEntity;
  }
}
