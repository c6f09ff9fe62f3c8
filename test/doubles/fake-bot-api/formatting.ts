import type { MessageEntity } from 'grammy/types';
import { badRequest } from './errors.ts';
import { parseHtml } from './parse-html.ts';
import { parseMarkdown, parseMarkdownV2 } from './parse-markdown.ts';

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
