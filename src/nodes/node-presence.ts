import type { Logger } from '../observe/logger.ts'
import type { NodeInfo } from './node-registry.ts'

/**
 * How a node announces itself: straight into Redis (the registry), or, when the node is given an
 * admin address, over the admin's HTTP API with the node token, as the seed's consumer nodes did.
 * Either way an unreachable admin never stops the data: presence is a view, leases decide.
 */
export type NodePresence = {
  register(info: NodeInfo): Promise<void>
  heartbeat(name: string, instances: string[]): Promise<void>
  stopped(name: string): Promise<void>
}

export function adminPresence(adminUrl: string, token: string, log: Logger): NodePresence {
  let info: NodeInfo | null = null
  let registered = false
  // The admin gives each node a key of its own at registration; only it may heartbeat for the node.
  let nodeKey: string | undefined
  const post = async (path: string, body: unknown): Promise<{ status: number; reply: unknown }> => {
    const res = await fetch(`${adminUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(nodeKey ? { 'x-k2s-node-key': nodeKey } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    })
    const reply = res.status === 200 ? await res.json().catch(() => null) : (await res.body?.cancel(), null)
    return { status: res.status, reply }
  }
  // An admin that is down or not up yet is retried on the next heartbeat; the node runs meanwhile.
  const register = async () => {
    if (!info) return
    try {
      const { status, reply } = await post('/api/nodes/register', info)
      registered = status === 200
      if (registered) nodeKey = (reply as { nodeKey?: string } | null)?.nodeKey
      if (!registered) log.warn({ status, adminUrl }, 'the admin refused the registration (check K2S_NODE_TOKEN)')
    } catch (err) {
      log.warn({ err: (err as Error).message, adminUrl }, 'could not reach the admin to register; will retry')
    }
  }
  return {
    async register(node) {
      info = node
      await register()
    },
    async heartbeat(name, instances) {
      if (!registered) return register()
      try {
        const { status } = await post(`/api/nodes/${encodeURIComponent(name)}/heartbeat`, { instances })
        // The admin forgot us (node removed, Redis wiped, key gone): introduce ourselves again.
        if (status === 404 || status === 403) await register()
        else if (status !== 200) log.warn({ status }, 'the admin refused a heartbeat')
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'heartbeat to the admin failed; still running')
      }
    },
    // The admin has no route for a clean goodbye: the node shows offline once its lease runs out.
    async stopped() {},
  }
}

export const silentPresence: NodePresence = { async register() {}, async heartbeat() {}, async stopped() {} }
