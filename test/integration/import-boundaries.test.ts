import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function restrictedImports(filePath: string, source: string): Promise<number> {
  const [result] = await eslint.lintText(source, { filePath });
  return result!.messages.filter((message) => message.ruleId === 'no-restricted-imports').length;
}

describe('the import rules of DESIGN.md', () => {
  it.each([
    ['bot/x.ts', "import { a } from '../jobs/main.ts';"],
    ['bot/x.ts', "import { a } from '../core/adapters/signer-client.ts';"],
    ['jobs/x.ts', "import { a } from '../bot/create-bot.ts';"],
    ['jobs/x.ts', "import { a } from '../signer/keystore.ts';"],
    ['signer/x.ts', "import { a } from '../core/config.ts';"],
    ['signer/main.ts', "import { a } from '../core/adapters/prisma-client.ts';"],
    ['core/services/x.ts', "import { a } from '../adapters/prisma-client.ts';"],
    ['core/domain/x.ts', "import pg from 'pg';"],
    ['core/x.ts', "import { Bot } from 'grammy';"],
  ])('refuses %s importing: %s', async (filePath, source) => {
    expect(await restrictedImports(filePath, `${source}\nexport const b = a;\n`)).toBe(1);
  });

  it.each([
    ['bot/x.ts', "import { a } from '../core/services/wallet-card.ts';"],
    ['jobs/x.ts', "import { a } from '../core/adapters/signer-client.ts';"],
    ['signer/x.ts', "import { a } from '../core/signer-protocol/schema.ts';"],
    ['signer/main.ts', "import { a } from '../core/config.ts';"],
    ['core/services/x.ts', "import { a } from '../domain/languages.ts';"],
  ])('allows %s importing: %s', async (filePath, source) => {
    expect(await restrictedImports(filePath, `${source}\nexport const b = a;\n`)).toBe(0);
  });
});
