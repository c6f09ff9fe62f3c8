import type { MessageEntity } from 'grammy/types';
import { badRequest } from './errors.ts';

/** Text as Telegram stores it after parsing: plain text plus entities (offsets in UTF-16 units). */
export interface FormattedText {
  text: string;
  entities: MessageEntity[];
}

/**
 * Parses `text` the way the Bot API does for `parse_mode` (HTML, MarkdownV2, Markdown), or takes
 * explicit `entities` as given. Leading and trailing whitespace is trimmed, as Telegram does. The
 * errors carry TDLib's wording (`can't parse entities: ...`) so a bot's error handling meets the
 * real texts; the parsers check what breaks messages in practice (unknown or unbalanced tags,
 * unescaped MarkdownV2 characters, unclosed entities), not every corner of TDLib's grammar.
 */
export function formatText(
  raw: string,
  parseMode: string | undefined,
  explicitEntities: MessageEntity[] | undefined,
): FormattedText {
  let parsed: FormattedText;
  switch (parseMode?.toLowerCase()) {
    case undefined:
    case '':
      parsed = { text: raw, entities: explicitEntities ?? [] };
      break;
    case 'html':
      parsed = parseHtml(raw);
      break;
    case 'markdownv2':
      parsed = parseMarkdownV2(raw);
      break;
    case 'markdown':
      parsed = parseMarkdown(raw);
      break;
    default:
      throw badRequest('unsupported parse_mode');
  }
  return trim(parsed);
}

/** Message length in the unit Telegram's limits and entity offsets use: UTF-16 code units. */
export function textLength(text: string): number {
  return text.length;
}

function cantParse(detail: string): Error {
  return badRequest(`can't parse entities: ${detail}`);
}

/** TDLib reports positions as UTF-8 byte offsets into the source text. */
function byteOffset(source: string, index: number): number {
  return Buffer.byteLength(source.slice(0, index), 'utf8');
}

function trim({ text, entities }: FormattedText): FormattedText {
  const leading = text.length - text.trimStart().length;
  const trimmed = text.trim();
  const clipped: MessageEntity[] = [];
  for (const entity of entities) {
    const start = Math.max(0, entity.offset - leading);
    const end = Math.min(trimmed.length, entity.offset + entity.length - leading);
    if (end > start) clipped.push({ ...entity, offset: start, length: end - start });
  }
  clipped.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text: trimmed, entities: clipped };
}

// ---------------------------------------------------------------------------------------------
// HTML

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

const NAMED_CHARACTERS: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0' };

interface OpenTag {
  name: string;
  start: number;
  attributes: Map<string, string>;
}

