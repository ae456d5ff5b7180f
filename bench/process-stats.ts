import { readFileSync } from 'node:fs'

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

/** The benchmark's processes by role: the fetcher node, each loader node, the emulator. */
export function benchProcesses(k2s: { fetcherPid: number; loaderPids: number[] }, emulatorPid: number): { role: string; pid: number }[] {
  return [
    { role: 'fetcher', pid: k2s.fetcherPid },
    ...k2s.loaderPids.map((pid, i) => ({ role: `loader ${i + 1}`, pid })),
    { role: 'emulator', pid: emulatorPid },
  ]
}

/** Starts counting now: each call of the result gives CPU used since, and peak RSS so far. */
export function processMeter(processes: { role: string; pid: number }[]): () => ProcessUse[] {
  const before = processes.map(({ pid }) => cpuSeconds(pid))
  return () => processes.map(({ role, pid }, i) => ({ role, cpuSeconds: cpuSeconds(pid) - before[i]!, peakRssBytes: peakRssBytes(pid) }))
}
