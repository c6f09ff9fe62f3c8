import { ConfigError } from './errors.ts';
import { createLogger, type Logger } from './logger.ts';

/** How a process starts: its config schema, its secrets (masked in logs) and its composition. */
export interface ProcessDefinition<C extends { LOG_LEVEL: string }> {
  name: string;
  loadConfig(): C;
  secrets(config: C): (string | undefined)[];
  start(config: C, logger: Logger): Promise<{ stop(): Promise<void> }>;
}

/**
 * The shared `main` of every process: a bad configuration stops it with one readable line naming
 * the variable; SIGTERM and SIGINT stop it gracefully (work in flight finishes), exit 0 when done.
 */
export async function runProcess<C extends { LOG_LEVEL: string }>(
  definition: ProcessDefinition<C>,
): Promise<void> {
  let config: C;
  try {
    config = definition.loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`config error: ${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger({
    name: definition.name,
    level: config.LOG_LEVEL,
    secrets: definition.secrets(config),
  });
  let running: { stop(): Promise<void> };
  try {
    running = await definition.start(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, `${definition.name} failed to start`);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down: letting work in flight finish');
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping) {
      stopping = true;
      shutdown(signal);
      return;
    }
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
