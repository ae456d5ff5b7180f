/**
 * The admin API as the console and the README's curl examples use it: log in, then bearer token.
 * Only the fields the compose test reads are typed.
 */
export type NodeView = {
  name: string
  address: string
  roles: Array<'fetcher' | 'loader'>
  status: 'online' | 'offline'
  instances: string[]
}

export type InstanceStatus = {
  state: 'stopped' | 'starting' | 'running' | 'retrying' | 'failed' | 'stalled'
  reason: string
  runningOn: string | null
  health: { state: 'ok' | 'retrying'; reason: string }
  lag: { messages: number | null; seconds: number | null }
  counters: Record<string, number>
  quarantined: number
}

export type AdminClient = ReturnType<typeof adminClient>

export function adminClient(baseUrl: string) {
  let token = ''

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`)
    return JSON.parse(text) as T
  }

  return {
    async login(user: string, password: string): Promise<void> {
      token = (await call<{ token: string }>('POST', '/api/login', { user, password })).token
    },
    call,
    nodes: async () => (await call<{ nodes: NodeView[] }>('GET', '/api/nodes')).nodes,
    status: (instance: string) => call<InstanceStatus>('GET', `/api/instances/${instance}/status`),
  }
}
