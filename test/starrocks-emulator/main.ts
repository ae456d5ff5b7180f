/**
 * Runs the emulator standalone:
 *   npm run emulator -- --fe-port 8030 --be-port 8040 --mysql-port 9030 [--host 127.0.0.1] [--user name:password]...
 *     [--alter-delay-ms 1000] [--advertised-host starrocks]
 * --advertised-host: the BE host the FE redirects loads to, when clients reach this server by
 * another name than --host (a container bound to 0.0.0.0 and known as `starrocks`).
 * Faults: POST http://<fe>/_emulator/faults with a Fault as JSON (see faults.ts).
 */
import { parseArgs } from 'node:util';
import { startStarRocksEmulator } from './index.ts';

const { values } = parseArgs({
  options: {
    'fe-port': { type: 'string', default: '0' },
    'be-port': { type: 'string', default: '0' },
    'mysql-port': { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'advertised-host': { type: 'string' },
    user: { type: 'string', multiple: true },
    'alter-delay-ms': { type: 'string', default: '0' },
  },
});

/** `name:password` (`name` alone means an empty password). */
function parseUser(spec: string): [string, string] {
  const colon = spec.indexOf(':');
  return colon < 0 ? [spec, ''] : [spec.slice(0, colon), spec.slice(colon + 1)];
}

const users = values.user?.length ? Object.fromEntries(values.user.map(parseUser)) : undefined;

const ports = { 'fe-port': Number(values['fe-port']), 'be-port': Number(values['be-port']), 'mysql-port': Number(values['mysql-port']) };
const emulator = await startStarRocksEmulator({
  host: values.host,
  ...(values['advertised-host'] ? { advertisedHost: values['advertised-host'] } : {}),
  fePort: ports['fe-port'],
  bePort: ports['be-port'],
  mysqlPort: ports['mysql-port'],
  alterDelayMs: Number(values['alter-delay-ms']),
  ...(users ? { users } : {}),
}).catch((err: NodeJS.ErrnoException & { port?: number }) => {
  if (err.code !== 'EADDRINUSE') throw err;
  // A taken port is an operator's to fix: say which and how, not a stack trace.
  const flag = Object.entries(ports).find(([, port]) => port !== 0 && port === err.port)?.[0];
  console.error(`port ${err.port ?? '?'} on ${values.host} is taken by another process${flag ? `: choose another with --${flag}, or 0 for any free one` : ''}`);
  process.exit(2);
});
console.log(
  JSON.stringify({ feHttpPort: emulator.feHttpPort, beHttpPort: emulator.beHttpPort, mysqlPort: emulator.mysqlPort }),
);

const stop = () => {
  emulator.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
