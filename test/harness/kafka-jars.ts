import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const pom = fileURLToPath(new URL('./kafka-pom.xml', import.meta.url));
const cacheRoot = fileURLToPath(new URL('../../.cache/kafka/', import.meta.url));

let fetching: Promise<string> | undefined;

/**
 * The Java classpath (`<dir>/*`) of the Kafka broker pinned in kafka-pom.xml. The first call on a
 * machine fetches the jars from Maven Central; later runs reuse `.cache/kafka/<hash of the pom>/`,
 * so editing the pom (e.g. the Kafka version) fetches again.
 */
export function kafkaClasspath(): Promise<string> {
  fetching ??= fetchJars();
  return fetching;
}

async function fetchJars(): Promise<string> {
  const key = createHash('sha256').update(await readFile(pom)).digest('hex').slice(0, 16);
  const dir = join(cacheRoot, key);
  if (!existsSync(dir)) {
    // Maven fills a private dir that is renamed into place only when complete, so an interrupted
    // fetch or another test process fetching at the same time never leaves a half-filled cache.
    const staging = `${dir}.partial-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    process.stderr.write(`Fetching Kafka jars with Maven into ${dir} (first run only)...\n`);
    await maven(['dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime']);
    await rename(staging, dir).catch(async (error: unknown) => {
      if (!existsSync(dir)) throw error;
      await rm(staging, { recursive: true, force: true });
    });
  }
  return join(dir, '*');
}

async function maven(goals: string[]): Promise<void> {
  const args = ['-q', '-B', '-Dstyle.color=never', '-f', pom, ...goals];
  try {
    await promisify(execFile)('mvn', args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '', message } = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Maven could not fetch Kafka's jars (needs mvn, Java 17+ and Maven Central): ${message}\n${stdout}${stderr}`);
  }
}
