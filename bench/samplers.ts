import type { Redis } from 'ioredis'

/** Peak of a value polled every `everyMs`; the poll itself is cheap next to what is measured. */
export function peakSampler(read: () => Promise<number> | number, everyMs = 200) {
  let peak = 0
  let first: number | undefined
  let busy = false
  const tick = async () => {
    if (busy) return
    busy = true
    try {
      const v = await read()
      first ??= v
      peak = Math.max(peak, v)
    } catch {
      // A missed sample only lowers the resolution.
    } finally {
      busy = false
    }
  }
  void tick()
  const timer = setInterval(tick, everyMs)
  return {
    async stop() {
      clearInterval(timer)
      await tick()
      return { peak, first: first ?? 0 }
    },
  }
}

export const redisMemorySampler = (redis: Redis) =>
  peakSampler(async () => {
    const info = await redis.info('memory')
    return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0)
  })
