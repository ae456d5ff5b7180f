import type { Logger } from '../observe/logger.ts'
import type { NodeInfo } from './node-registry.ts'

/**
 * How a node announces itself: straight into Redis (the registry), or, when the node is given an
 * admin address, over the admin's HTTP API with the node token, as the seed's consumer nodes did.
 * What the admin answers decides whether the node may run anything (consumer-node.ts): a node the
 * admin refused, or never answered, is registered nowhere and runs nothing. Once registered, an
 * admin that goes away does not stop the data: presence is a view, leases decide.
 */
export type PresenceAnswer = 'accepted' | 'refused' | 'unreachable'

export type NodePresence = {
  register(info: NodeInfo): Promise<PresenceAnswer>
  heartbeat(name: string, instances: string[]): Promise<PresenceAnswer>
  stopped(name: string): Promise<void>
}

export function adminPresence(adminUrl: string, token: string, log: Logger): NodePresence {
  let info: NodeInfo | null = null
  let registered = false
  // The admin gives each node a key of its own at registration; only it may heartbeat for the node.
  let nodeKey: string | undefined
  let lastTold = ''
  // Said once per change, not on every heartbeat: the state is what matters, not its repetition.
  const tell = (what: string, level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string) => {
    if (what === lastTold) return
    lastTold = what
    log[level]({ adminUrl, ...fields }, msg)
  }
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
  const refused = (status: number) => status === 401 || status === 403
  const register = async (): Promise<PresenceAnswer> => {
    if (!info) return 'unreachable'
    try {
      const { status, reply } = await post('/api/nodes/register', info)
      registered = status === 200
      if (registered) {
        nodeKey = (reply as { nodeKey?: string } | null)?.nodeKey
        tell('registered', 'info', {}, 'registered with the admin')
        return 'accepted'
      }
      if (refused(status)) {
        tell('refused', 'error', { status }, token ? 'the admin refused the registration: the node token (K2S_NODE_TOKEN, canal.admin.passwd) is not the admin\'s; this node runs nothing until it is' : 'the admin refused the registration: no node token is set (K2S_NODE_TOKEN, canal.admin.passwd); this node runs nothing until one is')
        return 'refused'
      }
      tell(`status ${status}`, 'warn', { status }, 'the admin did not take the registration; this node runs nothing until it does')
      return 'unreachable'
    } catch (err) {
      tell('unreachable', 'warn', { err: (err as Error).message }, 'could not reach the admin to register; this node runs nothing until it answers')
      return 'unreachable'
    }
  }
  return {
    async register(node) {
      info = node
      return register()
    },
    async heartbeat(name, instances) {
      if (!registered) return register()
      try {
        const { status } = await post(`/api/nodes/${encodeURIComponent(name)}/heartbeat`, { instances })
        // The admin forgot us (node removed, Redis wiped, key gone): introduce ourselves again;
        // the registration's answer decides whether this node may go on running.
        if (status === 404 || status === 403) return await register()
        if (refused(status)) {
          registered = false
          tell('refused', 'error', { status }, 'the admin refused a heartbeat: the node token is no longer accepted; this node stops its instances and runs nothing until it is')
          return 'refused'
        }
        if (status !== 200) tell(`heartbeat ${status}`, 'warn', { status }, 'the admin did not take a heartbeat; still running')
        else tell('registered', 'info', {}, 'heartbeats reach the admin again')
        return 'accepted'
      } catch (err) {
        tell('heartbeat unreachable', 'warn', { err: (err as Error).message }, 'heartbeat to the admin failed; still running')
        // Registered before: the data keeps flowing while the admin is away.
        return 'accepted'
      }
    },
    // The admin has no route for a clean goodbye: the node shows offline once its lease runs out.
    async stopped() {},
  }
}

/** Straight into the Redis registry the admin reads: always accepted. */
export function redisPresence(registry: { register(info: NodeInfo): Promise<void>; heartbeat(name: string, instances: string[]): Promise<void>; stopped(name: string): Promise<void> }): NodePresence {
  return {
    async register(info) {
      await registry.register(info)
      return 'accepted'
    },
    async heartbeat(name, instances) {
      await registry.heartbeat(name, instances)
      return 'accepted'
    },
    stopped: (name) => registry.stopped(name),
  }
}

/** k2s.register.auto = false: the operator chose to run the node unlisted. */
export const silentPresence: NodePresence = { async register() { return 'accepted' }, async heartbeat() { return 'accepted' }, async stopped() {} }
