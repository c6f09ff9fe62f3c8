import type { MessageEntity } from 'grammy/types';
import { byteOffset, cantParseEntities as cantParse } from './errors.ts';
import type { FormattedText } from './formatting.ts';

type MarkdownKind =
  'bold' | 'italic' | 'underline' | 'strikethrough' | 'spoiler' | 'code' | 'pre' | 'link' | 'emoji';

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
const RESERVED = new Set([
  '_',
  '*',
  '[',
  ']',
  '(',
  ')',
  '~',
  '`',
  '>',
  '#',
  '+',
  '-',
  '=',
  '|',
  '{',
  '}',
  '.',
  '!',
]);

interface OpenMarkdown {
  kind: MarkdownKind;
  start: number;
  sourceIndex: number;
  language?: string;
}

/**
 * MarkdownV2: nested entities, reserved characters that must be escaped, and TDLib's errors for
 * an unescaped character or an entity without its end.
 */
export function parseMarkdownV2(source: string): FormattedText {
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
      if (text.length > quoteStart)
        entities.push({ type: 'blockquote', offset: quoteStart, length: text.length - quoteStart });
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
        if (j >= source.length)
          throw cantParse(`Can't find end of a URL at byte offset ${byteOffset(source, i)}`);
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

/** Legacy Markdown: flat `*bold*`, `_italic_`, `` `code` ``, pre blocks and `[text](url)`. */
export function parseMarkdown(source: string): FormattedText {
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
        entities.push({
          type: 'text_link',
          offset: start,
          length: label.length,
          url: source.slice(textEnd + 2, urlEnd),
        });
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