function parseHtml(source: string): FormattedText {
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
      if (top === undefined) throw cantParse(`Unexpected end tag at byte offset ${byteOffset(source, tagStart)}`);
      while (/\s/.test(source[j] ?? '')) j += 1;
      if (source[j] !== '>') throw cantParse(`Unclosed end tag at byte offset ${byteOffset(source, tagStart)}`);
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
    while (j < source.length && source[j] !== '>' && source[j] !== '/' && !/\s/.test(source[j] as string)) j += 1;
    if (j >= source.length) throw cantParse(`Unclosed start tag at byte offset ${byteOffset(source, tagStart)}`);
    const name = source.slice(i + 1, j).toLowerCase();
    if (!(name in HTML_TAGS)) {
      throw cantParse(`Unsupported start tag "${name}" at byte offset ${byteOffset(source, tagStart)}`);
    }
    const { attributes, end } = readAttributes(source, j, tagStart);
    if (name === 'span' && attributes.get('class') !== 'tg-spoiler') {
      throw cantParse(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(source, tagStart)}`);
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
    const code = reference[1] === 'x' || reference[1] === 'X' ? parseInt(reference.slice(2), 16) : Number(reference.slice(1));
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  return NAMED_CHARACTERS[reference.toLowerCase()];
}

/** Reads `name="value"` pairs up to the tag's `>`; returns the index after it. */
function readAttributes(source: string, from: number, tagStart: number): { attributes: Map<string, string>; end: number } {
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
      return { type: tag.attributes.has('expandable') ? 'expandable_blockquote' : 'blockquote', offset, length };
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

// ---------------------------------------------------------------------------------------------
// MarkdownV2

type MarkdownKind = 'bold' | 'italic' | 'underline' | 'strikethrough' | 'spoiler' | 'code' | 'pre' | 'link' | 'emoji';

const MARKDOWN_NAMES: Record<MarkdownKind, string> = {
  bold: 'Bold',
  italic: 'Italic',
  underline: 'Underline',
  strikethrough: 'Strikethrough',
  spoiler: 'Spoiler',
  code: 'Code',
  pre: 'Pre',
  link: 'TextUrl',
  emoji: 'CustomEmoji',
};

/** Characters MarkdownV2 reserves; outside an entity that uses them they must be escaped. */
const RESERVED = new Set(['_', '*', '[', ']', '(', ')', '~', '`', '>', '#', '+', '-', '=', '|', '{', '}', '.', '!']);

interface OpenMarkdown {
  kind: MarkdownKind;
  start: number;
  sourceIndex: number;
  language?: string;
}

function parseMarkdownV2(source: string): FormattedText {
  let text = '';
  const entities: MessageEntity[] = [];
  const open: OpenMarkdown[] = [];
  let quoteStart: number | undefined;
  let i = 0;

  const close = (entry: OpenMarkdown, extra: Partial<MessageEntity> = {}): void => {
    const length = text.length - entry.start;
    if (length <= 0) return;
    const type = entry.kind === 'emoji' ? 'custom_emoji' : entry.kind === 'link' ? 'text_link' : entry.kind;
    entities.push({ type, offset: entry.start, length, ...extra } as MessageEntity);
  };
  const reserved = (char: string): Error =>
    cantParse(`Character '${char}' is reserved and must be escaped with the preceding '\\'`);

  while (i < source.length) {
    const char = source[i] as string;
    const top = open.at(-1);

    // Inside code and pre only ` and \ are special.
    if (top?.kind === 'code' || top?.kind === 'pre') {
      if (char === '\\' && (source[i + 1] === '`' || source[i + 1] === '\\')) {
        text += source[i + 1];
        i += 2;
      } else if (top.kind === 'pre' && source.startsWith('```', i)) {
        open.pop();
        close(top, top.language ? { language: top.language } : {});
        i += 3;
      } else if (top.kind === 'code' && char === '`') {
        open.pop();
        close(top);
        i += 1;
      } else {
        text += char;
        i += 1;
      }
      continue;
    }

    const atLineStart = i === 0 || source[i - 1] === '\n';
    if (atLineStart && char === '>') {
      quoteStart ??= text.length;
      i += 1;
      continue;
    }
    if (char === '\n' && quoteStart !== undefined && source[i + 1] !== '>') {
      if (text.length > quoteStart) entities.push({ type: 'blockquote', offset: quoteStart, length: text.length - quoteStart });
      quoteStart = undefined;
    }

    if (char === '\\') {
      const next = source.charCodeAt(i + 1);
      if (next >= 1 && next <= 126) {
        text += source[i + 1];
        i += 2;
        continue;
      }
      text += char;
      i += 1;
      continue;
    }

    if (char === ']' && (top?.kind === 'link' || top?.kind === 'emoji')) {
      let url = '';
      i += 1;
      if (source[i] === '(') {
        let j = i + 1;
        while (j < source.length && source[j] !== ')') j += source[j] === '\\' ? 2 : 1;
        if (j >= source.length) throw cantParse(`Can't find end of a URL at byte offset ${byteOffset(source, i)}`);
        url = source.slice(i + 1, j).replace(/\\(.)/g, '$1');
        i = j + 1;
      }
      open.pop();
      if (top.kind === 'emoji') {
        const id = /^tg:\/\/emoji\?id=(\d+)$/.exec(url)?.[1];
        if (!id) throw cantParse(`Custom emoji entity must contain a tg://emoji URL`);
        close(top, { custom_emoji_id: id });
      } else if (url) {
        close(top, { url });
      }
      continue;
    }

    const kind = markdownKindAt(source, i);
    if (kind === undefined) {
      if (RESERVED.has(char)) throw reserved(char);
      text += char;
      i += 1;
      continue;
    }
    const width = kind === 'underline' || kind === 'spoiler' || kind === 'emoji' ? 2 : kind === 'pre' ? 3 : 1;
    if (top?.kind === kind && kind !== 'link' && kind !== 'emoji') {
      open.pop();
      close(top);
      i += width;
      continue;
    }
    const entry: OpenMarkdown = { kind, start: text.length, sourceIndex: i };
    i += width;
    if (kind === 'pre') {
      // ```language\n opens a pre block with a language; the first line is not part of the text.
      const newline = source.indexOf('\n', i);
      const firstLine = newline === -1 ? '' : source.slice(i, newline);
      if (newline !== -1 && /^[\w+#-]*$/.test(firstLine)) {
        if (firstLine) entry.language = firstLine;
        i = newline + 1;
      }
    }
    open.push(entry);
  }

  const unclosed = open.at(-1);
  if (unclosed) {
    throw cantParse(
      `Can't find end of ${MARKDOWN_NAMES[unclosed.kind]} entity at byte offset ${byteOffset(source, unclosed.sourceIndex)}`,
    );
  }
  if (quoteStart !== undefined && text.length > quoteStart) {
    entities.push({ type: 'blockquote', offset: quoteStart, length: text.length - quoteStart });
  }
  return { text, entities };
}

function markdownKindAt(source: string, i: number): MarkdownKind | undefined {
  switch (source[i]) {
    case '*':
      return 'bold';
    case '_':
      return source[i + 1] === '_' ? 'underline' : 'italic';
    case '~':
      return 'strikethrough';
    case '|':
      return source[i + 1] === '|' ? 'spoiler' : undefined;
    case '`':
      return source.startsWith('```', i) ? 'pre' : 'code';
    case '[':
      return 'link';
    case '!':
      return source[i + 1] === '[' ? 'emoji' : undefined;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Markdown (legacy)

function parseMarkdown(source: string): FormattedText {
  let text = '';
  const entities: MessageEntity[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i] as string;
    if (char === '\\' && '_*`['.includes(source[i + 1] ?? ' ')) {
      text += source[i + 1];
      i += 2;
      continue;
    }
    if (!'_*`['.includes(char)) {
      text += char;
      i += 1;
      continue;
    }
    const notClosed = (): Error =>
      cantParse(`Can't find end of the entity starting at byte offset ${byteOffset(source, i)}`);
    if (char === '[') {
      const textEnd = source.indexOf(']', i + 1);
      if (textEnd === -1) throw notClosed();
      const label = source.slice(i + 1, textEnd);
      const urlEnd = source[textEnd + 1] === '(' ? source.indexOf(')', textEnd + 2) : -1;
      const start = text.length;
      text += label;
      if (urlEnd !== -1 && label) {
        entities.push({ type: 'text_link', offset: start, length: label.length, url: source.slice(textEnd + 2, urlEnd) });
      }
      i = urlEnd === -1 ? textEnd + 1 : urlEnd + 1;
      continue;
    }
    const fence = char === '`' && source.startsWith('```', i) ? '```' : char;
    const end = source.indexOf(fence, i + fence.length);
    if (end === -1) throw notClosed();
    const content = source.slice(i + fence.length, end);
    const start = text.length;
    text += content;
    if (content) {
      const type = fence === '```' ? 'pre' : char === '`' ? 'code' : char === '*' ? 'bold' : 'italic';
      entities.push({ type, offset: start, length: content.length } as MessageEntity);
    }
    i = end + fence.length;
  }
  return { text, entities };
}
