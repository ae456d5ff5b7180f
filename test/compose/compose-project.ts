import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { readmeComposeCommands } from './readme-commands.ts'

/**
 * One docker compose deployment of K2S on this machine: docker-compose.yml with the test overlay
 * (docker-compose.test.yml), under a project name of its own so that it never touches another
 * deployment in the same folder. The README's commands run as written there (`readme`); the
 * test's own tools (kill, network cuts, inspection) go through `docker` directly.
 */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

export type Container = {
  id: string
  /** e.g. k2s-compose-test_worker_2 */
  name: string
  service: string
  /** The container's host name, which K2S nodes use in their default node name. */
  hostname: string
  running: boolean
  /** Network (as the compose file names it: redis-net, kafka-net, starrocks-net) → IPv4 address. */
  addresses: Record<string, string>
}

export type ComposeProject = ReturnType<typeof composeProject>

const run = promisify(execFile)
const started = Date.now()

/** A progress line on stderr, which node's test runner shows as it comes. */
export function progress(message: string): void {
  process.stderr.write(`[compose +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`)
}

export function composeProject(name: string) {
  const readmeCommands = readmeComposeCommands(`${repoRoot}README.md`)
  // What the README has the operator export; fresh secrets per run, none of them ever printed.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    COMPOSE_FILE: 'docker-compose.yml:docker-compose.test.yml',
    COMPOSE_PROJECT_NAME: name,
    K2S_SECRET_KEY: randomBytes(32).toString('hex'),
    K2S_NODE_TOKEN: randomBytes(16).toString('hex'),
    K2S_ADMIN_PASSWORD: `compose-${randomBytes(9).toString('base64url')}`,
  }

  async function shell(command: string, timeoutMs: number): Promise<{ output: string; ms: number }> {
    const t0 = Date.now()
    try {
      const { stdout, stderr } = await run('bash', ['-c', command], { cwd: repoRoot, env, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 })
      return { output: `${stdout}${stderr}`, ms: Date.now() - t0 }
    } catch (error) {
      const { stdout = '', stderr = '', message } = error as { stdout?: string; stderr?: string; message: string }
      throw new Error(`\`${command}\` failed after ${Date.now() - t0} ms: ${message}\n${tail(`${stdout}${stderr}`, 60)}`)
    }
  }

  async function docker(args: string[], timeoutMs = 60_000): Promise<string> {
    try {
      const { stdout } = await run('docker', args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 })
      return stdout
    } catch (error) {
      const { stderr = '', message } = error as { stderr?: string; message: string }
      throw new Error(`docker ${args.join(' ')}: ${message}\n${tail(stderr, 20)}`)
    }
  }

  async function containers(service?: string): Promise<Container[]> {
    const filters = ['--filter', `label=com.docker.compose.project=${name}`, ...(service ? ['--filter', `label=com.docker.compose.service=${service}`] : [])]
    const ids = (await docker(['ps', '-a', '-q', ...filters])).split('\n').filter(Boolean)
    if (ids.length === 0) return []
    const inspected = JSON.parse(await docker(['inspect', ...ids])) as DockerInspect[]
    return inspected
      .map((c) => ({
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        service: c.Config.Labels['com.docker.compose.service'] ?? '',
        hostname: c.Config.Hostname,
        running: c.State.Running,
        addresses: Object.fromEntries(Object.entries(c.NetworkSettings.Networks).map(([net, n]) => [net.slice(name.length + 1), n.IPAddress])),
      }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
  }

  return {
    name,
    env,
    adminPassword: env.K2S_ADMIN_PASSWORD!,
    /** Runs one of the README compose section's commands, exactly as the README writes it. */
    async readme(command: string, timeoutMs = 600_000): Promise<{ output: string; ms: number }> {
      if (!readmeCommands.has(command)) throw new Error(`the README's compose section does not show \`${command}\`; the test runs only what it shows`)
      progress(`$ ${command}`)
      const result = await shell(command, timeoutMs)
      progress(`  done in ${(result.ms / 1000).toFixed(1)} s`)
      return result
    },
    /** A command of the test's own (clean-up before a run, logs after a failure). */
    shell,
    docker,
    containers,
    async running(service: string): Promise<Container[]> {
      return (await containers(service)).filter((c) => c.running)
    },
    /** The one running container of a service that has one (kafka, redis, starrocks, admin). */
    async only(service: string): Promise<Container> {
      const found = (await containers(service)).filter((c) => c.running)
      if (found.length !== 1) throw new Error(`expected one running ${service} container, found ${found.length}`)
      return found[0]!
    },
    async kill(container: Container): Promise<void> {
      await docker(['kill', container.id])
    },
    /** Cuts a container off one of the project's networks (it keeps its other networks). */
    async disconnect(container: Container, network: string): Promise<void> {
      await docker(['network', 'disconnect', `${name}_${network}`, container.id])
    },
    /** Joins it again, with its service name as an alias on that network, as compose gave it. */
    async connect(container: Container, network: string): Promise<void> {
      await docker(['network', 'connect', '--alias', container.service, `${name}_${network}`, container.id])
    },
    /** Memory in use per running container (cgroup usage less page cache, as `docker stats` shows it). */
    async memory(): Promise<Array<{ name: string; bytes: number }>> {
      const ids = (await containers()).filter((c) => c.running).map((c) => c.id)
      const lines = (await docker(['stats', '--no-stream', '--format', '{{json .}}', ...ids])).split('\n').filter(Boolean)
      return lines
        .map((line) => JSON.parse(line) as { Name: string; MemUsage: string })
        .map((s) => ({ name: s.Name, bytes: parseSize(s.MemUsage.split('/')[0]!.trim()) }))
        .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
    },
    async imageBytes(image: string): Promise<number> {
      return Number((await docker(['image', 'inspect', '-f', '{{.Size}}', image])).trim())
    },
  }
}

type DockerInspect = {
  Id: string
  Name: string
  Config: { Hostname: string; Labels: Record<string, string> }
  State: { Running: boolean }
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> }
}

/** docker's human sizes: 12.5MiB, 1.2GiB, 512KiB, 300B. */
export function parseSize(text: string): number {
  const match = /^([\d.]+)\s*([KMGT]i?B|B)$/i.exec(text)
  if (!match) throw new Error(`not a size: ${text}`)
  const unit = match[2]!.toUpperCase().replace('I', '')
  const power = { B: 0, KB: 1, MB: 2, GB: 3, TB: 4 }[unit] ?? 0
  return Math.round(Number(match[1]) * 1024 ** power)
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}
