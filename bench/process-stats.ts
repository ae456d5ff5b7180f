import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/** Linux' clock tick (USER_HZ), 100 on every platform Node runs on. */
const ticksPerSecond = 100

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
}

/** Peak resident set size in bytes (VmHWM): the kernel tracks it, so no sampling can miss it. */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024
}

export type ProcessUse = { role: string; cpuSeconds: number; peakRssBytes: number }

/**
 * The benchmark's processes by role: the fetcher node, each loader node, the emulator, and the
 * Kafka broker and redis-server when they run on this machine (they share its two cores).
 */
export function benchProcesses(k2s: { fetcherPid: number; loaderPids: number[] }, emulatorPid: number, services: { kafka: string; redisUrl: string }): { role: string; pid: number }[] {
  return [
    { role: 'fetcher', pid: k2s.fetcherPid },
    ...k2s.loaderPids.map((pid, i) => ({ role: `loader ${i + 1}`, pid })),
    { role: 'emulator', pid: emulatorPid },
    ...localServices(services),
  ]
}

/** The Kafka broker and the redis-server, those of them that run on this machine. */
export function localServices(services: { kafka: string; redisUrl?: string }): { role: string; pid: number }[] {
  const local = (role: string, port: number) => {
    const pid = listenerPid(port)
    return pid === null ? [] : [{ role, pid }]
  }
  return [
    ...local('kafka', Number(services.kafka.split(',')[0]!.split(':').at(-1))),
    ...(services.redisUrl ? local('redis', Number(new URL(services.redisUrl).port || 6379)) : []),
  ]
}

/** Starts counting now: each call of the result gives CPU used since, and peak RSS so far. */
export function processMeter(processes: { role: string; pid: number }[]): () => ProcessUse[] {
  const before = processes.map(({ pid }) => cpuSeconds(pid))
  return () => processes.map(({ role, pid }, i) => ({ role, cpuSeconds: cpuSeconds(pid) - before[i]!, peakRssBytes: peakRssBytes(pid) }))
}

/**
 * The process listening on a local TCP port (Kafka's and Redis' CPU belongs in the split too), or
 * null when no process of ours holds it, e.g. a broker on another machine.
 */
export function listenerPid(port: number): number | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      // local_address is "ADDR:PORT", st 0A is LISTEN, inode is the tenth field.
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A') inodes.add(`socket:[${f[9]}]`)
    }
  }
  if (inodes.size === 0) return null
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      try {
        if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return Number(pid)
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return null
}

/** Starts counting now: each call of the result gives the share of the machine's CPU time busy since. */
export function machineBusyMeter(): () => number {
  const read = () => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal: idle and iowait are the idle time.
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0)
    return { total, idle: fields[3]! + fields[4]! }
  }
  const before = read()
  return () => {
    const now = read()
    const total = now.total - before.total
    return total > 0 ? 1 - (now.idle - before.idle) / total : 0
  }
}
