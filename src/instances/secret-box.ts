import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Secrets at rest (docs/design.md invariant 6): AES-256-GCM with a key that never lives in Redis, so a
 * Redis dump alone does not reveal StarRocks passwords. Every process of one deployment must share
 * the key: K2S_SECRET_KEY (64 hex chars), or a key file created on first use.
 */
export type SecretBox = {
  /** With `boundTo`, the secret opens only for the same `boundTo` (GCM's additional data). */
  seal(plain: string, boundTo?: string): string
  open(sealed: string, boundTo?: string): string
}

/** A bound secret asked for by other endpoints than it was saved for (or tampered with). */
export class SecretBindingError extends Error {}

export function secretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the secret key must be 32 bytes')
  return {
    seal(plain, boundTo) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      if (boundTo !== undefined) cipher.setAAD(Buffer.from(boundTo, 'utf8'))
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return [boundTo === undefined ? 'v1' : 'v2', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join('.')
    },
    open(sealed, boundTo) {
      const [version, iv, tag, data] = sealed.split('.')
      if ((version !== 'v1' && version !== 'v2') || !iv || !tag || data === undefined) throw new Error('not a sealed secret')
      // v1 secrets were sealed before binding existed; they are re-sealed bound on their next save.
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'))
      if (version === 'v2') decipher.setAAD(Buffer.from(boundTo ?? '', 'utf8'))
      decipher.setAuthTag(Buffer.from(tag, 'base64'))
      try {
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8')
      } catch (err) {
        if (version === 'v2') throw new SecretBindingError('the stored secret was saved for other endpoints or another user (or the key differs): enter it again')
        throw err
      }
    },
  }
}

export function loadSecretKey(env: { K2S_SECRET_KEY?: string }, keyFile: string): Buffer {
  if (env.K2S_SECRET_KEY) {
    if (!/^[0-9a-fA-F]{64}$/.test(env.K2S_SECRET_KEY)) throw new Error('K2S_SECRET_KEY must be 64 hex characters (32 bytes)')
    return Buffer.from(env.K2S_SECRET_KEY, 'hex')
  }
  if (!existsSync(keyFile)) {
    mkdirSync(dirname(keyFile), { recursive: true })
    writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
  }
  return loadSecretKey({ K2S_SECRET_KEY: readFileSync(keyFile, 'utf8').trim() }, keyFile)
}
