import { readFileSync } from 'node:fs';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

// The npm package imports its .wasm as an ES module, which Node 20 cannot do without a flag,
// so the module is instantiated here against the package's own JS glue.
/** Node has WebAssembly; this project's `lib` setting leaves out its DOM-side declarations. */
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: Record<string, unknown> }>;
}

const packageDir = new URL('../../node_modules/@prisma/schema-engine-wasm/', import.meta.url);

/** The subset of Prisma's WASM schema engine this project drives. */
export interface SchemaEngine {
  diff(params: {
    from: DiffTarget;
    to: DiffTarget;
    script: boolean;
    exitCode: boolean | null;
    filters: { externalTables: string[]; externalEnums: string[] };
  }): Promise<{ exitCode: number; stdout: string | null }>;
}

/** Where a diff starts or ends. */
export type DiffTarget =
  | { tag: 'empty' }
  | { tag: 'schemaDatamodel'; files: { path: string; content: string }[] }
  | { tag: 'schemaDatasource'; files: { path: string; content: string }[]; configDir: string };

export const schemaPath = new URL('../../prisma/schema.prisma', import.meta.url);

export function readSchemaFiles(): { path: string; content: string }[] {
  return [{ path: 'schema.prisma', content: readFileSync(schemaPath, 'utf8') }];
}

/** Starts the schema engine against the database at `connectionString` (never a shadow database). */
export async function startSchemaEngine(connectionString: string): Promise<SchemaEngine> {
  const glue = await import(new URL('schema_engine_bg.js', packageDir).href);
  const module = await wasm.compile(readFileSync(new URL('schema_engine_bg.wasm', packageDir)));
  const instance = await wasm.instantiate(module, { './schema_engine_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(catalogReadablePool(connectionString)));
  const files = readSchemaFiles();
  return glue.SchemaEngine.new(
    { datamodels: files.map((f) => [f.path, f.content]) },
    () => undefined,
    adapter,
  ) as Promise<SchemaEngine>;
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

/**
 * adapter-pg 7.10 has no mapping for PostgreSQL's internal one-byte `"char"` type, which the engine's
 * catalog queries select (`relkind`, `contype`, ...), so every introspection fails. This pool reports
 * those columns as text, which is what the engine expects of them. Only the schema engine uses it.
 */
function catalogReadablePool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 1 });
  const asText = (res: pg.QueryResult | undefined) => {
    for (const field of res?.fields ?? [])
      if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    return res;
  };
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const last = args.at(-1);
      if (typeof last === 'function') {
        args[args.length - 1] = (error: Error | null, res: pg.QueryResult) => last(error, asText(res));
      }
      const result = query(...args);
      return result instanceof Promise ? result.then(asText) : result;
    };
  });
  return pool;
}

export const noFilters = { externalTables: [], externalEnums: [] };
