import { Command, InvalidArgumentError } from 'commander';
import { startProxyServer } from '../proxy/server';
import { TOXIPROXY_VERSION } from '../proxy/api';
import { packageVersion } from './paths';
import { addEstateCommands } from './estate_commands';
import { addImagesCommands } from './images_commands';
import { addDrillCommands } from './drill_commands';
import { addHistoryCommand } from './history_command';
import { addRestoreCommand } from './restore_command';
import { addExportCommands } from './export_commands';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number, 0-65535');
  return n;
}

export function buildCli(): Command {
  const program = new Command('blackstart')
    .description('Resilience drills for a regional clinical estate: chaos under load, with RTO/RPO verdicts')
    .version(packageVersion());

  program
    .command('proxy')
    .description(`serve the Toxiproxy ${TOXIPROXY_VERSION}-compatible API and proxies`)
    .option('--host <host>', 'address of the API', '127.0.0.1')
    .option('--port <port>', 'port of the API', port, 8474)
    .option('--config <file>', 'proxies (and their toxics) to create at start, /populate format')
    .action(async (opts: { host: string; port: number; config?: string }) => {
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const server = await startProxyServer({ ...opts, log });
      log(`blackstart proxy API listening on ${server.url}`);
      const shutdown = async () => {
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });

  addEstateCommands(program);
  addImagesCommands(program);
  addDrillCommands(program);
  addRestoreCommand(program);
  addHistoryCommand(program);
  addExportCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`blackstart: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

if (require.main === module) void main(process.argv);
